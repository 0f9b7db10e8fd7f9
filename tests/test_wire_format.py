"""The exact bytes the server writes for the usual responses, and the
API surface around them (the Request constructor, send_file's arguments,
delete_cookie, the route shortcuts), on every runtime."""
from microdot import AsyncBytesIO, Microdot, Request, Response
from microdot.response import send_file
from microdot.structures import NoCaseDict
from microdot.test_client import TestClient
from wire import written

TEXT = b'Content-Type: text/plain; charset=UTF-8'


def parts(out):
    """(status line, field lines sorted, body) of one response: the order
    of fields differs between runtimes (dict order on MicroPython)."""
    end = out.index(b'\r\n\r\n')
    lines = out[:end].split(b'\r\n')
    return lines[0], sorted(lines[1:]), out[end + 4:]


def hello_app():
    app = Microdot()

    @app.route('/', methods=['GET', 'POST'])
    async def index(req):
        return 'hello'

    @app.get('/status/<int:code>')
    async def status(req, code):
        return 'status', code

    return app


async def test_plain_responses_byte_for_byte_kept_alive_and_closing():
    # each head is made once per status and closing flag and kept: asked
    # for in both orders, every one must come out right, from a cold start
    # as in a new server (earlier tests filled the module's caches)
    from microdot import http
    http._PLAIN_HEADS.clear()
    http._STATUS_LINES.clear()
    for code, line in ((200, b'200 OK'), (201, b'201 Created'),
                       (404, b'404 Not Found'), (202, b'202 Accepted'),
                       (303, b'303 See Other'),
                       (301, b'301 Moved Permanently'),
                       (200, b'200 OK'), (201, b'201 Created')):
        for version, closing in ((b'1.1', False), (b'1.0', True),
                                 (b'1.1', False), (b'1.0', True)):
            if code == 404:
                request = b'GET /missing HTTP/' + version + b'\r\n\r\n'
            else:
                request = b'GET /status/' + str(code).encode() + \
                    b' HTTP/' + version + b'\r\n\r\n'
            out = await written(hello_app(), request)
            status, fields, body = parts(out)
            assert status == b'HTTP/1.1 ' + line, (code, closing, out)
            assert fields == sorted(
                [TEXT, b'Content-Length: ' + str(len(body)).encode()] +
                ([b'Connection: close'] if closing else [])), \
                (code, closing, out)
            if code != 404:
                assert body == b'status'


async def test_json_and_text_answers_alternating_byte_for_byte():
    # the heads made once are kept per content type: answers of several
    # types in turn, from a cold start, each come out with their own
    from microdot import http
    http._PLAIN_HEADS.clear()
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'hello'

    @app.get('/json')
    async def as_json(req):
        return {'a': 1}

    @app.get('/html')
    async def html(req):
        return '<p>', 200, {'content-type': 'text/html'}

    @app.get('/json/201')
    async def created(req):
        return {'a': 2}, 201

    expected = {
        b'/': (b'200 OK', TEXT, b'hello'),
        b'/json': (b'200 OK', b'Content-Type: application/json; '
                   b'charset=UTF-8', b'{"a": 1}'),
        # spelled as the app spelled it
        b'/html': (b'200 OK', b'content-type: text/html', b'<p>'),
        b'/json/201': (b'201 Created', b'Content-Type: application/json; '
                       b'charset=UTF-8', b'{"a": 2}'),
    }
    for _ in range(2):
        for path in (b'/json', b'/', b'/html', b'/json', b'/json/201', b'/'):
            for version, closing in ((b'1.1', False), (b'1.0', True)):
                out = await written(app, b'GET ' + path + b' HTTP/' +
                                    version + b'\r\n\r\n')
                line, field, body = expected[path]
                assert parts(out) == (b'HTTP/1.1 ' + line, sorted(
                    [field, b'Content-Length: ' + str(len(body)).encode()] +
                    ([b'Connection: close'] if closing else [])), body), \
                    (path, closing, out)


async def test_a_content_type_given_as_a_list_is_written_as_its_items():
    # a field's value may be a list (one field per item, as Set-Cookie): a
    # Content-Type given so is not a plain answer's type, and is written
    app = Microdot()

    @app.get('/')
    async def index(req):
        return '<p>', 200, {'Content-Type': ['text/html']}

    out = await written(app, b'GET / HTTP/1.1\r\n\r\n')
    assert parts(out) == (b'HTTP/1.1 200 OK', sorted(
        [b'Content-Type: text/html', b'Content-Length: 3']), b'<p>')


async def test_head_answers_carry_the_length_without_the_body():
    out = await written(hello_app(), b'HEAD / HTTP/1.1\r\n\r\n')
    assert parts(out) == (b'HTTP/1.1 200 OK',
                          sorted([TEXT, b'Content-Length: 5']), b'')


async def test_responses_with_fields_byte_for_byte():
    app = Microdot()

    @app.get('/')
    async def index(req):
        res = Response('hi', 202, {'X-One': '1'}, reason='Later')
        res.set_cookie('a', 'b', path='/')
        res.set_cookie('c', 'd')
        return res

    out = await written(app, b'GET / HTTP/1.0\r\n\r\n')
    assert parts(out) == (b'HTTP/1.1 202 Later', sorted([
        b'X-One: 1', b'Set-Cookie: a=b; Path=/', b'Set-Cookie: c=d',
        b'Connection: close', TEXT, b'Content-Length: 2']), b'hi')
    # the cookies in the order they were set
    assert out.index(b'a=b') < out.index(b'c=d')


def test_request_built_directly_keeps_every_argument():
    app = Microdot()
    sub = Microdot()
    headers = NoCaseDict({'Content-Length': '4', 'X-A': 'b'})
    stream = AsyncBytesIO(b'body')

    def handler(req):
        pass

    req = Request(app, ('10.0.0.1', 99), 'POST', '/p/a%20b?x=1', '1.0',
                  headers, body=b'body', stream=stream, sock=('r', 'w'),
                  url_prefix='/p', subapp=sub, scheme='https',
                  route=handler)
    assert req.app is app and req.client_addr == ('10.0.0.1', 99)
    assert (req.method, req.url, req.path, req.query_string) == \
        ('POST', '/p/a%20b?x=1', '/p/a b', 'x=1')
    assert req.http_version == '1.0' and not req.keep_alive
    assert req.headers is headers and req.content_length == 4
    assert req.body == b'body' and req.stream is stream
    assert req.sock == ('r', 'w') and req.url_prefix == '/p'
    assert req.subapp is sub and req.scheme == 'https'
    assert req.route is handler and req.args['x'] == '1'


def test_request_built_directly_has_the_defaults():
    req = Request(Microdot(), None, 'GET', '/a+b', '1.1', None)
    assert req.client_addr is None and req.sock is None
    assert req.path == '/a+b'   # a plus in a path is not a space
    assert (req.scheme, req.url_prefix, req.subapp, req.route) == \
        ('http', '', None, None)
    assert req.content_length == 0 and req.body == b''
    assert req.keep_alive and len(req.headers) == 0
    req = Request(Microdot(), None, 'GET', '/', '1.1',
                  NoCaseDict({'content-length': '7'}), scheme='http')
    assert req.content_length == 7 and req.scheme == 'http'


def test_a_plus_in_an_encoded_path_stays_a_plus():
    req = Request(Microdot(), None, 'GET', '/a+b%2Bc%20d', '1.1', None)
    assert req.path == '/a+b+c d'


async def test_route_shortcuts_register_their_method():
    app = Microdot()
    for name in ('get', 'post', 'put', 'patch', 'delete', 'query'):
        def handler(req, name=name):
            return name
        getattr(app, name)('/' + name)(handler)
    client = TestClient(app)
    for name in ('get', 'post', 'put', 'patch', 'delete', 'query'):
        res = await client.request(name.upper(), '/' + name)
        assert (res.status_code, res.text) == (200, name), name
        other = 'GET' if name != 'get' else 'POST'
        res = await client.request(other, '/' + name)
        assert res.status_code == 405, name


async def test_options_lists_the_allowed_methods_in_allow():
    out = await written(hello_app(), b'OPTIONS / HTTP/1.1\r\n\r\n')
    head = out[:out.index(b'\r\n\r\n')].split(b'\r\n')
    assert head[0] == b'HTTP/1.1 200 OK'
    allow = [line for line in head if line.startswith(b'Allow: ')]
    assert len(allow) == 1
    assert sorted(allow[0][7:].split(b', ')) == [b'GET', b'HEAD',
                                                 b'OPTIONS', b'POST']


async def test_abort_passes_its_reason():
    app = Microdot()

    @app.get('/')
    async def index(req):
        Microdot.abort(406, 'Only JSON here')

    res = await TestClient(app).get('/')
    assert (res.status_code, res.text) == (406, 'Only JSON here')


def test_delete_cookie_expires_it_whatever_the_options():
    res = Response()
    res.delete_cookie('sid', path='/app', expires='Fri, 01 Jan 2100 '
                      '00:00:00 GMT', max_age=999, http_only=True)
    assert res.headers['Set-Cookie'] == [
        'sid=; Path=/app; Expires=Thu, 01 Jan 1970 00:00:01 GMT; '
        'Max-Age=0; HttpOnly']


def test_send_file_passes_every_argument():
    for make in (send_file, Response.send_file):
        stream = AsyncBytesIO(b'data')
        res = make('x.bin', 203, 'text/csv', stream, 60, 'br', '.br')
        assert res.status_code == 203 and res.body is stream
        assert res.headers['Content-Type'] == 'text/csv'
        assert res.headers['Cache-Control'] == 'max-age=60'
        assert res.headers['Content-Encoding'] == 'br'
        res = make('x.txt', stream=AsyncBytesIO(b'data'))
        assert res.status_code == 200
        assert res.headers['Content-Type'] == 'text/plain'
        assert 'Content-Encoding' not in res.headers


async def test_redirects_default_to_302_and_pass_their_status():
    from microdot import redirect
    from support import raises
    for make in (redirect, Response.redirect):
        res = make('/next')
        assert (res.status_code, res.headers['Location']) == (302, '/next')
        assert make('/moved', 301).status_code == 301
        with raises(ValueError) as caught:
            make('/a\r\nX: 1')
        assert str(caught.value) == 'Invalid character in redirect location'


async def test_body_iter_gives_the_body_as_bytes():
    pieces = []
    async for piece in Response('text body').body_iter():
        pieces.append(piece)
    assert b''.join(pieces) == b'text body'


async def test_large_and_streamed_bodies_byte_for_byte():
    app = Microdot()
    big = b'b' * 2000

    @app.get('/big')
    async def large(req):
        return big

    @app.get('/stream')
    async def stream(req):
        def pieces():
            yield b'one'
            yield b'two'
        return pieces()

    @app.get('/typed')
    async def typed(req):
        return Response(big, headers={'Content-Type': 'text/csv'})

    for version, closing in ((b'1.1', False), (b'1.0', True)):
        close = [b'Connection: close'] if closing else []
        out = await written(app, b'GET /big HTTP/' + version + b'\r\n\r\n')
        assert parts(out) == (b'HTTP/1.1 200 OK', sorted(
            [TEXT, b'Content-Length: 2000'] + close), big), version
        out = await written(app, b'GET /typed HTTP/' + version +
                            b'\r\n\r\n')
        assert parts(out) == (b'HTTP/1.1 200 OK', sorted(
            [b'Content-Type: text/csv', b'Content-Length: 2000'] + close),
            big), version
    out = await written(app, b'GET /stream HTTP/1.1\r\n\r\n')
    assert parts(out) == (b'HTTP/1.1 200 OK', sorted(
        [TEXT, b'Transfer-Encoding: chunked']),
        b'3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n')
    out = await written(app, b'GET /stream HTTP/1.0\r\n\r\n')
    assert parts(out) == (b'HTTP/1.1 200 OK', sorted(
        [TEXT, b'Connection: close']), b'onetwo')


def test_set_cookie_after_a_set_cookie_field_given_as_text():
    res = Response(headers={'Set-Cookie': 'a=1'})
    res.set_cookie('b', '2')
    res.set_cookie('c', '3')
    assert res.headers['Set-Cookie'] == ['a=1', 'b=2', 'c=3']


async def test_head_answers_and_empty_bodies_with_fields_and_a_reason():
    app = Microdot()
    big = b'b' * 2000

    @app.get('/typed')
    async def typed(req):
        return Response(big, headers={'Content-Type': 'text/csv'})

    @app.get('/small')
    async def small(req):
        return Response(b'tiny', headers={'X-One': '1'})

    @app.get('/empty')
    async def empty(req):
        return Response(b'', 202, {'X-One': '1'}, reason='Later')

    for path, length in ((b'/typed', b'2000'), (b'/small', b'4')):
        out = await written(app, b'HEAD ' + path + b' HTTP/1.1\r\n\r\n')
        status, fields, body = parts(out)
        assert (status, body) == (b'HTTP/1.1 200 OK', b''), path
        assert b'Content-Length: ' + length in fields, path
    out = await written(app, b'GET /empty HTTP/1.1\r\n\r\n')
    assert parts(out) == (b'HTTP/1.1 202 Later', sorted(
        [b'X-One: 1', TEXT, b'Content-Length: 0']), b'')


def test_default_content_types_get_a_charset_unless_they_name_one():
    # as in Microdot: '; charset=UTF-8' unless 'charset=' is in the type
    from microdot import response
    response._CHARSET.clear()    # as in a new process: nothing cached yet
    saved = Response.default_content_type
    try:
        for content_type, sent in (
                ('text/html', 'text/html; charset=UTF-8'),
                ('application/json', 'application/json; charset=UTF-8'),
                ('text/plain', 'text/plain; charset=UTF-8'),
                ('text/html', 'text/html; charset=UTF-8'),
                ('text/x; charset=latin-1', 'text/x; charset=latin-1'),
                ('image/png', 'image/png; charset=UTF-8')):
            Response.default_content_type = content_type
            res = Response('x', headers={'X-A': '1'})
            res.complete()
            assert res.headers['Content-Type'] == sent, content_type
    finally:
        Response.default_content_type = saved


def test_bodies_given_as_nothing_or_a_kind_of_text():
    class Text(str):
        pass

    assert Response().body == b''
    assert (Response(None).body, Response(None).status_code) == (b'', 204)
    assert Response(Text('caf\u00e9')).body == 'caf\u00e9'.encode()
    assert Response(['a', 1]).body == b'["a", 1]' or \
        Response(['a', 1]).body == b'["a",1]'
    assert Response(['a']).headers['Content-Type'] == \
        'application/json; charset=UTF-8'
    assert Response({'a': 1}, headers={'Content-Type': 'x/y'}).headers[
        'Content-Type'] == 'x/y'


async def test_a_custom_reason_goes_out_with_large_and_streamed_bodies():
    app = Microdot()

    @app.get('/large')
    async def large(req):
        return Response(b'x' * 5000, 202, {'X-A': '1'}, reason='Taken Up')

    async def pieces():
        yield b'a'
        yield b'b'

    @app.get('/streamed')
    async def streamed(req):
        return Response(pieces(), 202, reason='Taken Up')

    for path, tail in ((b'/large', b'x' * 5000), (b'/streamed', b'ab')):
        data = await written(app, b'GET ' + path + b' HTTP/1.1\r\nHost: a\r\n'
                             b'Connection: close\r\n\r\n')
        assert data.startswith(b'HTTP/1.1 202 Taken Up\r\n'), data[:40]
        assert tail in data


async def test_a_redirect_spells_its_location_field_as_http_does():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return Response.redirect('/there')

    data = await written(app, b'GET / HTTP/1.1\r\nHost: a\r\n'
                         b'Connection: close\r\n\r\n')
    assert data.startswith(b'HTTP/1.1 302 Found\r\n')
    assert b'\r\nLocation: /there\r\n' in data, data


async def test_a_large_body_without_headers_and_a_sized_stream_say_their_length():
    app = Microdot()

    @app.get('/large')
    async def large(req):
        return b'y' * 3000

    async def pieces():
        yield b'a'
        yield b'b'

    @app.get('/sized')
    async def sized(req):
        # a streamed body whose length the app gives: sent as it is, not
        # in chunks
        return Response(pieces(), headers={'Content-Length': '2'})

    # (kept alive: no Connection field added, and streams are chunked)
    data = await written(app, b'GET /large HTTP/1.1\r\nHost: a\r\n\r\n')
    assert b'\r\nContent-Length: 3000\r\n' in data, data[:200]
    assert data.endswith(b'\r\n\r\n' + b'y' * 3000)
    data = await written(app, b'GET /sized HTTP/1.1\r\nHost: a\r\n\r\n')
    assert b'\r\nContent-Length: 2\r\n' in data, data
    assert b'Transfer-Encoding' not in data, data
    assert data.endswith(b'\r\n\r\nab'), data
