"""The built-in server over real sockets, on CPython and the unix port."""
import http.client
import os
import socket
import ssl
import subprocess
import time

import httpx
import pytest

APP = 'host_tests/apps/core_app.py'


def connect(server, timeout=5):
    return socket.create_connection((server.host, server.port),
                                    timeout=timeout)


def read_response(sock, head_only=False):
    """Read one response from a socket: (status, headers, body, rest).

    Handles Content-Length, chunked and close-delimited bodies; a response
    to HEAD (``head_only``) has none."""
    data = b''
    while b'\r\n\r\n' not in data:
        piece = sock.recv(4096)
        if not piece:
            raise EOFError('closed before the head ended: %r' % data)
        data += piece
    head, _, rest = data.partition(b'\r\n\r\n')
    lines = head.decode().split('\r\n')
    status = int(lines[0].split(' ')[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    if head_only:
        return status, headers, b'', rest
    if 'content-length' in headers:
        size = int(headers['content-length'])
        while len(rest) < size:
            piece = sock.recv(4096)
            if not piece:
                raise EOFError('body ended early')
            rest += piece
        return status, headers, rest[:size], rest[size:]
    if headers.get('transfer-encoding') == 'chunked':
        body = b''
        while True:
            while b'\r\n' not in rest:
                rest += sock.recv(4096)
            size_line, _, rest = rest.partition(b'\r\n')
            size = int(size_line, 16)
            while len(rest) < size + 2:
                rest += sock.recv(4096)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body, rest
    if status in (204, 304):
        return status, headers, b'', rest
    while True:
        piece = sock.recv(4096)
        if not piece:
            return status, headers, rest, b''
        rest += piece


def is_closed(sock, wait=5):
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b''
    except ConnectionResetError:
        return True


def assert_quiet(server):
    output = server.output()
    assert 'Traceback' not in output, output


def test_keep_alive_serves_two_requests_on_one_connection(start_server,
                                                          runtime):
    server = start_server(APP, runtime)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=5)
    conn.request('GET', '/')
    first = conn.getresponse()
    assert first.read() == b'Hello, world!'
    sock = conn.sock
    conn.request('GET', '/')
    second = conn.getresponse()
    assert second.read() == b'Hello, world!'
    assert conn.sock is sock  # the same TCP connection
    conn.close()


def test_httpx_reuses_the_connection(start_server, runtime):
    server = start_server(APP, runtime)
    with httpx.Client(base_url=server.url) as client:
        ports = set()
        for _ in range(5):
            res = client.get('/', extensions={})
            assert res.text == 'Hello, world!'
            stream = res.extensions['network_stream']
            ports.add(stream.get_extra_info('client_addr')[1])
        assert len(ports) == 1


def test_pipelined_requests_are_answered_in_order(start_server, runtime):
    server = start_server(APP, runtime)
    sock = connect(server)
    sock.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n'
                 b'one'
                 b'GET /stream?n=2 HTTP/1.1\r\nHost: x\r\n\r\n'
                 b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    status, _, body, rest = read_response(sock)
    assert (status, body) == (200, b'one')
    sock2 = _Prefixed(sock, rest)
    status, headers, body, rest = read_response(sock2)
    assert headers['transfer-encoding'] == 'chunked'
    assert body == b'line 0\nline 1\n'
    status, headers, body, _ = read_response(_Prefixed(sock, rest))
    assert body == b'Hello, world!'
    assert headers['connection'] == 'close'
    assert is_closed(sock)


class _Prefixed:
    """A socket whose first recv() returns bytes already read."""

    def __init__(self, sock, prefix):
        self.sock = sock
        self.prefix = prefix

    def recv(self, n):
        if self.prefix:
            data, self.prefix = self.prefix, b''
            return data
        return self.sock.recv(n)


def test_connection_close_is_honoured(start_server, runtime):
    server = start_server(APP, runtime)
    sock = connect(server)
    sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    status, headers, body, _ = read_response(sock)
    assert headers['connection'] == 'close'
    assert is_closed(sock)


def test_http_1_0_client_is_answered_then_closed(start_server, runtime):
    server = start_server(APP, runtime)
    sock = connect(server)
    sock.sendall(b'GET /stream?n=2 HTTP/1.0\r\n\r\n')
    status, headers, body, _ = read_response(sock)  # close-delimited
    assert status == 200
    assert 'transfer-encoding' not in headers
    assert body == b'line 0\nline 1\n'
    sock = connect(server)
    sock.sendall(b'GET / HTTP/1.0\r\n\r\n')
    status, headers, body, _ = read_response(sock)
    assert body == b'Hello, world!'
    assert is_closed(sock)


def test_chunked_request_body(start_server, runtime):
    server = start_server(APP, runtime)
    sock = connect(server)
    sock.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\n'
                 b'Transfer-Encoding: chunked\r\n\r\n'
                 b'5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n'
                 b'Trailer: x\r\n\r\n')
    status, _, body, _ = read_response(sock)
    assert (status, body) == (200, b'hello world')
    # the connection is still usable
    sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    assert read_response(sock)[2] == b'Hello, world!'


def test_large_chunked_body_is_streamed(start_server, runtime):
    server = start_server(APP, runtime, env={'MAX_CONTENT_LENGTH': '200000'})
    payload = os.urandom(100000)

    def chunks():
        for i in range(0, len(payload), 7000):
            yield payload[i:i + 7000]

    res = httpx.post(server.url + '/length', content=chunks())
    assert res.text == str(len(payload))
    res = httpx.post(server.url + '/echo', content=chunks())
    assert res.content == payload


def test_large_body_with_content_length_is_streamed(start_server, runtime):
    server = start_server(APP, runtime, env={'MAX_CONTENT_LENGTH': '300000'})
    payload = os.urandom(250000)
    with httpx.Client(base_url=server.url) as client:
        assert client.post('/echo', content=payload).content == payload
        # a body the handler ignores is skipped; the connection goes on
        assert client.post('/ignore-body', content=payload).text == 'ignored'
        assert client.get('/').text == 'Hello, world!'


def test_body_over_the_limit_is_413_and_closes(start_server, runtime):
    server = start_server(APP, runtime, env={'MAX_CONTENT_LENGTH': '1000'})
    sock = connect(server)
    sock.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000'
                 b'\r\n\r\n' + b'x' * 5000)
    status, headers, _, _ = read_response(sock)
    assert status == 413
    assert headers['connection'] == 'close'
    assert is_closed(sock)
    sock = connect(server)
    sock.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\n'
                 b'Transfer-Encoding: chunked\r\n\r\n'
                 b'800\r\n' + b'y' * 0x800 + b'\r\n0\r\n\r\n')
    assert read_response(sock)[0] == 413
    assert httpx.get(server.url + '/').text == 'Hello, world!'


@pytest.mark.parametrize('request_bytes,status', [
    (b'GARBAGE\r\n\r\n', 400),
    (b'GET / HTTP/1.1\nHost: x\n\n', 400),
    (b'GET /' + b'a' * 3000 + b' HTTP/1.1\r\n\r\n', 414),
    (b'GET / HTTP/1.1\r\nX-Big: ' + b'b' * 3000 + b'\r\n\r\n', 431),
    (b'GET / HTTP/1.1\r\n' + b'X: y\r\n' * 100 + b'\r\n', 431),
    (b'GET / HTTP/3.0\r\n\r\n', 505),
    (b'POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2'
     b'\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: '
     b'chunked\r\n\r\n0\r\n\r\n', 400),
    (b'POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501),
    (b'POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
     b'zz\r\n', 400),
    (b'GET /%zz HTTP/1.1\r\n\r\n', 400),
])
def test_bad_requests_get_the_right_status(start_server, runtime,
                                           request_bytes, status):
    server = start_server(APP, runtime)
    sock = connect(server)
    sock.sendall(request_bytes)
    got, headers, body, _ = read_response(sock)
    assert got == status
    assert body  # a short readable reason
    if status != 400 or b'zz' not in request_bytes:
        assert is_closed(sock)
    assert httpx.get(server.url + '/').text == 'Hello, world!'
    assert_quiet(server)


def test_idle_connection_is_closed_after_idle_timeout(start_server, runtime):
    server = start_server(APP, runtime, env={'IDLE_TIMEOUT': '1'})
    sock = connect(server)
    sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    assert read_response(sock)[2] == b'Hello, world!'
    started = time.monotonic()
    assert is_closed(sock, wait=10)
    assert time.monotonic() - started < 5
    idle = connect(server)  # never sends anything
    assert is_closed(idle, wait=10)


def test_slow_head_gets_408_after_header_timeout(start_server, runtime):
    server = start_server(APP, runtime, env={'HEADER_TIMEOUT': '1'})
    sock = connect(server)
    sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
    started = time.monotonic()
    for _ in range(4):
        time.sleep(0.5)
        try:
            sock.sendall(b'X: y\r\n')
        except OSError:
            break
    status = read_response(sock)[0]
    assert status == 408
    assert time.monotonic() - started < 5
    assert httpx.get(server.url + '/').text == 'Hello, world!'


def test_many_idle_connections_do_not_block_a_new_client(start_server,
                                                         runtime):
    server = start_server(APP, runtime)
    idle = [connect(server) for _ in range(20)]
    for sock in idle[:10]:
        sock.sendall(b'GET / HTT')  # half a request line
    assert httpx.get(server.url + '/', timeout=5).text == 'Hello, world!'
    for sock in idle:
        sock.close()


def test_client_disconnecting_mid_response_is_quiet(start_server, runtime):
    server = start_server(APP, runtime)
    for _ in range(3):
        sock = connect(server)
        sock.sendall(b'GET /stream?n=200000 HTTP/1.1\r\nHost: x\r\n\r\n')
        sock.recv(100)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        b'\x01\x00\x00\x00\x00\x00\x00\x00')
        sock.close()  # reset
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        counters = httpx.get(server.url + '/counters').json()
        if counters['streams_closed'] == 3:
            break
        time.sleep(0.2)
    assert counters['streams_closed'] == 3  # every generator was closed
    assert_quiet(server)


def test_unhandled_exception_is_500_with_traceback_logged(start_server,
                                                          runtime):
    server = start_server(APP, runtime)
    res = httpx.get(server.url + '/error')
    assert res.status_code == 500
    assert httpx.get(server.url + '/').status_code == 200
    time.sleep(0.2)
    assert 'deliberate failure' in server.output()


def test_large_file_is_streamed(start_server, runtime, tmp_path):
    big = tmp_path / 'big.bin'
    payload = os.urandom(1024 * 1024)
    big.write_bytes(payload)
    server = start_server(APP, runtime, env={'BIG_FILE': str(big)})
    with httpx.Client(base_url=server.url) as client:
        res = client.get('/big')
        assert res.headers['content-length'] == str(len(payload))
        assert res.content == payload
        assert client.get('/').text == 'Hello, world!'


def test_head_and_expect_continue(start_server, runtime):
    server = start_server(APP, runtime)
    sock = connect(server)
    sock.sendall(b'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n')
    status, headers, body, rest = read_response(sock, head_only=True)
    assert status == 200 and headers['content-length'] == '13'
    assert rest == b''
    sock.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n'
                 b'Expect: 100-continue\r\n\r\n')
    interim = sock.recv(100)
    assert interim.startswith(b'HTTP/1.1 100 Continue\r\n\r\n')
    sock.sendall(b'data')
    assert read_response(_Prefixed(sock, interim[25:]))[2] == b'data'


def test_cookies_reach_the_app(start_server, runtime):
    server = start_server(APP, runtime)
    res = httpx.get(server.url + '/cookie',
                    headers={'Cookie': 'a=1; b="two"'})
    assert res.json() == {'cookies': {'a': '1', 'b': 'two'}}


def test_shutdown_stops_the_server(start_server, runtime):
    server = start_server(APP, runtime)
    assert httpx.get(server.url + '/shutdown').text == \
        'The server is shutting down...'
    server.process.wait(timeout=10)
    assert 'server stopped' in server.output()


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp('tls')
    key, cert = folder / 'key.pem', folder / 'cert.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec',
                    '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', str(key), '-out', str(cert), '-days', '2',
                    '-subj', '/CN=localhost'], check=True,
                   capture_output=True)
    for name in ('key', 'cert'):
        kind = 'ec' if name == 'key' else 'x509'
        subprocess.run(['openssl', kind, '-in', str(folder / (name + '.pem')),
                        '-outform', 'DER', '-out',
                        str(folder / (name + '.der'))], check=True,
                       capture_output=True)
    return folder


def test_tls(start_server, runtime, certificate):
    # CPython loads PEM; MicroPython's ssl wants DER
    kind = 'pem' if runtime == 'cpython' else 'der'
    server = start_server(APP, runtime, env={
        'TLS_CERT': str(certificate / ('cert.' + kind)),
        'TLS_KEY': str(certificate / ('key.' + kind))})
    context = ssl.create_default_context(
        cafile=str(certificate / 'cert.pem'))
    context.check_hostname = False
    url = 'https://127.0.0.1:{}'.format(server.port)
    with httpx.Client(verify=context) as client:
        assert client.get(url + '/').text == 'Hello, world!'
        assert client.get(url + '/stream?n=2').text == 'line 0\nline 1\n'
