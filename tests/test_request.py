"""Request.create() and Response.write() driven directly, as compatible
apps' tests do, over in-memory streams."""
from support import raises, IS_MICROPYTHON

from microdot import Microdot, Request, Response, AsyncBytesIO
from microdot.http import ProtocolError
from microdot.test_client import TestClient


class Trickle(AsyncBytesIO):
    """Hands out one byte per read, like the slowest network."""

    async def read(self, n=-1):
        return await AsyncBytesIO.read(self, 1 if n != 0 else 0)


async def create(raw, reader_class=AsyncBytesIO):
    return await Request.create(Microdot(), reader_class(raw), None,
                                ('10.0.0.1', 1234))


async def test_create_reads_head_and_body():
    req = await create(b'POST /p?x=1 HTTP/1.1\r\nHost: h\r\n'
                       b'Content-Type: application/json\r\n'
                       b'Content-Length: 8\r\n\r\n{"a": 1}')
    assert (req.method, req.path, req.args['x']) == ('POST', '/p', '1')
    assert req.json == {'a': 1}
    assert req.client_addr == ('10.0.0.1', 1234)
    assert req.keep_alive


async def test_cookies_come_from_the_parse_or_from_headers_set_later():
    head = (b'GET / HTTP/1.1\r\nCookie: a=1; b="2"\r\nX: y\r\n'
            b'cookie: c=3\r\n\r\n')
    req = await create(head)
    assert req.cookies == {'a': '1', 'b': '2', 'c': '3'}
    # kept by the parse: reading cookies built no dict of all the fields
    assert req._headers is None
    assert req.headers['Cookie'] == 'a=1; b="2"; c=3'
    req = await create(head)
    req.headers = {'Cookie': 'd=4'}     # an app's own headers win
    assert req.cookies == {'d': '4'}
    assert (await create(b'GET / HTTP/1.1\r\n\r\n')).cookies == {}


async def test_request_attributes_can_be_assigned_and_are_kept():
    req = await create(b'POST /a%20b?x=1 HTTP/1.1\r\nHost: h\r\n'
                       b'Content-Type: application/x-www-form-urlencoded\r\n'
                       b'Content-Length: 3\r\n\r\ny=2')
    assert (req.url, req.path, req.body) == ('/a%20b?x=1', '/a b', b'y=2')
    assert req.content_type == 'application/x-www-form-urlencoded'
    assert req.form['y'] == '2' and req.args['x'] == '1'
    assert req.args is req.args and req.headers is req.headers  # kept
    req.path = '/c'
    req.client_addr = ('10.0.0.2', 1)
    req.form = {'z': '3'}
    req.headers = {'Content-Type': 'text/plain'}
    assert (req.path, req.client_addr, req.form) == \
        ('/c', ('10.0.0.2', 1), {'z': '3'})
    assert req.content_type == 'text/plain'
    req.g.user = 'ada'
    assert req.g.user == 'ada'
    # a name that is no attribute is an AttributeError
    assert not hasattr(req, 'no_such_thing')
    assert getattr(req, 'no_such_thing', 7) == 7
    with raises(AttributeError):
        req.no_such_thing
    assert (await create(b'GET / HTTP/1.1\r\n\r\n')).body == b''


async def test_create_returns_none_on_clean_eof():
    assert await create(b'') is None
    assert await create(b'\r\n') is None


async def test_head_split_across_many_reads():
    req = await create(b'GET /slow HTTP/1.1\r\nA: b\r\n\r\n', Trickle)
    assert req.path == '/slow'
    assert req.headers['A'] == 'b'


async def test_chunked_body_split_across_many_reads():
    req = await create(b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n'
                       b'\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', Trickle)
    assert req.body == b'abcde'


async def test_truncated_body_is_an_error():
    with raises(EOFError):
        await create(b'POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc')


async def test_malformed_chunks_are_protocol_errors():
    for body in (b'3\r\nabcXX0\r\n\r\n', b'zz\r\n', b'3;\r\nabc\r\n0\r\nbad\r\n'
                 b'\r\n'):
        with raises(ProtocolError):
            await create(b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked'
                         b'\r\n\r\n' + body)


async def test_connection_header_decides_keep_alive():
    assert not (await create(b'GET / HTTP/1.1\r\nConnection: close\r\n\r\n')
                ).keep_alive
    assert not (await create(b'GET / HTTP/1.0\r\n\r\n')).keep_alive


async def test_request_over_max_content_length_is_marked_413():
    saved = Request.max_content_length
    Request.max_content_length = 4
    try:
        req = await create(b'POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n'
                           b'12345')
    finally:
        Request.max_content_length = saved
    assert req.error == 413
    assert req.body == b''


async def test_response_write_to_a_stream():
    stream = AsyncBytesIO()
    res = Response({'a': 1}, 201, {'X-Y': 'z'})
    await res.write(stream)
    data = stream.getvalue()
    assert data.startswith(b'HTTP/1.1 201 Created\r\n')
    assert b'X-Y: z\r\n' in data
    assert b'Content-Type: application/json; charset=UTF-8\r\n' in data
    assert b'Content-Length: 8\r\n' in data
    assert data.endswith(b'\r\n\r\n{"a": 1}')


async def written(res):
    stream = AsyncBytesIO()
    await res.write(stream)
    return stream.getvalue()


async def test_plain_response_heads_follow_status_reason_type_and_closing():
    # the usual response (no header set) comes from a head made once per
    # status: each thing that changes the head must give its own
    assert await written(Response('hi')) == (
        b'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n'
        b'Content-Length: 2\r\n\r\nhi')
    assert (await written(Response('hi', 200, reason='Fine'))).startswith(
        b'HTTP/1.1 200 Fine\r\n')
    assert (await written(Response('hi'))).startswith(b'HTTP/1.1 200 OK\r\n')
    closing = Response('bye')
    closing.close_connection = True
    data = await written(closing)
    assert b'\r\nConnection: close\r\n' in data
    assert data.endswith(b'\r\nContent-Length: 3\r\n\r\nbye')
    assert b'Connection' not in await written(Response('hi'))
    saved = Response.default_content_type
    Response.default_content_type = 'text/html'
    try:
        assert b'Content-Type: text/html; charset=UTF-8\r\n' in \
            await written(Response('<p>'))
    finally:
        Response.default_content_type = saved
    assert b'Content-Type: text/plain; charset=UTF-8\r\n' in \
        await written(Response('hi'))


async def test_head_response_has_the_length_but_no_body():
    res = Response('four')
    res.is_head = True
    data = await written(res)
    assert data.endswith(b'\r\nContent-Length: 4\r\n\r\n')


async def test_close_connection_keeps_a_connection_header_of_the_app():
    res = Response('x', headers={'Connection': 'close, Upgrade'})
    res.close_connection = True
    data = await written(res)
    assert data.count(b'Connection:') == 1
    assert b'Connection: close, Upgrade\r\n' in data
    # a status without a body says it too
    res = Response(status_code=204)
    res.close_connection = True
    assert b'\r\nConnection: close\r\n' in await written(res)


async def test_streamed_response_written_directly_is_close_delimited():
    def generate():
        yield 'a'
        yield b'b'

    stream = AsyncBytesIO()
    await Response(generate()).write(stream)
    data = stream.getvalue()
    assert b'Content-Length' not in data
    assert b'Transfer-Encoding' not in data
    assert data.endswith(b'\r\n\r\nab')


async def test_dispatch_of_a_created_request():
    app = Microdot()

    @app.get('/users/<int:id>')
    async def user(req, id):
        return {'id': id}

    req = await Request.create(app, AsyncBytesIO(
        b'GET /users/3 HTTP/1.1\r\n\r\n'), None, ('127.0.0.1', 1))
    res = await app.dispatch_request(req)
    assert res.status_code == 200
    assert res.body == b'{"id": 3}'


async def test_sync_handlers_run_off_the_loop_on_cpython_only():
    import _thread
    app = Microdot()
    loop_thread = _thread.get_ident()

    @app.get('/')
    def index(req):
        return 'same' if _thread.get_ident() == loop_thread else 'other'

    res = await TestClient(app).get('/')
    assert res.text == ('same' if IS_MICROPYTHON else 'other')
