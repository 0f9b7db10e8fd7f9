"""microdot.static over real sockets on every runtime: raw request targets
that try to leave the folder (no client normalises them here), symbolic
links out of it, gzip variants, large files, and no file left open."""
import gzip
import os
import socket

import httpx
import pytest

from attack import (ResponseReader, assert_serves, connect,
                    selected_runtimes, settle, start_for)

SECRET = b'the secret outside the root'
CSS = b'body { color: red }\n' * 50


@pytest.fixture(scope='module')
def tree(tmp_path_factory):
    base = tmp_path_factory.mktemp('static')
    (base / 'secret.txt').write_bytes(SECRET)
    (base / 'root-evil').mkdir()
    (base / 'root-evil' / 'x.txt').write_bytes(SECRET)
    root = base / 'root'
    root.mkdir()
    (root / 'hello.txt').write_bytes(b'hello\n')
    (root / 'index.html').write_bytes(b'<h1>index</h1>')
    (root / 'style.css').write_bytes(CSS)
    (root / 'style.css.gz').write_bytes(gzip.compress(CSS))
    (root / 'big.bin').write_bytes(os.urandom(1024 * 1024))
    (root / 'docs').mkdir()
    (root / 'docs' / 'index.html').write_bytes(b'docs')
    # symbolic links: out of the root (a file, a folder, a sibling folder
    # whose name starts like the root's) and one that stays inside
    os.symlink('../secret.txt', str(root / 'link-out.txt'))
    os.symlink('..', str(root / 'up'))
    os.symlink('../root-evil', str(root / 'evil'))
    os.symlink('hello.txt', str(root / 'link-in.txt'))
    return base


@pytest.fixture(scope='module', params=selected_runtimes())
def server(request, tree):
    server = start_for(request, request.param,
                       env={'STATIC_ROOT': str(tree / 'root')})
    yield server
    server.stop()


def raw_get(port, target, headers=b''):
    sock = connect(port)
    try:
        sock.sendall(b'GET ' + target + b' HTTP/1.1\r\nHost: x\r\n' +
                     headers + b'Connection: close\r\n\r\n')
        return ResponseReader(sock).read()
    finally:
        sock.close()


ESCAPES = [
    b'/static/../secret.txt',
    b'/static/./../secret.txt',
    b'/static/docs/../../secret.txt',
    b'/static/' + b'../' * 20 + b'etc/passwd',
    b'/static/..\\secret.txt',
    b'/static/docs\\..\\..\\secret.txt',
    b'/static/%2e%2e/secret.txt',
    b'/static/%2E%2E%2Fsecret.txt',
    b'/static/.%2e/secret.txt',
    b'/static/%2e%2e%5csecret.txt',
    b'/static/%252e%252e/secret.txt',
    b'/static//etc/passwd',
    b'/static/%2fetc%2fpasswd',
    b'/static/%00/../secret.txt',
    b'/static/hello.txt%00',
    b'/static/secret.txt/..',
    b'/static/.hidden',
    b'http://x/static/../secret.txt',
    b'http://x/static/%2e%2e/secret.txt',
]
MALFORMED = [     # refused by the parser before any route: 400
    b'/static/%c0%ae%c0%ae/secret.txt',
    b'/static/\xc0\xae\xc0\xae/secret.txt',
    b'/static/%e0%80%ae%e0%80%ae/secret.txt',
    b'/static/\x00/secret.txt',
    b'/static/%zz/secret.txt',
]


@pytest.mark.parametrize('target', ESCAPES + MALFORMED,
                         ids=[t.decode('latin-1') for t in
                              ESCAPES + MALFORMED])
def test_targets_that_would_leave_the_root(server, target):
    status, _, body = raw_get(server.port, target)
    assert status == (400 if target in MALFORMED else 404)
    assert SECRET not in body
    assert_serves(server.port)


def test_symbolic_links_out_of_the_root_are_404(server):
    if server.runtime != 'cpython':
        pytest.skip('MicroPython cannot resolve symbolic links (it has no '
                    'os.path.realpath); boards have none; see '
                    'docs/security.md')
    for target in (b'/static/link-out.txt', b'/static/up/secret.txt',
                   b'/static/evil/x.txt'):
        status, _, body = raw_get(server.port, target)
        assert status == 404, target
        assert SECRET not in body


def test_symbolic_link_inside_the_root_is_served(server):
    status, _, body = raw_get(server.port, b'/static/link-in.txt')
    assert (status, body) == (200, b'hello\n')


def test_files_index_and_gzip_over_the_wire(server):
    url = 'http://127.0.0.1:{}'.format(server.port)
    with httpx.Client(base_url=url) as client:
        res = client.get('/static/')
        assert res.text == '<h1>index</h1>'
        assert res.headers['cache-control'] == 'max-age=60'
        res = client.get('/static/docs', follow_redirects=True)
        assert res.text == 'docs'
        res = client.get('/static/style.css')   # httpx accepts gzip
        assert res.headers['content-encoding'] == 'gzip'
        assert res.headers['vary'] == 'Accept-Encoding'
        assert res.content == CSS               # decompressed by httpx
        res = client.get('/static/style.css',
                         headers={'Accept-Encoding': 'identity'})
        assert 'content-encoding' not in res.headers
        assert res.content == CSS


def test_large_files_stream_and_none_stays_open(server, tree):
    payload = (tree / 'root' / 'big.bin').read_bytes()
    before = settle(server.port, timeout=0)
    url = 'http://127.0.0.1:{}'.format(server.port)
    with httpx.Client(base_url=url) as client:
        for _ in range(3):
            assert client.get('/static/big.bin').content == payload
            assert client.head('/static/big.bin').headers[
                'content-length'] == str(len(payload))
    for _ in range(5):   # downloads abandoned half-way
        sock = connect(server.port)
        sock.sendall(b'GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n')
        sock.recv(10000)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        b'\x01\x00\x00\x00\x00\x00\x00\x00')
        sock.close()     # reset
    after = settle(server.port, connections=0, fds=before['fds'])
    assert after['connections'] == 0
    assert after['fds'] == before['fds']   # every file was closed
    assert 'Traceback' not in server.output()
