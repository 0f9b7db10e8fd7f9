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

    @app.get('/reason')
    async def reason(req):
        return Response('fine', reason='Fine Indeed')

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
    # None unless the app gave a reason of its own, as in Microdot
    assert res.reason is None
    res = await client.get('/reason')
    assert (res.status_code, res.reason) == (200, 'Fine Indeed')


async def test_plain_requests_do_not_load_the_client_extras():
    # a board without a network calls its app through the client: plain
    # requests do not load its code for cookies, event streams and
    # WebSockets, which the first of them loads
    import sys
    name = 'microdot.test_client_extras'
    sys.modules.pop(name, None)     # as earlier tests may have left it
    client = TestClient(make_app())
    assert (await client.post('/echo', body={'a': 1})).status_code == 200
    assert (await client.get('/whoami')).text == 'nobody'
    assert name not in sys.modules
    await client.get('/login')      # sets a cookie
    assert name in sys.modules
    assert (await client.get('/whoami')).text == 'ann'


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
    # Microdot's default Host
    assert (await TestClient(make_app()).get('/host')).text == \
        'http://example.com:1234'


def cookie_app():
    app = Microdot()

    @app.get('/read')
    async def read(req):
        return ','.join(sorted(k + '=' + v for k, v in req.cookies.items()))

    @app.get('/read/<path:anywhere>')
    async def read_below(req, anywhere):
        return await read(req)

    @app.get('/set')
    async def set_cookies(req):
        res = Response('set')
        res.set_cookie('top', 't')
        res.set_cookie('deep', 'd', path='/read/deep')
        return res

    @app.get('/unset')
    async def unset(req):
        res = Response('unset')
        res.delete_cookie('top', path='/elsewhere')    # another cookie
        res.delete_cookie('deep', path='/read/deep')
        res.delete_cookie('gone', max_age=123, expires='not a date')
        return res

    return app


async def test_a_cookie_header_given_joins_the_jar():
    client = TestClient(cookie_app(), cookies={'jar': '1'})
    res = await client.get('/read', headers={'Cookie': 'given=2'})
    assert res.text == 'given=2,jar=1'
    assert client.cookies == {'jar': '1'}      # what was given is not kept


async def test_cookie_paths_when_sending_and_deleting():
    client = TestClient(cookie_app(), cookies={'gone': 'x'})
    await client.get('/set')
    # a cookie of another path is kept as (value, path), as in Microdot
    assert client.cookies == {'gone': 'x', 'top': 't',
                              'deep': ('d', '/read/deep')}
    assert (await client.get('/read')).text == 'gone=x,top=t'
    assert (await client.get('/read/deep')).text == \
        'deep=d,gone=x,top=t'
    # RFC 6265's path-match: /read/deeper is not under /read/deep
    assert (await client.get('/read/deeper')).text == 'gone=x,top=t'
    await client.get('/unset')
    # a deletion applies to the cookie of its path only; Max-Age and
    # Expires given to delete_cookie() are ignored, as in Microdot
    assert client.cookies == {'top': 't'}


async def test_header_values_are_sent_without_surrounding_space():
    # as binascii.b2a_base64() leaves them, ending with a newline
    import binascii
    app = Microdot()

    @app.get('/')
    async def index(req):
        return req.headers['Authorization']

    value = 'Basic ' + binascii.b2a_base64(b'foo:bar').decode()
    res = await TestClient(app).get('/', headers={'Authorization': value})
    assert (res.status_code, res.text) == (200, 'Basic Zm9vOmJhcg==')
    # a line break inside a value would be a header of its own: refused
    try:
        await TestClient(app).get('/', headers={'X-A': 'a\r\nX-B: b'})
    except ValueError as exc:
        assert 'X-A' in str(exc)
    else:
        raise AssertionError('a line break in a header value was sent')


async def test_a_response_the_handler_sent_itself():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return Response.already_handled

    res = await TestClient(app).get('/')
    assert (res.status_code, res.body, res.text) == (None, None, None)


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
        {'event': None, 'data': b'{"counter": 1}',
         'data_json': {'counter': 1}, 'event_id': None, 'retry': None},
        {'event': 'done', 'data': b'end', 'data_json': None,
         'event_id': '7', 'retry': None}]


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
    assert res.body is None     # a handshake has no body
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
