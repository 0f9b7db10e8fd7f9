"""Helpers for the tests that attack a running server (hostile input,
slow clients, fuzzing, soak, static files): a raw-socket HTTP client that
never trusts the server to answer, and a server shared by a whole module.

Used by host_tests/test_hostile_*.py, test_slow_*.py, test_fuzz_*.py,
test_soak_*.py, test_static_*.py and tools/soak.py / tools/fuzz_server.py.
"""
import json
import os
import socket
import subprocess
import sys
import time

import processes
from processes import (HOST, ServerProcess, find_tool, free_port,
                       is_listening)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOSTILE_APP = os.path.join(HERE, 'apps', 'hostile_app.py')
RUNTIMES = ('cpython', 'micropython', 'micropython-mpy')


class NoResponse(Exception):
    """The server closed the connection, or said nothing in time."""


def connect(port, timeout=5):
    return socket.create_connection((HOST, port), timeout=timeout)


class ResponseReader:
    """Reads HTTP responses from a socket, each within a deadline.

    Keeps bytes read past one response for the next (pipelining)."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b''
        self.closed = False

    def _more(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NoResponse('no data in time; have %r' % self.buffer[:200])
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise NoResponse('no data in time; have %r' % self.buffer[:200])
        except ConnectionResetError:
            data = b''
        if not data:
            self.closed = True
            raise NoResponse('closed; have %r' % self.buffer[:200])
        self.buffer += data

    def _until(self, separator, deadline):
        while separator not in self.buffer:
            self._more(deadline)
        head, _, self.buffer = self.buffer.partition(separator)
        return head

    def _exactly(self, size, deadline):
        while len(self.buffer) < size:
            self._more(deadline)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read(self, timeout=5, head_only=False):
        """One response: (status, headers, body). Headers are a dict of
        lower-case names to values (lists for repeated names)."""
        deadline = time.monotonic() + timeout
        head = self._until(b'\r\n\r\n', deadline)
        lines = head.decode('latin-1').split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or not parts[0].startswith('HTTP/1.'):
            raise AssertionError('not a status line: %r' % lines[0])
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(':')
            assert colon and name == name.strip(), 'bad field %r' % line
            name = name.lower()
            value = value.strip()
            if name in headers:
                old = headers[name]
                headers[name] = (old if isinstance(old, list) else [old]) + \
                    [value]
            else:
                headers[name] = value
        if head_only or status < 200 or status in (204, 304):
            return status, headers, b''
        if 'content-length' in headers:
            return status, headers, self._exactly(
                int(headers['content-length']), deadline)
        if headers.get('transfer-encoding') == 'chunked':
            parts = []
            while True:
                size = int(self._until(b'\r\n', deadline).split(b';')[0], 16)
                data = self._exactly(size + 2, deadline)
                assert data.endswith(b'\r\n'), 'bad chunk end'
                if size == 0:
                    return status, headers, b''.join(parts)
                parts.append(data[:-2])
        while True:   # delimited by the end of the connection
            try:
                self._more(deadline)
            except NoResponse:
                if not self.closed:
                    raise
                body, self.buffer = self.buffer, b''
                return status, headers, body

    def read_final(self, timeout=5):
        """The next response that is not an interim (1xx) one."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.read(max(0.01, deadline - time.monotonic()))
            if response[0] >= 200:
                return response

    def wait_closed(self, timeout=5):
        """True if the server closes the connection within ``timeout``
        without sending anything more."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._more(deadline)
                if self.buffer:
                    return False
        except NoResponse:
            return self.closed


def get(port, path, headers=None, timeout=5):
    """One request on a new connection: (status, headers, body)."""
    sock = connect(port, timeout)
    try:
        lines = ['GET {} HTTP/1.1'.format(path), 'Host: x',
                 'Connection: close']
        for name, value in (headers or {}).items():
            lines.append('{}: {}'.format(name, value))
        sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        return ResponseReader(sock).read(timeout)
    finally:
        sock.close()


def stats(port):
    """What /stats of the hostile app reports (connections, fds, heap)."""
    status, _, body = get(port, '/stats')
    assert status == 200, body
    return json.loads(body)


def settle(port, timeout=10, **expected):
    """Poll /stats until each named figure equals its expected value; the
    last stats either way (the caller asserts)."""
    deadline = time.monotonic() + timeout
    while True:
        figures = stats(port)
        if all(figures.get(k) == v for k, v in expected.items()) or \
                time.monotonic() > deadline:
            return figures
        time.sleep(0.1)


def assert_serves(port):
    """A normal request on a new connection is answered."""
    status, _, body = get(port, '/')
    assert (status, body) == (200, b'Hello, world!')


# --- servers ------------------------------------------------------------

def compile_mpy(out):
    """Compile modules/ with mpy-cross into ``out``; its MICROPYPATH
    entries (for tools run outside pytest, which has its own fixture)."""
    target = os.path.join(out, 'modules')
    subprocess.run([sys.executable, os.path.join(ROOT, 'tools',
                                                 'build_mpy.py'),
                    '--mpy-cross', find_tool('mpy-cross'),
                    os.path.join(ROOT, 'modules'), target],
                   check=True, stdout=subprocess.DEVNULL)
    return [target]


def spawn(runtime, log_path, env=None, mpy_paths=(), script=HOSTILE_APP,
          options=(), timeout=20, executable=None):
    """Start ``script`` under ``runtime`` on a free port of 127.0.0.1 and
    wait until it listens; ``options`` go to the interpreter (such as
    ``-X heapsize=64K`` for the unix port). ``executable`` replaces the
    unix port: a build with the bundle frozen in runs with MICROPYPATH
    ``.frozen`` alone (runtime 'micropython-frozen')."""
    port = free_port()
    full_env = dict(os.environ, PORT=str(port))
    if runtime == 'cpython':
        argv = [sys.executable] + list(options) + [script]
        full_env['PYTHONPATH'] = os.path.join(ROOT, 'modules')
        full_env['PYTHONUNBUFFERED'] = '1'
    elif runtime == 'micropython-frozen':
        argv = [executable] + list(options) + [script]
        full_env['MICROPYPATH'] = '.frozen'
    elif runtime in ('micropython', 'micropython-mpy'):
        argv = [executable or find_tool('micropython')] + list(options) + \
            [script]
        paths = [os.path.join(ROOT, 'modules')] \
            if runtime == 'micropython' else list(mpy_paths)
        if not paths:
            raise ValueError('micropython-mpy needs compiled modules')
        full_env['MICROPYPATH'] = ':'.join(paths + ['.frozen'])
    else:
        raise ValueError('unknown runtime ' + runtime)
    full_env.update(env or {})
    with open(log_path, 'wb') as log:
        process = subprocess.Popen(
            argv, cwd=os.path.dirname(script), env=full_env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(runtime, port, process, log_path)
    deadline = time.monotonic() + timeout
    while True:
        if not server.running():
            raise RuntimeError('{} server exited ({}) before listening:\n'
                               '{}'.format(runtime, process.returncode,
                                           server.output()))
        if is_listening(port):
            return server
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError('{} server did not listen within {} s:\n'
                               '{}'.format(runtime, timeout, server.output()))
        time.sleep(0.05)


def selected_runtimes():
    """The runtimes to test: MDFW_RUNTIMES (comma-separated), else all."""
    return processes.selected_runtimes(RUNTIMES)


def start_for(request, runtime, env=None, options=(), script=HOSTILE_APP):
    """spawn() from a pytest fixture: logs go to a temporary directory and
    micropython-mpy uses the session's compiled modules (``mpy_path``)."""
    mpy_paths = request.getfixturevalue('mpy_path') \
        if runtime == 'micropython-mpy' else ()
    folder = request.getfixturevalue('tmp_path_factory').mktemp('server')
    return spawn(runtime, str(folder / 'server.log'), env, mpy_paths,
                 script, options)
