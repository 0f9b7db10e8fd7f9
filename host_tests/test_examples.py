"""Every example runs with the command the README gives, on 127.0.0.1 at
the port the environment names.

The commands are read from the README's Examples table, so that the
README and this test cannot drift apart: each one runs as a user would
type it (``bash -c`` from the repository root, in a process group of its
own), a few requests check that the example does what its row says, and
the process group we created is stopped by its id.

The commands would serve on fixed ports (5000, uvicorn and gunicorn
8000). Each command gets a free port in the environment where it is
honoured (HTTP_PORT for `make run` and our apps, UVICORN_PORT,
GUNICORN_CMD_ARGS), and the test checks that the processes of the group
listen on 127.0.0.1 at that port and nowhere else: an example that ignores
HTTP_PORT fails here instead of fighting other programs for 5000, and one
that listens on every interface (reachable from the network) fails too.
PORT names yet another free port, which every example must leave alone:
it is the serial port of `make deploy` on the command line, and other
programs' HTTP port. The ASGI and WSGI examples, which the README serves
with uvicorn and gunicorn, also run as scripts (``python hello_asgi.py``,
the built-in server), on the port HTTP_PORT names.
"""
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import time

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, 'README.md')
EXAMPLES = os.path.join(ROOT, 'examples')
HOST = '127.0.0.1'
START_TIMEOUT = 60      # `make run` may first check .venv and deps/
ROW = re.compile(r'^\| \[`(examples/[^`]+)`\]\([^)]*\) \|.*\| (.+) \|$')


def readme_examples():
    """[(example path, [commands])] from the README's Examples table."""
    rows = []
    with open(README) as f:
        for line in f:
            match = ROW.match(line.strip())
            if match:
                rows.append((match.group(1),
                             re.findall(r'`([^`]+)`', match.group(2))))
    return rows


def example_apps():
    """Every example application: a .py file under examples/ that makes a
    Microdot app (compiled templates and helper modules are not apps)."""
    found = []
    for folder, dirs, files in os.walk(EXAMPLES):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(files):
            if not name.endswith('.py') or name.endswith('_html.py'):
                continue
            path = os.path.join(folder, name)
            with open(path) as f:
                if 'Microdot(' in f.read():
                    found.append(os.path.relpath(path, ROOT))
    return found


def test_the_readme_lists_every_example_with_a_command():
    listed = [path for path, _ in readme_examples()]
    assert listed, 'no Examples table found in README.md'
    assert len(listed) == len(set(listed)), 'an example is listed twice'
    missing = sorted(set(example_apps()) - set(listed))
    assert not missing, 'add these to the Examples table of README.md: ' + \
        ', '.join(missing)
    for path, commands in readme_examples():
        assert os.path.exists(os.path.join(ROOT, path)), path
        assert commands, 'no command for ' + path
        assert path in CHECKS, 'host_tests/test_examples.py has no check ' \
            'for ' + path


def test_readme_commands_make_what_they_use_first():
    # on a fresh clone .venv and deps/ do not exist yet: make run creates
    # them, the uvicorn and gunicorn commands must ask for them
    for path, commands in readme_examples():
        for command in commands:
            if command.startswith('make run'):
                continue
            uses = '.venv/' in command or '/deps' in command
            assert not uses or command.startswith('make deps && '), command


# --- processes --------------------------------------------------------------
def group_pids(pgid):
    pids = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/{}/stat'.format(name)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:
            pids.append(int(name))
    return pids


def listening_addresses(pgid):
    """(IP address, TCP port) pairs that processes of the group listen
    on."""
    inodes = set()
    for pid in group_pids(pgid):
        fd_dir = '/proc/{}/fd'.format(pid)
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith('socket:['):
                inodes.add(target[8:-1])
    addresses = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == '0A' and fields[9] in inodes:
                        address, port = fields[1].rsplit(':', 1)
                        addresses.add((_ip(address), int(port, 16)))
        except OSError:
            pass
    return addresses


def _ip(hex_address):
    # /proc/net/tcp writes an IPv4 address as one little-endian word
    if len(hex_address) == 8:
        return socket.inet_ntop(socket.AF_INET,
                                bytes.fromhex(hex_address)[::-1])
    words = bytes.fromhex(hex_address)
    return socket.inet_ntop(socket.AF_INET6, b''.join(
        words[i:i + 4][::-1] for i in range(0, 16, 4)))


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Command:
    """A README command running in a process group of its own."""

    def __init__(self, command, log_path):
        self.command = command
        self.log_path = log_path
        self.port = free_port()
        env = dict(os.environ)
        for name in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'):
            env.pop(name, None)     # as typed in a shell, not under make
        self.other_port = free_port()
        env.update(HTTP_PORT=str(self.port), PORT=str(self.other_port),
                   UVICORN_PORT=str(self.port),
                   GUNICORN_CMD_ARGS='--bind {}:{}'.format(HOST, self.port))
        with open(log_path, 'wb') as log:
            self.process = subprocess.Popen(
                ['bash', '-c', command], cwd=ROOT, env=env,
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.pgid = self.process.pid

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            addresses = listening_addresses(self.pgid)
            if addresses:
                return addresses
            if self.process.poll() is not None:
                return None
            time.sleep(0.1)
        return None

    def stop(self):
        """SIGTERM to the group we created, SIGKILL to what is left."""
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.process.poll() is not None and \
                        not group_pids(self.pgid):
                    return
                time.sleep(0.05)
        raise AssertionError('could not stop ' + self.command)


# --- what each example must do -----------------------------------------------
def get(url, path, **kwargs):
    return httpx.get(url + path, timeout=10, **kwargs)


def check_echo(url, path='/echo'):
    with ws_connect('ws' + url[4:] + path, open_timeout=10) as ws:
        for message in ('hello', 'ünïcode ✓', b'\x00\x01binary'):
            ws.send(message)
            assert ws.recv(timeout=10) == message


def first_event(url, path):
    with httpx.stream('GET', url + path, timeout=10) as res:
        assert res.headers['content-type'] == 'text/event-stream'
        for line in res.iter_lines():
            if line.startswith('data: '):
                return json.loads(line[6:])


def check_hello(url):
    res = get(url, '/')
    assert res.headers['content-type'] == 'text/html; charset=UTF-8'
    assert 'Microdot firmware bundle, running on' in res.text
    check_echo(url)
    event = first_event(url, '/events')
    assert set(event) == {'uptime', 'requests', 'echoes', 'listeners',
                          'mem_free', 'sent'}
    assert event['echoes'] >= 3 and event['sent'] == 1


def check_routes(url):
    assert get(url, '/users/42').json() == {'id': 42, 'name': 'Ada'}
    res = get(url, '/users/grace')
    assert (res.status_code, res.headers['location']) == (302, '/users/7')
    assert get(url, '/colors/ff8000').json() == {'red': 255, 'green': 128,
                                                 'blue': 0}
    assert get(url, '/colors/1000000').status_code == 400
    assert get(url, '/files/a/b/c.txt').json() == {'folders': ['a', 'b'],
                                                   'file': 'c.txt'}
    assert get(url, '/admin/status').status_code == 401
    res = get(url, '/admin/status', headers={'X-Admin-Token': 'letmein'})
    assert res.json() == {'users': 2, 'prefix': '/admin'}
    res = get(url, '/nowhere')
    assert res.status_code == 404 and res.json()['path'] == '/nowhere'


def check_guestbook(url):
    res = get(url, '/')
    assert '<form method="POST" action="/sign">' in res.text
    res = httpx.post(url + '/sign', data={'name': 'Ada', 'message':
                                          '<b>hi</b> & bye'}, timeout=10)
    assert (res.status_code, res.headers['location']) == (302, '/')
    assert '<b>Ada</b>: &lt;b&gt;hi&lt;/b&gt; &amp; bye' in get(url, '/').text
    res = httpx.post(url + '/sign', data={'name': 'Ada'}, timeout=10)
    assert res.status_code == 400 and 'Please give' in res.text


def check_todos(url):
    assert get(url, '/api/todos').json() == []
    res = httpx.post(url + '/api/todos', json={'title': 'water the plants'},
                     timeout=10)
    assert res.status_code == 201
    assert res.headers['location'] == '/api/todos/1'
    res = httpx.patch(url + '/api/todos/1', json={'done': True}, timeout=10)
    assert res.json() == {'id': 1, 'title': 'water the plants', 'done': True}
    assert get(url, '/api/todos?done=false').json() == []
    res = httpx.post(url + '/api/todos', json={'title': ''}, timeout=10)
    assert res.status_code == 400 and 'title' in res.json()['error']
    assert httpx.delete(url + '/api/todos/1', timeout=10).status_code == 204
    assert get(url, '/api/todos/1').json() == {'error': 'no to-do 1'}
    # the framework's own errors come as JSON too, as the docstring says
    res = httpx.post(url + '/api/todos', content=b'{"title": ', timeout=10,
                     headers={'Content-Type': 'application/json'})
    assert res.status_code == 400
    assert res.headers['content-type'].startswith('application/json')
    assert res.json() == {'error': 'malformed request: send a JSON object'}
    res = httpx.put(url + '/api/todos', json={}, timeout=10)
    assert res.status_code == 405 and 'POST' in res.headers['allow']
    assert res.json() == {'error': 'PUT is not allowed here'}


def check_static(url):
    folder = os.path.join(EXAMPLES, 'static', 'static')
    assert 'id="script-status"' in get(url, '/').text
    for name, content_type in (('style.css', 'text/css'),
                               ('app.js', 'application/javascript')):
        with open(os.path.join(folder, name), 'rb') as f:
            original = f.read()
        with open(os.path.join(folder, name + '.gz'), 'rb') as f:
            compressed = f.read()
        # the stored .gz must still be the file it stands for
        assert gzip.decompress(compressed) == original, name + '.gz is stale'
        plain = get(url, '/static/' + name,
                    headers={'Accept-Encoding': 'identity'})
        assert plain.headers['content-type'] == content_type
        assert 'content-encoding' not in plain.headers
        assert plain.content == original
        with httpx.stream('GET', url + '/static/' + name, timeout=10,
                          headers={'Accept-Encoding': 'gzip'}) as res:
            raw = b''.join(res.iter_raw())
        assert res.headers['content-encoding'] == 'gzip'
        assert res.headers['content-type'] == content_type
        assert raw == compressed
    assert get(url, '/static/logo.svg').headers['content-type'] == \
        'image/svg+xml'
    for path in ('/static/../static_files.py', '/static/%2e%2e/x',
                 '/static//etc/passwd', '/static/missing.css'):
        assert get(url, path).status_code == 404, path


def check_stream(url):
    lines = get(url, '/table.csv?rows=2000').text.splitlines()
    assert lines[0] == 'n,square,cube' and len(lines) == 2001
    assert lines[-1] == '2000,4000000,8000000000'
    start = time.monotonic()
    assert get(url, '/countdown?from=2').text == '2...\n1...\nlift-off!\n'
    assert time.monotonic() - start >= 1.5


def check_websocket_echo(url):
    assert 'new WebSocket' in get(url, '/').text
    check_echo(url)


def check_sse_counter(url):
    assert "new EventSource('/events')" in get(url, '/').text
    assert first_event(url, '/events') == {'counter': 0}


def check_utemplate_hello(url):
    assert '<h1>Hello from utemplate!</h1>' in get(url, '/').text
    assert get(url, '/count/3').text.count('<li>') == 3


def check_utemplate_custom_dir(url):
    assert 'This page comes from my_templates/.' in get(url, '/').text


def check_jinja_hello(url):
    assert '<h1>Hello from Jinja!</h1>' in get(url, '/').text
    assert get(url, '/count/3').text.count('<li>') == 3


def check_jinja_custom_dir(url):
    assert 'my_templates' in get(url, '/').text


def check_jinja_async(url):
    assert '<h1>' in get(url, '/').text


def check_login(url):
    with httpx.Client(base_url=url, timeout=10) as client:
        assert 'Not logged in' in client.get('/').text
        res = client.post('/', data={'username': 'Ada'})
        assert res.status_code == 302 and 'session' in client.cookies
        assert 'Logged in as Ada' in client.get('/').text
        client.post('/logout')
        assert 'Not logged in' in client.get('/').text


def check_cors(url):
    origin = 'https://example.com'
    res = httpx.options(url + '/api/echo', timeout=10, headers={
        'Origin': origin, 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'Content-Type'})
    assert res.headers['access-control-allow-origin'] == origin
    res = httpx.post(url + '/api/echo', json={'a': 1}, timeout=10,
                     headers={'Origin': origin})
    assert res.json() == {'received': {'a': 1}}
    res = get(url, '/', headers={'Origin': 'https://example.org'})
    assert 'access-control-allow-origin' not in res.headers


def check_basic_auth(url):
    res = get(url, '/')
    assert res.status_code == 401
    assert res.headers['www-authenticate'].startswith('Basic realm=')
    assert get(url, '/', auth=('susan', 'cat')).text == 'Hello, susan!'
    assert get(url, '/', auth=('susan', 'dog')).status_code == 401
    assert get(url, '/hello').text == 'Hello, anonymous user!'
    assert get(url, '/hello', auth=('david', 'dog')).text == 'Hello, david!'


def check_token_auth(url):
    res = get(url, '/')
    assert res.status_code == 401 and 'error' in res.json()
    res = get(url, '/', headers={'Authorization': 'Bearer susan-token'})
    assert res.json() == {'user': 'susan'}
    assert get(url, '/hello').text == 'Hello, anonymous user!'


def check_login_example(url):
    with httpx.Client(base_url=url, timeout=10) as client:
        res = client.get('/')
        assert (res.status_code, res.headers['location']) == \
            (302, '/login?next=/')
        res = client.post('/login?next=%2Fsettings', data={
            'username': 'susan', 'password': 'cat', 'remember': 'on'})
        assert (res.status_code, res.headers['location']) == \
            (302, '/settings')
        assert 'Hello, susan!' in client.get('/').text
        assert client.get('/settings').status_code == 200
        # a later browser session, logged in again by the remember cookie
        client.cookies.delete('session')
        assert 'Hello, susan!' in client.get('/').text
        assert client.get('/settings').status_code == 302   # not fresh
        client.post('/logout')
        assert list(client.cookies.keys()) == ['session']
        assert client.get('/').status_code == 302


def check_csrf(url):
    def transfer(**headers):
        return httpx.post(url + '/transfer', data={'amount': '10'},
                          headers=headers, timeout=10).status_code
    assert transfer(**{'Sec-Fetch-Site': 'cross-site',
                       'Origin': 'https://evil.example'}) == 403
    assert 'Balance: 100' in get(url, '/').text
    assert transfer(**{'Sec-Fetch-Site': 'same-origin'}) == 302
    assert transfer(Origin='https://example.com') == 302
    assert 'Balance: 80' in get(url, '/').text
    res = httpx.post(url + '/webhook', timeout=10,
                     headers={'Sec-Fetch-Site': 'cross-site'})
    assert res.json() == {'hooks': 1}


def check_formdata(url):
    assert 'enctype="multipart/form-data"' in get(url, '/').text
    res = httpx.post(url + '/', data={'name': 'Ada'}, timeout=10, files=[
        ('photo', ('a.txt', b'hello', 'text/plain')),
        ('document', ('b.bin', bytes(5000), 'application/octet-stream'))])
    assert '<li>field name: Ada</li>' in res.text
    assert '<li>file photo: a.txt (text/plain, 5 bytes)</li>' in res.text
    assert '<li>file document: b.bin (application/octet-stream, 5000 ' \
        'bytes)</li>' in res.text


def check_save_files(url):
    data = os.urandom(300 * 1024)
    name = 'check-{}.bin'.format(os.getpid())
    stored = os.path.join(EXAMPLES, 'uploads', 'uploads', name)
    try:
        res = httpx.post(url + '/upload', timeout=30, files={
            'file': ('../' + name, data)})
        assert res.json() == {'saved': [name]}
        assert name in get(url, '/').text
        assert get(url, '/files/' + name).content == data
    finally:
        if os.path.exists(stored):
            os.remove(stored)


def check_board(url):
    assert "fetch('/reading')" in get(url, '/').text
    reading = get(url, '/reading').json()
    assert set(reading) == {'what', 'value', 'unit', 'source', 'platform',
                            'uptime'}
    # a reading of this computer, and where it came from
    assert reading['source'] in ('/sys/class/thermal/thermal_zone0/temp',
                                 '/proc/loadavg',
                                 'no sensor on this computer: a counter')
    if reading['source'] == '/proc/loadavg':
        with open('/proc/loadavg') as f:
            assert abs(float(f.read().split()[0]) - reading['value']) < 5


def check_hello_server(url):
    res = get(url, '/')
    assert 'Hello from Microdot!' in res.text


def check_echo_server(url):
    assert 'WebSocket' in get(url, '/').text
    check_echo(url)


def check_form_server(url):
    assert 'Who are you?' in get(url, '/').text
    res = httpx.post(url + '/', data={'name': 'Ada'}, timeout=10)
    assert 'Hello, Ada!' in res.text


CHECKS = {
    'examples/hello.py': check_hello,
    'examples/routes/routes.py': check_routes,
    'examples/forms/guestbook.py': check_guestbook,
    'examples/json_api/todos.py': check_todos,
    'examples/static/static_files.py': check_static,
    'examples/streaming/stream.py': check_stream,
    'examples/websocket/echo.py': check_websocket_echo,
    'examples/sse/counter.py': check_sse_counter,
    'examples/templates/utemplate/hello.py': check_utemplate_hello,
    'examples/templates/utemplate/custom_dir.py': check_utemplate_custom_dir,
    'examples/templates/jinja/hello.py': check_jinja_hello,
    'examples/templates/jinja/custom_dir.py': check_jinja_custom_dir,
    'examples/templates/jinja/async_templates.py': check_jinja_async,
    'examples/sessions/login.py': check_login,
    'examples/cors/cors.py': check_cors,
    'examples/auth/basic_auth.py': check_basic_auth,
    'examples/auth/token_auth.py': check_token_auth,
    'examples/login/login.py': check_login_example,
    'examples/csrf/app.py': check_csrf,
    'examples/uploads/formdata.py': check_formdata,
    'examples/uploads/save_files.py': check_save_files,
    'examples/board/board.py': check_board,
    'examples/asgi/hello_asgi.py': check_hello_server,
    'examples/asgi/echo_asgi.py': check_echo_server,
    'examples/asgi/utemplate/hello_asgi.py': check_form_server,
    'examples/asgi/jinja/hello_asgi.py': check_form_server,
    'examples/wsgi/hello_wsgi.py': check_hello_server,
    'examples/wsgi/echo_wsgi.py': check_echo_server,
    'examples/wsgi/utemplate/hello_wsgi.py': check_form_server,
    'examples/wsgi/jinja/hello_wsgi.py': check_form_server,
}


def readme_commands():
    return [pytest.param(path, command, id=command)
            for path, commands in readme_examples() for command in commands]


def run_and_check(path, command, tmp_path):
    """Run the command on a free port, check the example, stop it."""
    check = CHECKS.get(path)
    if check is None:
        pytest.fail('no check for {} in host_tests/test_examples.py'.format(
            path))
    run = Command(command, tmp_path / 'output.log')
    try:
        addresses = run.wait_listening()
        if addresses is None:
            pytest.fail('`{}` did not listen within {} s; its output:\n{}'
                        .format(command, START_TIMEOUT, run.output()),
                        pytrace=False)
        assert addresses == {(HOST, run.port)}, \
            '{} listens on {}, not on {}:{} as the README says (HTTP_PORT ' \
            'names the port; PORT was {})'.format(
                path, sorted(addresses), HOST, run.port, run.other_port)
        check('http://{}:{}'.format(HOST, run.port))
    finally:
        run.stop()
    output = run.output()
    assert 'Traceback' not in output, output


@pytest.mark.parametrize('path,command', readme_commands())
def test_example_runs_with_the_readme_command(path, command, tmp_path):
    run_and_check(path, command, tmp_path)


def script_commands():
    """The examples the README serves with another server (uvicorn,
    gunicorn), run as scripts with the built-in server: CPython, from
    their own folder as their docstrings say."""
    params = []
    for path, commands in readme_examples():
        if all(command.startswith('make run') for command in commands):
            continue
        folder, name = os.path.split(path)
        command = 'cd {} && PYTHONPATH={}:{} {} {}'.format(
            folder, os.path.join(ROOT, 'modules'), os.path.join(ROOT, 'deps'),
            os.path.join(ROOT, '.venv', 'bin', 'python'), name)
        params.append(pytest.param(path, command, id=path))
    return params


@pytest.mark.parametrize('path,command', script_commands())
def test_example_runs_as_a_script_on_port(path, command, tmp_path):
    run_and_check(path, command, tmp_path)
