"""microdot.asgi under uvicorn and microdot.wsgi under gunicorn, end to end.

Real server processes on 127.0.0.1, started here and stopped by pid:

- the shared routes of apps/routes_asgi_wsgi.py, served four ways with the
  same handlers: `uvicorn app_asgi:app`, `gunicorn app_wsgi:app` (threaded
  worker), and both apps' `run()` (the built-in server);
- every seed example of examples/asgi and examples/wsgi, under the server
  its docstring names;
- lifespan hooks and `shutdown()`, which end the process.

Clients: httpx, raw sockets (to leave mid-response) and the websockets
client.
"""
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as ws_connect

from processes import free_port, is_listening

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS = os.path.join(ROOT, 'host_tests', 'apps')
EXAMPLES = os.path.join(ROOT, 'examples')
HOST = '127.0.0.1'
START_TIMEOUT = 20
STOP_TIMEOUT = 10
# how a server ends after shutdown(): uvicorn re-raises the SIGTERM it
# handled gracefully, gunicorn and the built-in server exit with 0
EXIT_OK = (0, -signal.SIGTERM)


# --- server processes ---------------------------------------------------
def server_command(kind, module, port):
    """argv serving `module`'s `app` with: uvicorn, gunicorn, or the
    module's own `app.run()` (builtin)."""
    if kind == 'uvicorn':
        return [sys.executable, '-m', 'uvicorn', module + ':app',
                '--host', HOST, '--port', str(port)]
    if kind == 'gunicorn':
        return [sys.executable, '-m', 'gunicorn', module + ':app',
                '--bind', '{}:{}'.format(HOST, port),
                '--worker-class', 'gthread', '--threads', '8',
                '--no-control-socket', '--graceful-timeout', '3']
    if kind == 'builtin':
        return [sys.executable, module + '.py']
    raise ValueError(kind)


class ServerProcess:
    """One server process: `url`, `pid`, `output()`, `stop()`.
    `extra_env` adds to its environment, `args` to its command line."""

    def __init__(self, kind, module, cwd, log_path, data_dir=None,
                 extra_env=None, args=()):
        self.kind = kind
        self.port = free_port()
        self.url = 'http://{}:{}'.format(HOST, self.port)
        self.log_path = str(log_path)
        env = dict(os.environ, PORT=str(self.port), PYTHONUNBUFFERED='1',
                   PYTHONPATH=os.pathsep.join(
                       [os.path.join(ROOT, 'modules'),
                        os.path.join(ROOT, 'deps')]))
        if data_dir is not None:
            env['APP_DATA'] = str(data_dir)
        env.update(extra_env or {})
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                server_command(kind, module, self.port) + list(args),
                cwd=cwd, env=env,
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        deadline = time.monotonic() + START_TIMEOUT
        while not is_listening(self.port):
            if self.process.poll() is not None or \
                    time.monotonic() > deadline:
                self.stop()
                pytest.fail('{} {} did not start listening; output:\n{}'
                            .format(kind, module, self.output()),
                            pytrace=False)
            time.sleep(0.05)

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait_exit(self, timeout=STOP_TIMEOUT):
        """The exit status once the process ends on its own, or None."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            if self.wait_exit() is None:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        return self.process.returncode


@pytest.fixture
def start(tmp_path):
    """start(kind, module, cwd=APPS, data_dir=None) -> ServerProcess;
    every process started is stopped at teardown."""
    started = []

    def starter(kind, module, cwd=APPS, data_dir=None):
        server = ServerProcess(kind, module, cwd, tmp_path / 'server{}.log'
                               .format(len(started)), data_dir)
        started.append(server)
        return server

    yield starter
    for server in started:
        server.stop()


def client(server, **kwargs):
    return httpx.Client(base_url=server.url, trust_env=False, timeout=10,
                        **kwargs)


# --- the shared routes, served four ways ----------------------------------
SERVED = {
    'uvicorn': ('uvicorn', 'app_asgi'),
    'gunicorn': ('gunicorn', 'app_wsgi'),
    'run-asgi': ('builtin', 'app_asgi'),
    'run-wsgi': ('builtin', 'app_wsgi'),
}
BIG_FILE = bytes(range(256)) * 1200          # 300 KB
SMALL_TEXT = 'a small text file\n'


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp('app-data')
    (path / 'big.bin').write_bytes(BIG_FILE)
    (path / 'small.txt').write_text(SMALL_TEXT)
    return path


@pytest.fixture(scope='module', params=sorted(SERVED))
def served(request, data_dir, tmp_path_factory):
    kind, module = SERVED[request.param]
    log = tmp_path_factory.mktemp('logs') / (request.param + '.log')
    server = ServerProcess(kind, module, APPS, log, data_dir)
    server.name = request.param
    yield server
    server.stop()


def test_plain_get_runs_hooks(served):
    with client(served) as http:
        res = http.get('/')
    assert res.status_code == 200
    assert res.text == 'hello'
    assert res.headers['content-type'] == 'text/plain; charset=UTF-8'
    assert res.headers['content-length'] == '5'
    assert res.headers['x-after'] == 'yes'


def test_request_is_built_from_the_server_data(served):
    with client(served) as http:
        res = http.get('/info?a=1&a=two%20words', headers={'X-Test': 'yes'})
    info = res.json()
    assert info['method'] == 'GET'
    assert info['path'] == '/info'
    assert info['query'] == 'a=1&a=two%20words'
    assert info['args'] == ['1', 'two words']
    assert info['client'] == '127.0.0.1'
    assert info['scheme'] == 'http'
    # as in Microdot: the ASGI/WSGI server's 'HTTP/1.1', the built-in
    # server's '1.1'
    assert info['version'] == \
        ('HTTP/1.1' if served.name in ('uvicorn', 'gunicorn') else '1.1')
    assert info['g'] is True
    assert info['test_header'] == 'yes'
    # request.asgi_scope / request.environ: what the server passed in
    assert info['asgi'] == ('http' if served.name == 'uvicorn' else None)
    assert info['wsgi'] == ('GET' if served.name == 'gunicorn' else None)


def test_sync_and_async_handlers(served):
    with client(served) as http:
        assert http.get('/sync?x=7').json() == {'sync': True, 'args': '7'}
        assert http.get('/number/42').json() == {'n': 42}


def test_percent_encoded_paths_decode_once(served):
    with client(served) as http:
        assert http.get('/path/a%20b/%C3%A9t%C3%A9').text == 'a b/été'
        assert http.get('/path/100%25').text == '100%'
        assert http.get('/path/x%2541').text == 'x%41'


def test_json_and_form_bodies(served):
    with client(served) as http:
        res = http.post('/json', json={'k': [1, 2, 'three']})
        assert res.json() == {'got': {'k': [1, 2, 'three']}}
        res = http.post('/form', data={'name': 'Zoë', 'n': ['1', '2']})
        assert res.json() == {'name': 'Zoë', 'all': ['1', '2']}


def test_small_body_is_in_memory(served):
    with client(served) as http:
        res = http.post('/upload', content=b'z' * 100)
    assert res.json() == {'size': 100, 'in_memory': 100, 'streamed': False,
                          'sha256': hashlib.sha256(b'z' * 100).hexdigest()}


def test_large_body_streams(served):
    body = os.urandom(1536 * 1024)
    with client(served) as http:
        res = http.post('/upload', content=body)
    assert res.json() == {'size': len(body), 'in_memory': 0,
                          'streamed': True,
                          'sha256': hashlib.sha256(body).hexdigest()}


def test_chunked_bodies_small_and_large(served):
    body = os.urandom(300 * 1024)

    def pieces(data, size):
        for i in range(0, len(data), size):
            yield data[i:i + size]

    with client(served) as http:
        res = http.post('/upload', content=pieces(body, 7000))
        assert res.json() == {'size': len(body), 'in_memory': 0,
                              'streamed': True,
                              'sha256': hashlib.sha256(body).hexdigest()}
        res = http.post('/upload', content=pieces(b'tiny body', 4))
        assert res.json()['in_memory'] == 9


@pytest.mark.parametrize('sent', [1000, 200000])   # in memory; streamed
def test_client_leaving_mid_upload_is_quiet(served, sent):
    before = len(served.output())
    with socket.create_connection((HOST, served.port), timeout=10) as sock:
        sock.sendall(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Length: 1000000\r\n\r\n' + b'u' * sent)
        time.sleep(0.2)
    with client(served) as http:   # still serving
        assert http.get('/').text == 'hello'
    time.sleep(0.2)
    log = served.output()[before:].lower()
    assert 'traceback' not in log and 'error' not in log, log


def test_declared_body_over_the_limit_is_413(served):
    with socket.create_connection((HOST, served.port), timeout=10) as sock:
        sock.sendall(b'POST /upload HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Length: 9000000\r\n\r\n')
        head = sock.recv(4096)
    assert head.startswith(b'HTTP/1.1 413 '), head


def test_cookies_both_ways(served):
    with client(served) as http:
        res = http.get('/cookies', headers={'Cookie': 'x=1; y=two'})
    assert res.json() == {'cookies': {'x': '1', 'y': 'two'}}
    cookies = res.headers.get_list('set-cookie')
    assert 'a=1; HttpOnly' in cookies
    assert 'b=2; Path=/' in cookies
    assert any(c.startswith('old=;') and 'Max-Age=0' in c for c in cookies)
    assert len(cookies) == 3


def test_status_headers_redirect_and_no_content(served):
    with client(served) as http:
        res = http.get('/status')
        assert (res.status_code, res.text) == (201, 'made')
        assert res.headers['x-custom'] == 'value'
        res = http.get('/redirect')
        assert res.status_code == 302
        assert res.headers['location'] == '/'
        res = http.get('/empty')
        assert res.status_code == 204
        assert res.content == b''


def test_error_statuses(served):
    with client(served) as http:
        assert http.get('/abort').status_code == 403
        res = http.get('/crash')
        assert (res.status_code, res.text) == (500, 'Internal server error')
        res = http.get('/divide')
        assert (res.status_code, res.json()) == (418, {'error': 'division'})
        res = http.get('/nowhere')
        assert (res.status_code, res.json()) == (404, {'error': 'not here'})
        res = http.post('/')
        assert res.status_code == 405
        assert 'GET' in res.headers['allow']
        res = http.get('/bad-header')
        assert res.status_code == 500
        assert 'injected' not in res.headers
    assert 'this handler fails on purpose' in served.output()


def test_head_has_headers_only(served):
    with client(served) as http:
        res = http.head('/')
        assert (res.status_code, res.content) == (200, b'')
        assert res.headers['content-length'] == '5'
        res = http.head('/file')
        assert (res.status_code, res.content) == (200, b'')
        assert res.headers['content-length'] == str(len(BIG_FILE))


def test_sync_generator_response(served):
    with client(served) as http:
        res = http.get('/stream/sync')
    assert res.status_code == 200
    assert res.text == ''.join('line {}\n'.format(i) for i in range(5))


def test_async_generator_response(served):
    with client(served) as http:
        res = http.get('/stream/async')
        assert res.text == ''.join('async {}\n'.format(i) for i in range(5))
        with http.stream('GET', '/stream/async') as res:
            parts = list(res.iter_raw())
    assert b''.join(parts).count(b'async') == 5


def test_send_file(served):
    with client(served) as http:
        res = http.get('/file')
        assert res.status_code == 200
        assert res.content == BIG_FILE
        assert res.headers['content-length'] == str(len(BIG_FILE))
        assert res.headers['content-type'] == 'application/octet-stream'
        res = http.get('/file.txt')
        assert res.text == SMALL_TEXT
        assert res.headers['content-type'] == 'text/plain'
        assert res.headers['cache-control'] == 'max-age=60'


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_server_sent_events(served):
    with client(served) as http:
        res = http.get('/sse/three')
    assert res.headers['content-type'] == 'text/event-stream'
    assert res.text == ''.join(
        'event: tick\nid: {0}\ndata: {{"i": {0}}}\n\n'.format(i)
        for i in range(3))


@pytest.mark.parametrize('route,body', [
    ('/stream/forever/', 'async'),     # an async generator
    ('/stream/forever/', 'sync'),      # a generator
    ('/sse/forever/', 'sse'),          # an SSE handler task
])
def test_client_leaving_mid_stream_closes_the_body_quietly(served, route,
                                                           body):
    name = '{}-{}'.format(body, time.monotonic_ns())
    before = len(served.output())
    with socket.create_connection((HOST, served.port), timeout=10) as sock:
        sock.sendall('GET {}{} HTTP/1.1\r\nHost: x\r\n\r\n'.format(
            route, name).encode())
        received = b''
        while received.count(b'tick') + received.count(b'ping') < 3 and \
                len(received) < 20000:
            received += sock.recv(4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        b'\x01\x00\x00\x00\x00\x00\x00\x00')  # RST on close
    assert received.startswith(b'HTTP/1.1 200')

    def closed():
        with client(served) as http:
            return name in http.get('/state').json()['closed']
    assert wait_for(closed), 'the streamed body was not closed'
    time.sleep(0.2)
    log = served.output()[before:].lower()
    assert 'traceback' not in log and 'error' not in log, log


def test_websocket_echo_text_and_binary(served):
    url = served.url.replace('http', 'ws', 1)
    before = len(served.output())
    with client(served) as http:
        ended = http.get('/state').json()['ws_ended']
    with ws_connect(url + '/ws/echo', open_timeout=10) as ws:
        for message in ('hello', b'\x00\xffbinary', 'é' * 5000,
                        os.urandom(70000)):
            ws.send(message)
            assert ws.recv(timeout=10) == message
    with ws_connect(url + '/ws/hello', open_timeout=10) as ws:
        ws.send('you')
        assert ws.recv(timeout=10) == 'hello you'
        assert ws.recv(timeout=10) == b'\x00\x01bytes'

    def handler_ended():
        with client(served) as http:
            return http.get('/state').json()['ws_ended'] == ended + 1
    assert wait_for(handler_ended), 'the echo handler did not end'
    assert 'Traceback' not in served.output()[before:]


def test_websocket_message_over_the_limit_closes_with_1009(served):
    url = served.url.replace('http', 'ws', 1)
    with ws_connect(url + '/ws/echo', open_timeout=10,
                    max_size=None) as ws:
        ws.send(b'x' * (100 * 1024))
        assert len(ws.recv(timeout=10)) == 100 * 1024
        ws.send(b'x' * (100 * 1024 + 1))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert ws.close_code == 1009


def test_websocket_route_answers_plain_http_with_400(served):
    with client(served) as http:
        assert http.get('/ws/echo').status_code == 400
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(served.url.replace('http', 'ws', 1) + '/nowhere',
                   open_timeout=10)
    assert refused.value.response.status_code == 404


# --- lifespan and shutdown ------------------------------------------------
@pytest.mark.parametrize('name', sorted(SERVED))
def test_shutdown_stops_the_server(start, tmp_path, name):
    kind, module = SERVED[name]
    server = start(kind, module, data_dir=tmp_path)
    with client(server) as http:
        state = http.get('/state').json()
        res = http.get('/shutdown')
    assert (res.status_code, res.text) == (200, 'stopping')
    assert server.wait_exit() in EXIT_OK, server.output()
    events = (tmp_path / 'events').read_text().split('\n') \
        if (tmp_path / 'events').exists() else []
    if module == 'app_asgi':
        # lifespan hooks: ASGI's, or run()'s around the built-in server
        assert state['startup'] == 1
        assert events[:2] == ['startup lifespan', 'shutdown'], events
    else:
        assert state['startup'] == 0 and events == []


def test_failing_lifespan_startup_stops_uvicorn(start, tmp_path):
    (tmp_path / 'fail-startup').write_text('')
    port = free_port()
    log = tmp_path / 'uvicorn.log'
    with open(log, 'wb') as out:
        process = subprocess.Popen(
            server_command('uvicorn', 'app_asgi', port), cwd=APPS,
            env=dict(os.environ, APP_DATA=str(tmp_path),
                     PYTHONPATH=os.path.join(ROOT, 'modules')),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        status = process.wait(timeout=START_TIMEOUT)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
    output = log.read_text()
    assert status != 0, output
    assert 'startup refused on purpose' in output
    assert not is_listening(port)


# --- the seed's examples ---------------------------------------------------
def example(kind, path):
    """(cwd, module) of an example file, served by uvicorn or gunicorn."""
    folder, name = os.path.split(os.path.join(EXAMPLES, path))
    return kind, name[:-3], folder


@pytest.mark.parametrize('kind,path', [
    ('uvicorn', 'asgi/hello_asgi.py'),
    ('gunicorn', 'wsgi/hello_wsgi.py'),
])
def test_hello_example_serves_and_shuts_down(start, kind, path):
    kind, module, folder = example(kind, path)
    server = start(kind, module, cwd=folder)
    with client(server) as http:
        res = http.get('/')
        assert res.status_code == 200
        assert res.headers['content-type'].startswith('text/html')
        assert 'Hello from Microdot!' in res.text
        assert 'href="/shutdown"' in res.text
        res = http.get('/shutdown')
        assert res.status_code == 200
    assert server.wait_exit() in EXIT_OK, server.output()
    assert 'Traceback' not in server.output()


@pytest.mark.parametrize('kind,path', [
    ('uvicorn', 'asgi/utemplate/hello_asgi.py'),
    ('uvicorn', 'asgi/jinja/hello_asgi.py'),
    ('gunicorn', 'wsgi/utemplate/hello_wsgi.py'),
    ('gunicorn', 'wsgi/jinja/hello_wsgi.py'),
])
def test_template_examples_render_the_form(start, kind, path):
    kind, module, folder = example(kind, path)
    server = start(kind, module, cwd=folder)
    with client(server) as http:
        res = http.get('/')
        assert res.status_code == 200
        assert res.headers['content-type'].startswith('text/html')
        assert '<form method="POST">' in res.text
        assert 'Hello,' not in res.text
        res = http.post('/', data={'name': 'Ana & Bo'})
        assert res.status_code == 200
        assert 'Hello, Ana &amp; Bo!' in res.text or \
            'Hello, Ana & Bo!' in res.text
    assert 'Traceback' not in server.output()


@pytest.mark.parametrize('kind,path', [
    ('uvicorn', 'asgi/echo_asgi.py'),
    ('gunicorn', 'wsgi/echo_wsgi.py'),
])
def test_echo_examples(start, kind, path):
    kind, module, folder = example(kind, path)
    server = start(kind, module, cwd=folder)
    with client(server) as http:
        res = http.get('/')
    assert res.status_code == 200
    assert res.headers['content-type'] == 'text/html'
    with open(os.path.join(folder, 'index.html'), 'rb') as f:
        assert res.content == f.read()
    with ws_connect(server.url.replace('http', 'ws', 1) + '/echo',
                    open_timeout=10) as ws:
        for message in ('one', 'two', b'\x01\x02'):
            ws.send(message)
            assert ws.recv(timeout=10) == message
    time.sleep(0.2)
    assert 'Traceback' not in server.output()
