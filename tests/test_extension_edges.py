"""Edges of the static files, CORS and CSRF extensions that mutation
testing found untested: names a served folder may and may not hold,
Accept-Encoding parameters, a .gz variant that is a link out of the
folder, CORS headers by their exact names, CSRF without a Host."""
import os

from support import skip_on_micropython

from microdot import Microdot
from microdot.cors import CORS
from microdot.csrf import CSRF
from microdot.static import static_files
from microdot.test_client import TestClient
from test_static import CSS, GZ, SECRET, Tree, with_app, write
from wire import exchange


# --- static files ----------------------------------------------------------

async def test_names_with_spaces_and_nested_files_are_served():
    async def check(client, tree):
        write(tree.root + '/a b+c~.txt', b'spaced')
        write(tree.root + '/docs/page.html', b'nested')
        os.mkdir(tree.root + '/docs/deeper')
        write(tree.root + '/docs/deeper/x.txt', b'deeper')
        for path, body in (('/static/a%20b+c~.txt', b'spaced'),
                           ('/static/docs/page.html', b'nested'),
                           ('/static/docs/deeper/x.txt', b'deeper')):
            res = await client.get(path)
            assert (res.status_code, res.body) == (200, body), path
    await with_app(check)


async def test_files_whose_names_hold_a_backslash_or_control_are_404():
    async def check(client, tree):
        for name, escaped in (('a\\b.txt', 'a%5Cb.txt'),
                              ('a\x7fb.txt', 'a%7Fb.txt'),
                              ('a\x01b.txt', 'a%01b.txt'),
                              ('a\x1fb.txt', 'a%1Fb.txt')):
            write(tree.root + '/' + name, SECRET)
            res = await client.get('/static/' + escaped)
            assert res.status_code == 404, name
            assert SECRET not in res.body, name
    await with_app(check)


async def test_accept_encoding_parameters_and_star():
    async def check(client, tree):
        for accept, compressed in (('gzip;q=1;level=9', True),
                                   ('gzip; level=9; q=0.5', True),
                                   ('gzip;level=9;q=0', False),
                                   ('*, gzip;q=0', False),
                                   ('gzip;q=0, *', False),
                                   ('*;q=0.1', True),
                                   ('gzip;q=1=2', False)):
            res = await client.get('/static/style.css',
                                   headers={'Accept-Encoding': accept})
            assert res.body == (GZ if compressed else CSS), accept
    await with_app(check)


async def test_max_age_applies_to_compressed_variants_too():
    async def check(client, tree):
        res = await client.get('/static/style.css',
                               headers={'Accept-Encoding': 'gzip'})
        assert res.body == GZ
        assert res.headers['Cache-Control'] == 'max-age=60'
    await with_app(check, max_age=60)


async def test_a_gz_variant_linked_out_of_the_folder_is_never_sent():
    skip_on_micropython('MicroPython cannot resolve links (no realpath): '
                        'docs/security.md says not to put links in a '
                        'served folder there')
    tree = Tree()
    try:
        write(tree.root + '/leak.txt', b'plain')
        os.symlink(tree.base + '/secret.txt', tree.root + '/leak.txt.gz')
        os.symlink(tree.base + '/secret.txt', tree.root + '/link.txt')
        app = Microdot()
        static_files(app, '/static', tree.root)
        client = TestClient(app)
        res = await client.get('/static/leak.txt',
                               headers={'Accept-Encoding': 'gzip'})
        assert res.status_code == 404 and SECRET not in res.body
        res = await client.get('/static/link.txt')
        assert res.status_code == 404 and SECRET not in res.body
        res = await client.get('/static/leak.txt')   # no gzip: no link
        assert res.body == b'plain'
    finally:
        tree.close()


# --- CORS ------------------------------------------------------------------

class FakeRequest:
    """What CORS reads of a request."""

    def __init__(self, method='GET', route=None, allowed_methods=None,
                 **headers):
        self.method = method
        self.route = route
        if allowed_methods is not None:
            self.allowed_methods = allowed_methods
        self.headers = {name.replace('_', '-'): value
                        for name, value in headers.items()}


def test_cors_headers_have_their_exact_names():
    cors = CORS(allowed_origins=['https://a.test'], allow_credentials=True,
                allowed_headers=['X-Token'], max_age=600,
                expose_headers=['X-Count'])
    assert cors.get_cors_headers(FakeRequest(Origin='https://a.test')) == {
        'Vary': 'Origin',
        'Access-Control-Allow-Origin': 'https://a.test',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Expose-Headers': 'X-Count'}
    preflight = FakeRequest('OPTIONS', allowed_methods=['GET', 'PUT'],
                            **{'Origin': 'https://a.test',
                               'Access-Control-Request-Method': 'put',
                               'Access-Control-Request-Headers':
                               'x-token, X-Other'})
    assert cors.get_cors_headers(preflight) == {
        'Vary': 'Origin',
        'Access-Control-Allow-Origin': 'https://a.test',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'PUT',
        'Access-Control-Allow-Headers': 'x-token',
        'Access-Control-Max-Age': '600'}


def test_cors_options_handler_works_before_it_is_attached():
    cors = CORS(allowed_origins=['https://a.test'])
    assert cors.options_handler(FakeRequest(Origin='https://a.test')) == {
        'Vary': 'Origin', 'Access-Control-Allow-Origin': 'https://a.test'}


def test_star_does_not_echo_a_list_or_a_control_character():
    cors = CORS(allowed_origins='*')
    for origin in ('https://a.test,https://b.test', 'https://a\x7f.test',
                   'https://a .test', 'https://a\t.test', ''):
        headers = cors.get_cors_headers(FakeRequest(Origin=origin))
        assert headers == {'Access-Control-Allow-Origin': '*'}, origin
    assert cors.get_cors_headers(FakeRequest(Origin='https://a.test')) == {
        'Access-Control-Allow-Origin': 'https://a.test', 'Vary': 'Origin'}


# --- CSRF ------------------------------------------------------------------

def csrf_app(origins):
    app = Microdot()
    CSRF(app, CORS(app, allowed_origins=origins))

    @app.post('/data')
    async def data(request):
        return 'done'

    return app


async def test_csrf_without_a_host_field_refuses_a_foreign_origin():
    for origin, status in ((b'https://evil.test', 403),
                           (b'https://a.test', 200)):
        answers = await exchange(
            csrf_app(['https://a.test']),
            b'POST /data HTTP/1.1\r\nOrigin: ' + origin +
            b'\r\nContent-Length: 0\r\n\r\n')
        assert [a.status for a in answers] == [status], origin


async def test_csrf_trusts_no_origin_from_a_cors_star():
    client = TestClient(csrf_app('*'), host='api.test')
    for origin in ('*', 'https://evil.test', 'null'):
        res = await client.post('/data', headers={'Origin': origin})
        assert res.status_code == 403, origin
    res = await client.post('/data', headers={'Origin': 'http://api.test'})
    assert res.status_code == 200


async def test_csrf_refuses_subdomains_unless_asked_keeps_early_cors():
    app = Microdot()
    cors = CORS(allowed_origins=['https://a.test'])
    csrf = CSRF(cors=cors)          # attached later, cors given here
    csrf.initialize(app)

    @app.post('/data')
    async def data(request):
        return 'done'

    client = TestClient(app, host='api.test')
    for origin, status in (('https://a.test', 200),
                           ('https://sub.a.test', 403),
                           ('https://sub.api.test', 403),
                           ('http://api.test', 200)):
        res = await client.post('/data', headers={'Origin': origin})
        assert res.status_code == status, origin


async def test_vary_is_extended_once_however_it_is_spelled():
    from microdot import Response
    for vary, expected in (('Accept-Encoding,Origin',
                            'Accept-Encoding,Origin'),
                           ('origin', 'origin'),
                           ('*', '*'),
                           ('Accept-Encoding', 'Accept-Encoding, Origin'),
                           ('', 'Origin')):
        cors = CORS(allowed_origins=['https://a.test'])
        res = Response('x', headers={'Vary': vary})
        cors.after_request(FakeRequest(Origin='https://a.test'), res)
        assert res.headers['Vary'] == expected, vary


def test_credentials_with_star_say_what_to_do():
    from support import raises
    with raises(ValueError) as caught:
        CORS(allowed_origins='*', allow_credentials=True)
    assert str(caught.value) == (
        "CORS: allow_credentials cannot be used with allowed_origins='*' "
        "(any site could read the user's authenticated responses); list "
        "the allowed origins")


async def test_static_files_defaults_and_trailing_slashes():
    from test_static import HELLO
    tree = Tree()
    cwd = os.getcwd()
    try:
        os.chdir(tree.base)
        os.rename('root', 'static')
        app = Microdot()
        static_files(app)           # /static from the folder static
        res = await TestClient(app).get('/static/hello.txt')
        assert res.body == HELLO
        app = Microdot()
        static_files(app, '/files/', tree.base + '/static/')
        client = TestClient(app)
        assert (await client.get('/files/hello.txt')).body == HELLO
        res = await client.get('/files')
        assert res.status_code == 302
        assert res.headers['Location'] == '/files/'
    finally:
        os.chdir(cwd)
        os.rename(tree.base + '/static', tree.root)
        tree.close()


async def test_folders_whose_names_end_in_a_letter_x_or_a_space_are_served():
    tree = Tree()
    try:
        for name in ('endsX', 'ends '):
            folder = tree.base + '/' + name
            os.mkdir(folder)
            write(folder + '/file.txt', b'in ' + name.encode())
            app = Microdot()
            static_files(app, '/s', folder)
            res = await TestClient(app).get('/s/file.txt')
            assert res.body == b'in ' + name.encode(), name
            os.remove(folder + '/file.txt')
            os.rmdir(folder)
    finally:
        tree.close()


async def test_without_realpath_files_are_served_and_escapes_refused():
    # as on MicroPython, which has no os.path.realpath
    import microdot.static as static
    saved = static.realpath
    static.realpath = None
    try:
        async def check(client, tree):
            res = await client.get('/static/hello.txt')
            assert res.status_code == 200
            for path in ('/static/../secret.txt', '/static/%2e%2e/secret.txt',
                         '/static/.hidden'):
                res = await client.get(path)
                assert res.status_code == 404 and SECRET not in res.body
        await with_app(check)
    finally:
        static.realpath = saved


async def test_a_prefix_ending_in_x_is_kept_whole():
    async def check(client, tree):
        from test_static import HELLO
        res = await client.get('/boX/hello.txt')
        assert res.body == HELLO
    await with_app(check, url_prefix='/boX/')
