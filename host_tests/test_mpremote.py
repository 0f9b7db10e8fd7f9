"""The bundle on a virtual board, driven by the real mpremote.

The virtual board is the MicroPython unix port behind a pty (see
firmware/virtual_board.py); mpremote connects to the pty with `resume`.
Each test installs the bundle one way (mip from our package.json, or
firmware/deploy_bundle.py copying the mpy-cross output), runs an app with
`mpremote run`, and fetches a page from it over 127.0.0.1.

mip's index is served on 127.0.0.1 by the test (our package.json's
dependency, pyjwt, comes from an index): with MPY_DIR set, the real pyjwt
and hmac of $MPY_DIR/lib/micropython-lib; otherwise small stand-in modules.
utemplate is taken from deps/ (the same release package.json points at).
"""

import glob
import hashlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import bundle  # noqa: E402
from virtual_board import VirtualBoard, VirtualBoardError  # noqa: E402

CPYTHON_ONLY = set(bundle.cpython_only())   # never copied to a board
GREETING = 'served from a virtual board'

APP = '''import os
from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return {greeting!r}


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''


def tool(name):
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.path.exists(local) else shutil.which(name)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def started_board(root, **env):
    port = free_port()
    vboard = VirtualBoard(root, env=dict(env, PORT=str(port)))
    try:
        vboard.start()
    except VirtualBoardError as exc:
        pytest.fail(str(exc))
    vboard.http_port = port
    return vboard


@pytest.fixture
def board(tmp_path):
    """A started virtual board whose apps listen on board.http_port."""
    vboard = started_board(tmp_path / 'board')
    yield vboard
    vboard.stop()


@pytest.fixture
def board_with_modules(tmp_path):
    """The same, with our modules/ on its path (no install step)."""
    root = tmp_path / 'board'
    vboard = started_board(root, MICROPYPATH='.frozen:{}:{}'.format(
        root / 'lib', os.path.join(ROOT, 'modules')))
    yield vboard
    vboard.stop()


def mpremote(board, *args, timeout=120):
    """Run `mpremote connect <board> resume ARGS`; return its output."""
    return mpremote_at(board.tty, *args, timeout=timeout)


def mpremote_at(tty, *args, timeout=120):
    argv = [tool('mpremote'), 'connect', tty, 'resume'] + list(args)
    result = subprocess.run(argv, capture_output=True, text=True,
                            timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, 'mpremote {} failed:\n{}'.format(
        ' '.join(args), output)
    return output


def serve_and_get(board, tmp_path):
    """`mpremote run` the app on the board, GET / from it, return the
    response."""
    app = tmp_path / 'app.py'
    app.write_text(APP.format(greeting=GREETING))
    mpremote(board, 'run', '--no-follow', str(app))
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.get('http://127.0.0.1:{}/'.format(board.http_port),
                             timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise AssertionError('the app on the virtual board did not '
                                     'answer; board log:\n' + board.log())
            time.sleep(0.1)


# -- a loopback mip index -------------------------------------------------------

def index_packages():
    """{name: {file name: bytes}} and deps, as the index serves them."""
    mpy_dir = os.environ.get('MPY_DIR')
    lib = mpy_dir and os.path.join(mpy_dir, 'lib', 'micropython-lib')
    if lib and os.path.isdir(lib):
        def read(*parts):
            with open(os.path.join(lib, *parts), 'rb') as f:
                return f.read()
        return {
            'pyjwt': ({'jwt.py': read('python-ecosys', 'pyjwt', 'jwt.py')},
                      [['hmac', 'latest']]),
            'hmac': ({'hmac.py': read('python-stdlib', 'hmac', 'hmac.py')},
                     []),
        }, 'micropython-lib'
    return {
        'pyjwt': ({'jwt.py': b'STAND_IN = "jwt"\n'}, [['hmac', 'latest']]),
        'hmac': ({'hmac.py': b'STAND_IN = "hmac"\n'}, []),
    }, 'stand-in'


class MipIndex:
    """Serves /package/<mpy>/<name>/latest.json and /file/<xx>/<hash> (the
    layout mip reads) on 127.0.0.1, and records the requested paths."""

    def __init__(self, packages):
        self.files = {}
        self.documents = {}
        self.requests = []
        for name, (files, deps) in packages.items():
            hashes = []
            for filename, data in files.items():
                digest = hashlib.sha256(data).hexdigest()[:8]
                self.files['/file/{}/{}'.format(digest[:2], digest)] = data
                hashes.append([filename, digest])
            self.documents[name] = json.dumps(
                {'hashes': hashes, 'deps': deps, 'version': '0'}).encode()
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                index.requests.append(self.path)
                body = index.lookup(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header('Content-Length', str(len(body or b'')))
                self.end_headers()
                self.wfile.write(body or b'')

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:{}'.format(self.server.server_port)
        self.thread = threading.Thread(target=self.server.serve_forever)

    def lookup(self, path):
        parts = path.split('/')
        if len(parts) == 5 and parts[1] == 'package' and \
                parts[4] == 'latest.json':
            return self.documents.get(parts[3])
        return self.files.get(path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def local_package_json(tmp_path):
    """A copy of package.json whose files are local: the repository's own
    paths resolve through links, utemplate's URLs become deps/ files."""
    with open(os.path.join(ROOT, 'package.json')) as f:
        package = json.load(f)
    if not os.path.isdir(os.path.join(ROOT, 'deps', 'utemplate')):
        pytest.fail('deps/utemplate missing: run `make deps`')
    source = tmp_path / 'source'
    source.mkdir()
    os.symlink(os.path.join(ROOT, 'modules'), str(source / 'modules'))
    os.symlink(os.path.join(ROOT, 'deps'), str(source / 'deps'))
    for entry in package['urls']:
        dest, url = entry
        if url.startswith(('http://', 'https://')):
            assert dest.startswith('utemplate/'), entry
            name = url.rsplit('/', 1)[1]
            assert dest == 'utemplate/' + name, entry
            entry[1] = 'deps/utemplate/' + name
    path = source / 'package.json'
    path.write_text(json.dumps(package))
    return str(path), package


def test_mip_install_from_package_json_then_run_an_app(board, tmp_path):
    path, package = local_package_json(tmp_path)
    packages, kind = index_packages()
    with MipIndex(packages) as index:
        output = mpremote(board, 'mip', 'install', '--index', index.url,
                          '--target', 'lib', path)
    lib = os.path.join(board.root, 'lib')
    for dest, url in package['urls']:
        with open(os.path.join(lib, dest), 'rb') as got:
            with open(os.path.join(os.path.dirname(path), url), 'rb') as want:
                assert got.read() == want.read(), dest
    # Exactly package.json's files (whether it lists every module is
    # test_firmware.py's concern), none of them CPython-only.
    installed = {'microdot/' + rel
                 for rel in bundle.package_files(lib, 'microdot')}
    assert installed == {dest for dest, _ in package['urls']
                         if dest.startswith('microdot/')}
    assert len(installed) > 1
    assert not {p.split('/')[-1] for p in installed} & CPYTHON_ONLY
    # pyjwt came from the index named by package.json's deps, hmac with it.
    assert [dep for dep, _ in package['deps']] == ['pyjwt']
    for name in ('jwt.py', 'hmac.py'):
        assert os.path.exists(os.path.join(lib, name)), (kind, output)
    assert any(r.endswith('/pyjwt/latest.json') for r in index.requests)
    assert any(r.endswith('/hmac/latest.json') for r in index.requests)

    where = mpremote(board, 'exec', 'import microdot.app as m; '
                                    'print(m.__file__)')
    assert 'lib/microdot/app.py' in where
    response = serve_and_get(board, tmp_path)
    assert response.status_code == 200
    assert response.text == GREETING


@pytest.fixture(scope='module')
def compiled_bundle(tmp_path_factory):
    """The mpy-cross output of modules/ and deps/ (as `make mpy` writes)."""
    out = tmp_path_factory.mktemp('mpy')
    for src in ('modules', 'deps'):
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, 'tools', 'build_mpy.py'),
             '--mpy-cross', tool('mpy-cross'), os.path.join(ROOT, src),
             str(out / src)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    return out


def deploy(board, compiled):
    argv = [sys.executable, os.path.join(ROOT, 'firmware',
                                         'deploy_bundle.py'),
            '--port', board.tty, '--resume', '--no-deps',
            '--mpy', str(compiled / 'modules'),
            '--mpy-deps', str(compiled / 'deps')]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_deploy_copies_the_compiled_bundle_then_run_an_app(board, tmp_path,
                                                           compiled_bundle):
    stale = os.path.join(board.root, 'lib', 'microdot')
    os.makedirs(stale)
    with open(os.path.join(stale, 'app.py'), 'w') as f:
        f.write('raise ImportError("stale source left by an earlier copy")\n')
    output = deploy(board, compiled_bundle)
    assert 'total' in output
    # the hint at the end is one that keeps the virtual board alive
    assert output.rstrip().endswith(
        'run an app with `mpremote connect {} resume run app.py`'.format(
            board.tty)), output
    lib = os.path.join(board.root, 'lib')
    on_board = sorted(os.listdir(os.path.join(lib, 'microdot')))
    expected = sorted(rel[:-3] + '.mpy' for rel in bundle.package_files(
        os.path.join(ROOT, 'modules'), 'microdot', tuple(CPYTHON_ONLY)))
    assert on_board == expected
    assert sorted(os.listdir(os.path.join(lib, 'utemplate'))) == sorted(
        name[:-3] + '.mpy' for name in os.listdir(
            os.path.join(ROOT, 'deps', 'utemplate')) if name.endswith('.py'))

    where = mpremote(board, 'exec', 'import microdot.app as m; '
                                    'print(m.__file__)')
    assert 'lib/microdot/app.mpy' in where
    response = serve_and_get(board, tmp_path)
    assert response.status_code == 200
    assert response.text == GREETING


def test_deploy_without_a_port_says_how_to_give_one():
    # an HTTP port exported for some app is not taken for the board's
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'firmware', 'deploy_bundle.py')],
        capture_output=True, text=True,
        env=dict(os.environ, SERIAL='', PORT='5137'))
    assert result.returncode == 2
    assert 'give the board: SERIAL=/dev/ttyACM0' in result.stderr


# -- the virtual board itself ------------------------------------------------

def wait_until_refused(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get('http://127.0.0.1:{}/'.format(port), timeout=2)
        except httpx.ConnectError:
            return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def test_the_next_mpremote_command_stops_a_program_left_running(
        board_with_modules, tmp_path):
    """As on a board: `mpremote run` returns (or is stopped with Ctrl-C)
    and the app serves on; the next command's Ctrl-C stops it and gets the
    prompt, where a Ctrl-C is only a byte."""
    board = board_with_modules
    assert serve_and_get(board, tmp_path).text == GREETING
    start = time.monotonic()
    output = mpremote(board, 'exec', 'print(6 * 7)', timeout=30)
    assert output.strip() == '42', output
    assert time.monotonic() - start < 10
    assert wait_until_refused(board.http_port), board.log()
    # Ctrl-C at the prompt, twice in a row, leaves the board running
    for _ in range(2):
        with open(board.tty, 'wb', buffering=0) as line:
            line.write(b'\r\x03')
        time.sleep(0.2)
    assert mpremote(board, 'exec', 'print(1 + 1)').strip() == '2'
    assert board.child_pids(), board.log()


def test_ctrl_c_stops_the_running_program_on_the_line(board):
    """A Ctrl-C byte written to the pty (as `mpremote repl` sends it)
    interrupts the code the board runs."""
    runner = subprocess.Popen(
        [tool('mpremote'), 'connect', board.tty, 'resume', 'exec',
         'import time\ntry:\n    time.sleep(60)\n'
         'except KeyboardInterrupt:\n    print("interrupted")'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(3)   # (the sleep has begun)
        with open(board.tty, 'wb', buffering=0) as line:
            line.write(b'\x03')
        output, _ = runner.communicate(timeout=20)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert 'interrupted' in output, output + board.log()
    assert board.child_pids()


def test_the_virtual_board_script_stops_and_removes_its_folder(tmp_path):
    script = os.path.join(ROOT, 'firmware', 'virtual_board.py')
    for sig in (signal.SIGINT, signal.SIGTERM):
        process = subprocess.Popen(
            [sys.executable, script], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, TMPDIR=str(tmp_path)))
        try:
            first = process.stdout.readline()
            assert first.startswith('virtual board on '), first
            folders = glob.glob(str(tmp_path / 'virtual-board-*'))
            assert len(folders) == 1
            assert mpremote_at(os.path.join(folders[0], 'tty'),
                               'exec', 'print(3 * 3)').strip() == '9'
            process.send_signal(sig)
            assert process.wait(timeout=20) == 0, process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert not os.listdir(str(tmp_path)), os.listdir(str(tmp_path))
