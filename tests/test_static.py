"""microdot.static: a folder served under a URL prefix, through the
TestClient, on every runtime. The same attacks over real sockets (and
symbolic links) are in host_tests/test_static_files.py."""
import os

from support import IS_MICROPYTHON, serve_raw

from microdot import Microdot, Response
from microdot.static import static_files
from microdot.test_client import TestClient

SECRET = b'the secret outside the root'
HELLO = b'hello, static world\n'
PAGE = b'<h1>index</h1>'
CSS = b'body { color: red }'
GZ = b'\x1f\x8b pretend this is gzip'


def temp_dir():
    if IS_MICROPYTHON:
        import time
        getenv = getattr(os, 'getenv', None)    # boards have none
        top = (getenv and getenv('TMPDIR')) or '/tmp'
        try:
            os.mkdir(top)                       # a board's has no /tmp
        except OSError:
            pass
        path = top + '/mdfw-static-{}'.format(time.ticks_us())
        os.mkdir(path)
        return path
    import tempfile
    return tempfile.mkdtemp(prefix='mdfw-static-')


def is_dir(path):
    return os.stat(path)[0] & 0o170000 == 0o040000


def remove_tree(path):
    for name in os.listdir(path):
        child = path + '/' + name
        if is_dir(child):
            remove_tree(child)
        else:
            os.remove(child)
    os.rmdir(path)


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


class Tree:
    """base/secret.txt outside the served root base/root, which holds
    hello.txt, style.css (+ .gz), only.js.gz, index.html, docs/index.html,
    empty/ (no index), .hidden, and a folder named like a file: dir.txt/."""

    def __init__(self):
        self.base = temp_dir()
        self.root = self.base + '/root'
        write(self.base + '/secret.txt', SECRET)
        os.mkdir(self.root)
        write(self.root + '/hello.txt', HELLO)
        write(self.root + '/index.html', PAGE)
        write(self.root + '/style.css', CSS)
        write(self.root + '/style.css.gz', GZ)
        write(self.root + '/only.js.gz', GZ)
        write(self.root + '/.hidden', SECRET)
        os.mkdir(self.root + '/docs')
        write(self.root + '/docs/index.html', b'docs ' + PAGE)
        os.mkdir(self.root + '/empty')
        os.mkdir(self.root + '/dir.txt')

    def close(self):
        remove_tree(self.base)


async def with_app(test, **options):
    tree = Tree()
    app = Microdot()

    @app.route('/other')   # routes match in order: a folder at '/' last
    async def other(request):
        return 'other route'

    static_files(app, options.pop('url_prefix', '/static'), tree.root,
                 **options)

    try:
        await test(TestClient(app), tree)
    finally:
        tree.close()


async def test_serves_a_file_with_its_type_length_and_cache_control():
    async def check(client, tree):
        res = await client.get('/static/hello.txt')
        assert res.status_code == 200
        assert res.body == HELLO
        assert res.headers['Content-Type'] == 'text/plain'
        assert res.headers['Content-Length'] == str(len(HELLO))
        assert res.headers['Cache-Control'] == 'max-age=3600'
        res = await client.get('/static/style.css')
        assert res.headers['Content-Type'] == 'text/css'
        assert res.body == CSS
        assert 'Content-Encoding' not in res.headers
        assert res.headers['Vary'] == 'Accept-Encoding'
        assert (await client.get('/other')).text == 'other route'
    await with_app(check, max_age=3600)


async def test_max_age_defaults_to_send_files_default():
    async def check(client, tree):
        res = await client.get('/static/hello.txt')
        assert 'Cache-Control' not in res.headers
        Response.default_send_file_max_age = 60
        try:
            res = await client.get('/static/hello.txt')
        finally:
            Response.default_send_file_max_age = None
        assert res.headers['Cache-Control'] == 'max-age=60'
    await with_app(check)


async def test_folders_serve_their_index():
    async def check(client, tree):
        res = await client.get('/static/')
        assert (res.status_code, res.body) == (200, PAGE)
        assert res.headers['Content-Type'] == 'text/html'
        res = await client.get('/static/docs/')
        assert res.body == b'docs ' + PAGE
        for path, location in (('/static', '/static/'),
                               ('/static/docs', '/static/docs/'),
                               ('/static/docs?x=1', '/static/docs/?x=1')):
            res = await client.get(path)
            assert res.status_code == 302, path
            assert res.headers['Location'] == location
        assert (await client.get('/static/empty/')).status_code == 404
    await with_app(check)


async def test_without_index_folders_are_404():
    async def check(client, tree):
        for path in ('/static/', '/static/docs/', '/static/docs'):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.get('/static/hello.txt')).body == HELLO
    await with_app(check, index=None)


async def test_head_sends_the_headers_only():
    async def check(client, tree):
        res = await client.request('HEAD', '/static/hello.txt')
        assert res.status_code == 200
        assert res.headers['Content-Length'] == str(len(HELLO))
        assert res.body is None     # by the nature of HEAD
        raw = await serve_raw(client.app, b'HEAD /static/hello.txt '
                              b'HTTP/1.1\r\nHost: x\r\n\r\n')
        assert raw.endswith(b'\r\n\r\n') and b'200 OK' in raw, raw
    await with_app(check)


async def test_other_methods_are_405():
    async def check(client, tree):
        for method in ('POST', 'PUT', 'DELETE'):
            res = await client.request(method, '/static/hello.txt')
            assert res.status_code == 405
            assert 'GET' in res.headers['Allow']
    await with_app(check)


async def test_missing_files_and_files_asked_as_folders_are_404():
    async def check(client, tree):
        for path in ('/static/nope.txt', '/static/hello.txt/',
                     '/static/docs/nope', '/static/hello.txt/x',
                     '/static/dir.txt/'):
            res = await client.get(path)
            assert res.status_code == 404, path
        # a folder, whatever its name: sent to its index, which is missing
        assert (await client.get('/static/dir.txt')).status_code == 302
    await with_app(check)


async def test_gzip_variant_is_sent_when_the_client_accepts_it():
    async def check(client, tree):
        for accept in ('gzip', 'deflate, gzip', 'GZIP;q=0.5', 'br, *',
                       'x-gzip', 'gzip;q=1.0, br;q=0'):
            res = await client.get('/static/style.css',
                                   headers={'Accept-Encoding': accept})
            assert res.body == GZ, accept
            assert res.headers['Content-Encoding'] == 'gzip'
            assert res.headers['Content-Type'] == 'text/css'
            assert res.headers['Content-Length'] == str(len(GZ))
            assert res.headers['Vary'] == 'Accept-Encoding'
        for accept in ('', 'identity', 'gzip;q=0', 'br', '*;q=0',
                       'gzip;q=0, *', 'gzip;q=zero', 'gzipx'):
            res = await client.get('/static/style.css',
                                   headers={'Accept-Encoding': accept})
            assert res.body == CSS, accept
            assert 'Content-Encoding' not in res.headers
    await with_app(check)


async def test_a_file_stored_only_compressed():
    async def check(client, tree):
        res = await client.get('/static/only.js',
                               headers={'Accept-Encoding': 'gzip'})
        assert res.body == GZ
        assert res.headers['Content-Type'] == 'application/javascript'
        assert res.headers['Content-Encoding'] == 'gzip'
        res = await client.get('/static/only.js')
        assert res.status_code == 404
    await with_app(check)


async def test_gzip_false_ignores_the_variants():
    async def check(client, tree):
        res = await client.get('/static/style.css',
                               headers={'Accept-Encoding': 'gzip'})
        assert res.body == CSS
        assert 'Vary' not in res.headers
        assert (await client.get('/static/only.js',
                                 headers={'Accept-Encoding': 'gzip'})
                ).status_code == 404
    await with_app(check, gzip=False)


# Requests that try to leave the root or reach what must stay hidden; the
# TestClient sends the target as given, percent-escapes included.
ESCAPES = (
    '/static/../secret.txt',
    '/static/docs/../../secret.txt',
    '/static/%2e%2e/secret.txt',
    '/static/%2E%2E%2Fsecret.txt',
    '/static/.%2e/secret.txt',
    '/static/%2e./secret.txt',
    '/static/docs/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/static//%2e%2e/secret.txt',
    '/static//etc/passwd',
    '/static/%2Fetc%2Fpasswd',
    '/static/..%5Csecret.txt',
    '/static/%5C..%5Csecret.txt',
    '/static/docs%5C..%5C..%5Csecret.txt',
    '/static/.hidden',
    '/static/%2Ehidden',
    '/static/./hello.txt',
    '/static/docs/./index.html',
    '/static/hello.txt%00.html',
    '/static/%00',
    '/static/docs%0A/index.html',
    '/static/...',
    '/static/....//secret.txt',
)


async def test_paths_that_would_leave_the_root_are_refused():
    async def check(client, tree):
        for path in ESCAPES:
            res = await client.get(path)
            assert res.status_code == 404, (path, res.status_code)
            assert SECRET not in res.body, path
        # overlong UTF-8 forms of '.' and '/' never reach the helper
        for path in ('/static/%c0%ae%c0%ae/secret.txt',
                     '/static/%c0%af..%c0%afsecret.txt'):
            res = await client.get(path)
            assert res.status_code == 400, path
    await with_app(check)


async def test_served_at_the_root_of_the_site():
    async def check(client, tree):
        assert (await client.get('/')).body == PAGE
        assert (await client.get('/hello.txt')).body == HELLO
        assert (await client.get('/other')).text == 'other route'
        for path in ('//secret.txt', '/%2Fsecret.txt', '/../secret.txt',
                     '//evil.example/'):
            res = await client.get(path)
            assert res.status_code == 404, path   # never an open redirect
            assert 'Location' not in res.headers
    await with_app(check, url_prefix='')
