"""The application API, driven through the TestClient (no sockets)."""

from support import serve_raw, skip_on_micropython

from microdot import (Microdot, Request, Response, abort, redirect,
                      send_file, URLPattern)
from microdot.test_client import TestClient

HERE = __file__.rpartition('/')[0] or '.'


async def test_hello_world_from_the_docs():
    app = Microdot()

    @app.route('/')
    def index(req):
        return 'Hello, World!'

    res = await TestClient(app).get('/')
    assert res.status_code == 200
    assert res.text == 'Hello, World!'
    assert res.headers['Content-Type'] == 'text/plain; charset=UTF-8'
    assert res.headers['Content-Length'] == '13'


async def test_methods_and_shortcuts():
    app = Microdot()

    @app.route('/invoices', methods=['GET', 'POST'])
    async def invoices(req):
        return req.method.lower()

    @app.put('/x')
    async def put(req):
        return 'put'

    @app.patch('/x')
    async def patch(req):
        return 'patch'

    @app.delete('/x')
    async def delete(req):
        return 'delete'

    @app.post('/x')
    async def post(req):
        return 'post'

    @app.get('/x')
    async def get(req):
        return 'get'

    client = TestClient(app)
    assert (await client.get('/invoices')).text == 'get'
    assert (await client.post('/invoices')).text == 'post'
    for method in ('get', 'post', 'put', 'patch', 'delete'):
        res = await getattr(client, method)('/x')
        assert res.text == method


async def test_404_and_405_with_allow():
    app = Microdot()

    @app.get('/only-get')
    async def only_get(req):
        return 'x'

    client = TestClient(app)
    res = await client.get('/nope')
    assert res.status_code == 404
    res = await client.post('/only-get')
    assert res.status_code == 405
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'


async def test_head_answers_get_routes_without_body():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'twelve chars'

    res = await TestClient(app).request('HEAD', '/')
    assert res.status_code == 200
    assert res.headers['Content-Length'] == '12'
    # no body by the nature of HEAD: None, as Microdot's test client says
    assert (res.body, res.text, res.json) == (None, None, None)
    # and none on the wire: the bytes end with the head
    raw = await serve_raw(app, b'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n')
    assert raw.endswith(b'Content-Length: 12\r\n\r\n'), raw


async def test_options_lists_allowed_methods():
    app = Microdot()

    @app.route('/r', methods=['GET', 'POST'])
    async def r(req):
        return 'x'

    res = await TestClient(app).request('OPTIONS', '/r')
    assert res.status_code == 200
    assert res.headers['Allow'] == 'GET, POST, HEAD, OPTIONS'
    assert (await TestClient(app).request('OPTIONS', '/zz')).status_code == 404


async def test_dynamic_arguments_are_keyword_arguments():
    app = Microdot()

    @app.get('/users/<int:id>/<string:username>')
    async def user(req, username, id):
        return username + ' (' + str(id) + ')'

    @app.get('/tests/<path:path>')
    async def path(req, path):
        return 'Test: ' + path

    client = TestClient(app)
    assert (await client.get('/users/7/ann')).text == 'ann (7)'
    assert (await client.get('/users/x/ann')).status_code == 404
    assert (await client.get('/tests/a/b/c')).text == 'Test: a/b/c'


async def test_path_is_percent_decoded_and_bad_escapes_are_400():
    app = Microdot()

    @app.get('/u/<name>')
    async def user(req, name):
        return name

    client = TestClient(app)
    assert (await client.get('/u/John%20Doe')).text == 'John Doe'
    # a '%' without two hex digits makes the target invalid (RFC 3986
    # 2.1, RFC 9112 3.2), as do bytes that are not UTF-8
    assert (await client.get('/u/%zz')).status_code == 400
    assert (await client.get('/u/50%')).status_code == 400
    assert (await client.get('/u/%ff%fe')).status_code == 400


async def test_custom_type_from_the_docs():
    def hex_parser(value):
        try:
            return int(value, 16)
        except ValueError:
            return None

    URLPattern.register_type('hexnum', parser=hex_parser)
    app = Microdot()

    @app.get('/users/<hexnum:user_id>')
    async def get_user(req, user_id):
        return str(user_id)

    client = TestClient(app)
    assert (await client.get('/users/ff')).text == '255'
    assert (await client.get('/users/zz')).status_code == 404


async def test_response_forms():
    app = Microdot()

    @app.get('/status')
    async def status(req):
        return 'Hello', 202

    @app.get('/headers')
    async def headers(req):
        return '<h1>Hi</h1>', 202, {'Content-Type': 'text/html'}

    @app.get('/body-headers')
    async def body_headers(req):
        return '<h1>Hi</h1>', {'Content-Type': 'text/html'}

    @app.get('/only-status')
    async def only_status(req):
        return 204

    @app.get('/json')
    async def as_json(req):
        return {'hello': 'world'}

    @app.get('/list')
    async def as_list(req):
        return [1, 2]

    @app.get('/bytes')
    async def as_bytes(req):
        return b'\x00\x01'

    @app.get('/object')
    async def as_object(req):
        return Response('made', status_code=201, headers={'X-A': 'b'})

    client = TestClient(app)
    res = await client.get('/status')
    assert (res.status_code, res.text) == (202, 'Hello')
    res = await client.get('/headers')
    assert res.status_code == 202
    assert res.headers['Content-Type'] == 'text/html'
    res = await client.get('/body-headers')
    assert res.status_code == 200
    assert res.headers['Content-Type'] == 'text/html'
    res = await client.get('/only-status')
    assert res.status_code == 204
    assert res.body == b''
    assert 'Content-Length' not in res.headers
    res = await client.get('/json')
    assert res.json == {'hello': 'world'}
    assert res.headers['Content-Type'] == 'application/json; charset=UTF-8'
    assert (await client.get('/list')).json == [1, 2]
    assert (await client.get('/bytes')).body == b'\x00\x01'
    res = await client.get('/object')
    assert (res.status_code, res.text, res.headers['X-A']) == \
        (201, 'made', 'b')


async def test_a_handler_that_returns_nothing_answers_204():
    app = Microdot()
    seen = []

    @app.get('/')
    async def nothing(req):
        pass

    @app.get('/sync')
    def nothing_either(req):
        return None

    @app.after_request
    async def after(req, res):
        seen.append(res.status_code)

    client = TestClient(app)
    for path in ('/', '/sync'):
        res = await client.get(path)
        assert (res.status_code, res.body) == (204, b''), path
        assert 'Content-Length' not in res.headers
    assert seen == [204, 204]
    # the connection is answered and kept: the next request is served too
    raw = await serve_raw(app, b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    assert raw.startswith(b'HTTP/1.1 204 No Content\r\n'), raw
    assert b'Connection: close' not in raw


async def test_error_handlers_that_return_nothing():
    app = Microdot()

    @app.errorhandler(404)
    async def not_found(req):
        pass

    @app.errorhandler(ZeroDivisionError)
    async def division(req, exc):
        pass

    @app.get('/divide')
    async def divide(req):
        return 1 / 0

    client = TestClient(app)
    # an error handler's None is a 204, as a route's; an exception
    # handler's None leaves the exception unhandled: a 500 (as in Microdot)
    assert (await client.get('/missing')).status_code == 204
    res = await client.get('/divide')
    assert (res.status_code, res.text) == (500, 'Internal server error')


def test_response_none_is_204():
    res = Response(None)
    assert (res.status_code, res.body) == (204, b'')
    # an explicit status is kept
    assert Response(None, 404).status_code == 404


async def test_default_content_type_can_be_changed():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return '<p>x</p>'

    saved = Response.default_content_type
    Response.default_content_type = 'text/html'
    try:
        res = await TestClient(app).get('/')
        # a charset is added unless the type names one (as in Microdot)
        assert res.headers['Content-Type'] == 'text/html; charset=UTF-8'
        Response.default_content_type = 'text/html; charset=ISO-8859-1'
        res = await TestClient(app).get('/')
        assert res.headers['Content-Type'] == 'text/html; charset=ISO-8859-1'
        Response.default_content_type = 'application/xml'
        res = await TestClient(app).get('/')
        assert res.headers['Content-Type'] == \
            'application/xml; charset=UTF-8'
    finally:
        Response.default_content_type = saved


async def test_streamed_generators():
    app = Microdot()

    @app.get('/fibonacci')
    async def fibonacci(req):
        def generate():
            a, b = 0, 1
            while a < 100:
                yield str(a) + '\n'
                a, b = b, a + b
        return generate()

    class Countdown:
        def __init__(self):
            self.n = 3

        def __aiter__(self):
            return self

        async def __anext__(self):
            if self.n == 0:
                raise StopAsyncIteration
            self.n -= 1
            return str(self.n).encode()

    @app.get('/countdown')
    async def countdown(req):
        return Countdown()

    client = TestClient(app)
    res = await client.get('/fibonacci')
    assert res.text.split() == ['0', '1', '1', '2', '3', '5', '8', '13',
                                '21', '34', '55', '89']
    assert res.headers['Transfer-Encoding'] == 'chunked'
    assert (await client.get('/countdown')).text == '210'


async def test_request_attributes():
    app = Microdot()
    seen = {}

    @app.post('/things')
    async def things(req):
        seen['req'] = req
        return 'ok'

    client = TestClient(app)
    await client.post('/things?a=1&a=2&b=x+y', headers={
        'X-Custom': 'v', 'Content-Type': 'text/plain',
        'Cookie': 'c1=one; c2=two'}, body='payload')
    req = seen['req']
    assert req.method == 'POST'
    assert req.path == '/things'
    assert req.url == '/things?a=1&a=2&b=x+y'
    assert req.query_string == 'a=1&a=2&b=x+y'
    assert req.args.getlist('a') == ['1', '2']
    assert req.args['b'] == 'x y'
    assert req.headers['x-custom'] == 'v'
    assert req.cookies == {'c1': 'one', 'c2': 'two'}
    assert req.content_type == 'text/plain'
    assert req.content_length == 7
    assert req.body == b'payload'
    assert req.json is None
    assert req.form is None
    assert req.client_addr[0] == '127.0.0.1'
    assert req.app is app
    assert req.http_version == '1.1'
    assert req.url_prefix == ''
    assert req.subapp is None


async def test_json_and_form_bodies():
    app = Microdot()

    @app.post('/json')
    async def json_body(req):
        return {'got': req.json}

    @app.post('/form')
    async def form_body(req):
        return {'name': req.form.get('name'),
                'tags': req.form.getlist('tag')}

    client = TestClient(app)
    res = await client.post('/json', body={'a': [1, 2]})
    assert res.json == {'got': {'a': [1, 2]}}
    res = await client.post('/form', body='name=Ann+Lee&tag=a&tag=b',
                            headers={'Content-Type':
                                     'application/x-www-form-urlencoded'})
    assert res.json == {'name': 'Ann Lee', 'tags': ['a', 'b']}
    res = await client.post('/json', body='{bad',
                            headers={'Content-Type': 'application/json'})
    assert res.status_code == 400
    # a stray '%' stays as it is; bytes that are not UTF-8 are a 400
    res = await client.post('/form', body='name=100%&tag=%zz', headers={
        'Content-Type': 'application/x-www-form-urlencoded'})
    assert res.json == {'name': '100%', 'tags': ['%zz']}
    res = await client.post('/form', body='name=%ff', headers={
        'Content-Type': 'application/x-www-form-urlencoded'})
    assert res.status_code == 400


async def test_max_content_length_is_413():
    app = Microdot()

    @app.post('/')
    async def index(req):
        return str(len(req.body))

    saved = Request.max_content_length
    Request.max_content_length = 10
    try:
        client = TestClient(app)
        assert (await client.post('/', body='x' * 10)).text == '10'
        res = await client.post('/', body='x' * 11)
        assert res.status_code == 413
    finally:
        Request.max_content_length = saved


async def test_body_above_max_body_length_is_streamed():
    app = Microdot()

    @app.post('/')
    async def index(req):
        data = b''
        while True:
            piece = await req.stream.read(7)
            if not piece:
                break
            data += piece
        return {'body': len(req.body), 'streamed': len(data)}

    saved = Request.max_body_length
    Request.max_body_length = 16
    try:
        res = await TestClient(app).post('/', body='y' * 100)
    finally:
        Request.max_body_length = saved
    assert res.json == {'body': 0, 'streamed': 100}


async def test_stream_of_small_body_reads_the_body():
    app = Microdot()

    @app.post('/')
    async def index(req):
        return await req.stream.read()

    assert (await TestClient(app).post('/', body='abc')).text == 'abc'


async def test_g_and_before_after_hooks():
    app = Microdot()
    order = []

    @app.before_request
    async def authenticate(req):
        if req.headers.get('Authorization') != 'yes':
            return 'Unauthorized', 401
        req.g.user = 'ann'
        order.append('before')

    @app.after_request
    async def after(req, res):
        order.append('after')
        res.headers['X-User'] = getattr(req.g, 'user', 'nobody')

    @app.get('/')
    async def index(req):
        order.append('handler')

        @req.after_request
        def per_request(req, res):
            order.append('per-request')
            res.set_cookie('seen', '1')
            return res

        return 'Hello, ' + req.g.user

    client = TestClient(app)
    res = await client.get('/')
    assert res.status_code == 401
    assert res.headers['X-User'] == 'nobody'
    assert order == ['after']
    del order[:]
    res = await client.get('/', headers={'Authorization': 'yes'})
    assert res.text == 'Hello, ann'
    assert res.headers['X-User'] == 'ann'
    assert client.cookies == {'seen': '1'}
    assert order == ['before', 'handler', 'after', 'per-request']


async def test_after_request_may_replace_the_response():
    app = Microdot()

    @app.after_request
    async def replace(req, res):
        return Response('replaced', 203)

    @app.get('/')
    async def index(req):
        return 'original'

    res = await TestClient(app).get('/')
    assert (res.status_code, res.text) == (203, 'replaced')


async def test_error_handlers_by_status_and_exception():
    app = Microdot()
    errors = []

    class AppError(Exception):
        pass

    class SpecificError(AppError):
        pass

    @app.errorhandler(404)
    async def not_found(req):
        return {'error': 'resource not found'}, 404

    @app.errorhandler(ZeroDivisionError)
    async def division_by_zero(req, exc):
        return {'error': 'division by zero'}, 500

    @app.errorhandler(Exception)
    async def anything(req, exc):
        return 'generic', 500

    @app.errorhandler(AppError)
    async def app_error(req, exc):
        return 'app error', 409

    @app.after_error_request
    async def after_error(req, res):
        errors.append(res.status_code)
        res.headers['X-Error'] = '1'
        return res

    @app.get('/div')
    async def div(req):
        return str(1 / 0)

    @app.get('/specific')
    async def specific(req):
        raise SpecificError()

    @app.get('/abort')
    async def do_abort(req):
        abort(418, 'Teapot here')

    client = TestClient(app)
    res = await client.get('/missing')
    assert (res.status_code, res.json) == (404, {'error':
                                                 'resource not found'})
    assert res.headers['X-Error'] == '1'
    res = await client.get('/div')
    assert res.json == {'error': 'division by zero'}
    res = await client.get('/specific')
    assert (res.status_code, res.text) == (409, 'app error')
    res = await client.get('/abort')
    assert (res.status_code, res.text) == (418, 'Teapot here')
    assert errors == [404, 500, 409, 418]


async def test_unhandled_exception_is_500():
    app = Microdot()

    @app.get('/')
    async def index(req):
        raise RuntimeError('boom')

    res = await TestClient(app).get('/')
    assert res.status_code == 500
    assert 'boom' not in res.text


async def test_error_handler_that_fails_still_answers():
    app = Microdot()

    @app.errorhandler(404)
    async def broken(req):
        raise RuntimeError('handler bug')

    res = await TestClient(app).get('/x')
    assert res.status_code == 500


async def test_mount_with_prefix_and_shared_hooks():
    customers = Microdot()

    @customers.get('/')
    async def get_customers(req):
        return 'customers at ' + req.url_prefix

    @customers.before_request
    async def mark(req):
        req.g.mark = 'sub'

    @customers.get('/back')
    async def back(req):
        return redirect(req.url_prefix + '/')

    main = Microdot()

    @main.get('/')
    async def index(req):
        return getattr(req.g, 'mark', 'none')

    main.mount(customers, url_prefix='/customers')
    client = TestClient(main)
    res = await client.get('/customers/')
    assert res.text == 'customers at /customers'
    res = await client.get('/customers/back')
    assert (res.status_code, res.headers['Location']) == (302, '/customers/')
    # not local: the sub-app's hooks apply to the whole app
    assert (await client.get('/')).text == 'sub'


async def test_local_mount_keeps_hooks_and_errors_local():
    sub = Microdot()

    @sub.before_request
    async def mark(req):
        req.g.mark = 'sub'

    @sub.errorhandler(404)
    async def sub_404(req):
        return 'sub 404', 404

    @sub.get('/x')
    async def x(req):
        return req.g.mark

    @sub.get('/missing')
    async def missing(req):
        abort(404)

    main = Microdot()

    @main.get('/')
    async def index(req):
        return getattr(req.g, 'mark', 'none')

    main.mount(sub, url_prefix='/sub', local=True)
    client = TestClient(main)
    assert (await client.get('/sub/x')).text == 'sub'
    assert (await client.get('/')).text == 'none'
    assert (await client.get('/sub/missing')).text == 'sub 404'
    assert (await client.get('/nothing')).text != 'sub 404'


async def test_sync_handlers_and_hooks():
    app = Microdot()

    @app.before_request
    def before(req):
        req.g.x = 'sync'

    @app.get('/')
    def index(req):
        return req.g.x

    assert (await TestClient(app).get('/')).text == 'sync'


async def test_cookies_set_and_deleted():
    app = Microdot()

    @app.get('/set')
    async def set_cookie(req):
        res = Response('set')
        res.set_cookie('name', 'value', path='/', max_age=60,
                       http_only=True, secure=True, partitioned=True,
                       domain='example.com')
        res.set_cookie('other', 'x', expires='Wed, 21 Oct 2099 07:28:00 GMT')
        return res

    @app.get('/read')
    async def read(req):
        return req.cookies.get('name', '')

    @app.get('/delete')
    async def delete(req):
        res = Response('deleted')
        res.delete_cookie('name', path='/')
        return res

    client = TestClient(app)
    res = await client.get('/set')
    cookies = res.headers['Set-Cookie']
    assert cookies[0] == ('name=value; Path=/; Domain=example.com; '
                          'Max-Age=60; Secure; HttpOnly; Partitioned')
    assert cookies[1] == 'other=x; Expires=Wed, 21 Oct 2099 07:28:00 GMT'
    assert (await client.get('/read')).text == 'value'
    res = await client.get('/delete')
    assert 'Max-Age=0' in res.headers['Set-Cookie'][0]
    assert 'name' not in client.cookies
    assert (await client.get('/read')).text == ''


async def test_cookie_header_injection_is_refused():
    app = Microdot()

    @app.get('/')
    async def index(req):
        res = Response('x')
        res.set_cookie('a', 'b\r\nSet-Cookie: evil=1')
        return res

    @app.get('/redirect')
    async def bad_redirect(req):
        return redirect('/x\r\nEvil: 1')

    @app.get('/header')
    async def bad_header(req):
        return 'x', {'X-Bad': 'a\nb'}

    client = TestClient(app)
    for path in ('/', '/redirect', '/header'):
        res = await client.get(path)
        assert res.status_code == 500, path
        assert 'Evil' not in res.headers and 'evil' not in client.cookies


async def test_send_file_content_type_length_and_max_age():
    app = Microdot()

    @app.get('/hello')
    async def hello(req):
        return send_file(HERE + '/files/hello.txt', max_age=3600)

    @app.get('/page')
    async def page(req):
        return send_file(HERE + '/files/page.html', compressed=True,
                         file_extension='.gz')

    @app.get('/page-by-its-name')
    async def page_gz(req):
        # the .gz named: the type is that of what was compressed
        return send_file(HERE + '/files/page.html.gz', compressed=True)

    @app.get('/gz-as-is')
    async def gz_as_is(req):
        return send_file(HERE + '/files/page.html.gz')

    @app.get('/big')
    async def big(req):
        return send_file(HERE + '/files/big.bin')

    @app.get('/missing')
    async def missing(req):
        return send_file(HERE + '/files/nope.txt')

    client = TestClient(app)
    res = await client.get('/hello')
    assert res.text == 'Hello from a file.\n'
    assert res.headers['Content-Type'] == 'text/plain'
    assert res.headers['Content-Length'] == '19'
    assert res.headers['Cache-Control'] == 'max-age=3600'
    res = await client.get('/page')
    assert res.headers['Content-Type'] == 'text/html'
    assert res.headers['Content-Encoding'] == 'gzip'
    assert res.body[:2] == b'\x1f\x8b'
    res = await client.get('/page-by-its-name')
    assert (res.headers['Content-Type'], res.headers['Content-Encoding']) \
        == ('text/html', 'gzip')
    assert res.body[:2] == b'\x1f\x8b'
    res = await client.get('/gz-as-is')
    assert res.headers['Content-Type'] == 'application/octet-stream'
    assert 'Content-Encoding' not in res.headers
    res = await client.get('/big')
    assert res.headers['Content-Type'] == 'application/octet-stream'
    assert res.body == bytes(range(256)) * 40
    assert (await client.get('/missing')).status_code == 404


async def test_send_file_default_max_age():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return send_file(HERE + '/files/hello.txt')

    saved = Response.default_send_file_max_age
    Response.default_send_file_max_age = 120
    try:
        res = await TestClient(app).get('/')
    finally:
        Response.default_send_file_max_age = saved
    assert res.headers['Cache-Control'] == 'max-age=120'


async def test_redirect_helper():
    res = redirect('/about')
    assert res.status_code == 302
    assert res.headers['Location'] == '/about'
    assert Response.redirect('/x', 301).status_code == 301


async def test_abort_is_also_a_method():
    app = Microdot()

    @app.get('/')
    async def index(req):
        Microdot.abort(403)

    assert (await TestClient(app).get('/')).status_code == 403


def test_public_names_exist():
    import microdot
    for name in ('Microdot', 'Request', 'Response', 'URLPattern',
                 'MultiDict', 'abort', 'redirect', 'send_file',
                 'iscoroutine', 'AsyncBytesIO', '__version__'):
        assert hasattr(microdot, name), name
    assert Request.max_content_length == 16 * 1024
    assert Request.max_body_length == 16 * 1024
    assert Request.max_readline == 2048
    assert Response.send_file_buffer_size == 1024
    assert Response.types_map['css'] == 'text/css'


async def test_sync_handler_returning_a_generator_is_streamed():
    skip_on_micropython(
        'MicroPython cannot tell a generator from a coroutine, so a def '
        'handler must not return a generator there (as in Microdot): '
        'return it from an async def handler')
    app = Microdot()

    @app.get('/')
    def index(req):
        def generate():
            yield 'a'
            yield 'b'
        return generate()

    res = await TestClient(app).get('/')
    assert (res.status_code, res.text) == (200, 'ab')


def log_hooks(app, who, log):
    """Hooks of ``app`` that log when they run, as '<who> <hook>'."""
    @app.before_request
    async def before(req):
        log.append(who + ' before')

    @app.after_request
    async def after(req, res):
        log.append(who + ' after')

    @app.after_error_request
    async def after_error(req, res):
        log.append(who + ' after error')


def local_mount_app(log):
    sub = Microdot()
    log_hooks(sub, 'sub', log)

    @sub.errorhandler(405)
    async def sub_405(req):
        return 'sub 405', 405

    @sub.get('/ok')
    async def ok(req):
        log.append('handler')
        return 'ok'

    @sub.get('/fail')
    async def fail(req):
        raise ValueError('expected by this test')

    app = Microdot()
    log_hooks(app, 'app', log)
    app.mount(sub, url_prefix='/sub', local=True)
    return app


async def test_local_mount_hook_order_is_microdots():
    # before-request hooks: the app's, then the sub-app's; after-request
    # and after-error hooks: the sub-app's first
    log = []
    client = TestClient(local_mount_app(log))
    assert (await client.get('/sub/ok')).text == 'ok'
    assert log == ['app before', 'sub before', 'handler', 'sub after',
                   'app after']
    del log[:]
    assert (await client.get('/sub/fail')).status_code == 500
    assert log == ['app before', 'sub before', 'sub after error',
                   'app after error']


async def test_a_sub_apps_405_handler_answers_for_its_routes():
    log = []
    client = TestClient(local_mount_app(log))
    res = await client.post('/sub/ok')
    assert (res.status_code, res.text) == (405, 'sub 405')
    assert 'GET' in res.headers['Allow']
    # not for a path of the app itself: Microdot's text there
    res = await client.post('/nothing')
    assert (res.status_code, res.text) == (404, 'Not found')


async def test_hooks_of_a_local_mount_inside_a_local_mount_run():
    inner = Microdot()

    @inner.before_request
    async def inner_before(req):
        req.g.who = 'inner'

    @inner.get('/')
    async def inner_index(req):
        return req.g.who + ' ' + req.url_prefix

    middle = Microdot()

    @middle.before_request
    async def middle_before(req):
        req.g.who = 'middle'

    @middle.get('/')
    async def middle_index(req):
        return req.g.who + ' ' + req.url_prefix

    app = Microdot()
    middle.mount(inner, url_prefix='/inner', local=True)
    app.mount(middle, url_prefix='/middle', local=True)
    client = TestClient(app)
    assert (await client.get('/middle/inner/')).text == \
        'inner /middle/inner'
    assert (await client.get('/middle/')).text == 'middle /middle'


async def test_a_plain_mount_moves_the_sub_apps_hooks_and_handlers():
    # "copied over to the main application at mount time" (Microdot's
    # guide): they apply to every route, a sub-app's error handler
    # replaces the app's for the same key, and the sub-app keeps none
    sub = Microdot()
    runs = []

    @sub.before_request
    async def counted(req):
        runs.append(req.path)

    @sub.errorhandler(404)
    async def sub_404(req):
        return 'sub 404', 404

    @sub.get('/x')
    async def x(req):
        return 'x'

    app = Microdot()

    @app.errorhandler(404)
    async def app_404(req):
        return 'app 404', 404

    @app.get('/')
    async def index(req):
        return 'index'

    app.mount(sub, url_prefix='/sub')
    assert sub.before_request_handlers == [] and sub.error_handlers == {}
    client = TestClient(app)
    assert (await client.get('/sub/x')).text == 'x'
    assert (await client.get('/')).text == 'index'
    assert runs == ['/sub/x', '/']      # once each
    assert (await client.get('/nowhere')).text == 'sub 404'


async def test_dispatch_of_a_request_that_could_not_be_parsed():
    # Microdot's dispatch_request(None): a 400, through the app's handler
    app = Microdot()
    res = await app.dispatch_request(None)
    assert (res.status_code, res.body) == (400, b'Bad request')

    @app.errorhandler(400)
    async def bad(req):
        return 'handled'

    res = await app.dispatch_request(None)
    assert (res.status_code, res.body) == (200, b'handled')


async def test_default_error_texts_are_microdots():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'index'

    @app.get('/abort')
    async def aborted(req):
        abort(406)

    @app.get('/abort-with-reason')
    async def aborted_with_reason(req):
        abort(406, 'Not acceptable here')

    @app.get('/fail')
    async def fail(req):
        raise RuntimeError('expected by this test')

    @app.post('/upload')
    async def upload(req):
        return 'never'

    client = TestClient(app)
    for method, path, status, text in (
            ('GET', '/nowhere', 404, 'Not found'),
            ('POST', '/', 405, 'Not found'),
            ('GET', '/abort', 406, 'N/A'),
            ('GET', '/abort-with-reason', 406, 'Not acceptable here'),
            ('GET', '/fail', 500, 'Internal server error')):
        res = await client.request(method, path)
        assert (res.status_code, res.text) == (status, text), path
    saved = Request.max_content_length
    Request.max_content_length = 4
    try:
        res = await client.post('/upload', body='too long')
    finally:
        Request.max_content_length = saved
    assert (res.status_code, res.text) == (413, 'Payload too large')


async def test_vary_names_the_extensions_collect():
    # request.g._vary, where Microdot's extensions put the header fields
    # an answer depends on, joins the response's own Vary (errors too)
    app = Microdot()

    @app.get('/')
    async def index(req):
        req.g._vary = {'Cookie', 'Accept'}
        return '', {'Vary': 'Origin, accept'}

    @app.get('/fail')
    async def fail(req):
        req.g._vary = {'Cookie'}
        raise RuntimeError('expected by this test')

    @app.get('/plain')
    async def plain(req):
        return ''

    client = TestClient(app)
    vary = (await client.get('/')).headers['Vary'].split(', ')
    assert sorted(vary) == ['Cookie', 'Origin', 'accept']
    assert (await client.get('/fail')).headers['Vary'] == 'Cookie'
    assert 'Vary' not in (await client.get('/plain')).headers


async def test_query_string_is_none_without_a_question_mark():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return repr(req.query_string) + ' ' + repr(req.args.getlist('a'))

    client = TestClient(app)
    assert (await client.get('/')).text == "None []"
    assert (await client.get('/?')).text == "'' []"
    assert (await client.get('/?a=1')).text == "'a=1' ['1']"


def test_microdots_core_module_names_import():
    # Microdot 2 defined its core in microdot.microdot: apps import from it
    from microdot.microdot import (Microdot as M, MultiDict as MD,
                                   NoCaseDict as NCD, Request as R,
                                   URLPattern as U, urldecode, urlencode)
    assert (M, R, U) == (Microdot, Request, URLPattern)
    assert MD.__name__ == 'MultiDict' and NCD.__name__ == 'NoCaseDict'
    assert urlencode('?foo=bar&x y') == '%3Ffoo%3Dbar%26x+y'
    assert urldecode('%3Ffoo%3Dbar%26x+y') == '?foo=bar&x y'
