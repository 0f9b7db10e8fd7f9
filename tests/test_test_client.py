"""TestClient itself: bodies, cookies, SSE events and WebSockets."""
from support import skip_on_micropython

from microdot import Microdot, Response
from microdot.test_client import TestClient


def make_app():
    app = Microdot()

    @app.route('/echo', methods=['POST', 'PUT', 'PATCH'])
    async def echo(req):
        return {'method': req.method, 'type': req.content_type,
                'body': req.body.decode(), 'x': req.headers.get('X-Test')}

    @app.get('/login')
    async def login(req):
        res = Response('in')
        res.set_cookie('user', 'ann', max_age=60)
        return res

    @app.get('/whoami')
    async def whoami(req):
        return req.cookies.get('user', 'nobody')

    @app.get('/logout')
    async def logout(req):
        res = Response('out')
        res.delete_cookie('user')
        return res

    @app.get('/host')
    async def host(req):
        return req.scheme + '://' + req.headers['Host']

    return app


async def test_bodies_of_every_kind():
    client = TestClient(make_app())
    res = await client.post('/echo', body={'a': 1})
    assert res.json['type'] == 'application/json'
    assert res.json['body'] == '{"a": 1}'
    res = await client.put('/echo', body='text', headers={'X-Test': 'yes'})
    assert res.json == {'method': 'PUT', 'type': None, 'body': 'text',
                        'x': 'yes'}
    res = await client.patch('/echo', body=b'raw')
    assert res.json['body'] == 'raw'
    assert res.status_code == 200
    assert res.reason == 'OK'


async def test_cookies_are_kept_and_dropped():
    client = TestClient(make_app(), cookies={'seed': '1'})
    assert (await client.get('/whoami')).text == 'nobody'
    await client.get('/login')
    assert client.cookies == {'seed': '1', 'user': 'ann'}
    assert (await client.get('/whoami')).text == 'ann'
    await client.get('/logout')
    assert client.cookies == {'seed': '1'}


async def test_scheme_and_host():
    client = TestClient(make_app(), scheme='https', host='board.local')
    assert (await client.get('/host')).text == 'https://board.local'


async def test_path_with_spaces_and_unicode_is_encoded():
    app = Microdot()

    @app.get('/<name>')
    async def name(req, name):
        return name

    res = await TestClient(app).get('/a b\u20ac')
    assert res.text == 'a b\u20ac'


async def test_sse_events_are_parsed():
    from microdot.sse import with_sse
    app = Microdot()

    @app.get('/events')
    @with_sse
    async def events(req, sse):
        await sse.send({'counter': 1})
        await sse.send('end', event='done', event_id='7')

    res = await TestClient(app).get('/events')
    assert res.events == [
        {'event': None, 'data': {'counter': 1}, 'event_id': None,
         'retry': None},
        {'event': 'done', 'data': 'end', 'event_id': '7', 'retry': None}]


def websocket_app():
    from microdot.websocket import with_websocket
    app = Microdot()

    @app.route('/echo')
    @with_websocket
    async def echo(req, ws):
        while True:
            message = await ws.receive()
            await ws.send(message)

    return app


async def test_websocket_with_a_generator_client():
    received = []

    def client():
        data = yield 'hello'
        received.append(data)
        data = yield b'\x00bin'
        received.append(data)

    res = await TestClient(websocket_app()).websocket('/echo', client)
    assert res.status_code == 101
    assert received == ['hello', b'\x00bin']


async def test_websocket_with_an_async_generator_client():
    skip_on_micropython('MicroPython has no async generators')
    received = []
    namespace = {'received': received}
    # compiled at run time: MicroPython cannot even parse this syntax
    exec('async def client():\n'
         '    data = yield "one"\n'
         '    received.append(data)\n', namespace)
    res = await TestClient(websocket_app()).websocket('/echo',
                                                      namespace['client'])
    assert res.status_code == 101
    assert received == ['one']


async def test_websocket_refusal_is_returned():
    def client():
        yield 'never sent'

    res = await TestClient(websocket_app()).websocket(
        '/echo', client, headers={'Sec-WebSocket-Version': '8'})
    assert res.status_code == 426
    assert res.headers['Sec-WebSocket-Version'] == '13'
