"""Slow, idle, stalled and too many clients against the built-in server on
every runtime: the timeouts close them, they do not keep others waiting,
and the connection cap answers 503 past it."""
import os
import socket
import threading
import time

import pytest

from attack import (ResponseReader, assert_serves, connect, get,
                    selected_runtimes, settle, start_for)

TIMEOUTS = {'HEADER_TIMEOUT': '2', 'IO_TIMEOUT': '2', 'IDLE_TIMEOUT': '2'}
SLOW_HEAD = b'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + b'y' * 100
SLOW_BODY_HEAD = b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100' \
    b'\r\n\r\n'


@pytest.fixture(params=selected_runtimes())
def runtime(request):
    return request.param


class Trickler(threading.Thread):
    """A client that sends ``data`` one byte a second after ``prefix``,
    until the server closes the connection; it records when that happened
    and what the server said."""

    def __init__(self, port, prefix, data, interval=1.0):
        super().__init__(daemon=True)
        self.sock = connect(port, timeout=30)
        self.prefix = prefix
        self.data = data
        self.interval = interval
        self.started = time.monotonic()
        self.closed_after = None
        self.answer = b''
        self.stop = threading.Event()

    def run(self):
        try:
            if self.prefix:
                self.sock.sendall(self.prefix)
            for byte in self.data:
                # look before sending: a byte sent after the server closed
                # makes its TCP stack reset, and the reset discards the
                # answer not yet read
                if self.stop.wait(self.interval) or self._server_closed():
                    return
                self.sock.sendall(bytes((byte,)))
                if self._server_closed():
                    return
            while not self.stop.is_set() and not self._server_closed():
                self.stop.wait(self.interval)
        except OSError:
            self._server_closed()
        finally:
            if self.closed_after is None:
                self.closed_after = time.monotonic() - self.started
            self.sock.close()

    def _server_closed(self):
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(4096)
                if not data:
                    self.closed_after = time.monotonic() - self.started
                    return True
                self.answer += data
        except BlockingIOError:
            return False
        except OSError:
            self.closed_after = time.monotonic() - self.started
            return True
        finally:
            self.sock.setblocking(True)


def status_of(answer):
    return int(answer.split(b' ', 2)[1]) if answer else None


def test_stalled_streamed_body_is_cut_off_by_io_timeout(start_server_for,
                                                        runtime):
    # a body too large for memory streams to the handler; when the client
    # stops sending, the handler's read stalls and io_timeout ends it
    server = start_server_for(runtime, MAX_CONTENT_LENGTH='100000')
    sock = connect(server.port, timeout=10)
    sock.sendall(b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50000'
                 b'\r\n\r\n' + b'a' * 20000)
    started = time.monotonic()
    assert ResponseReader(sock).wait_closed(8)
    assert time.monotonic() - started < 5
    figures = settle(server.port, connections=0)
    assert figures['connections'] == 0
    assert 'Traceback' not in server.output()


def test_fifty_slow_and_idle_clients_do_not_block_a_new_one(
        start_server_for, runtime):
    server = start_server_for(runtime)
    clients = []
    for i in range(50):
        kind = i % 3
        if kind == 0:
            clients.append(Trickler(server.port, b'', b''))  # says nothing
        elif kind == 1:
            clients.append(Trickler(server.port, b'', SLOW_HEAD))
        else:
            clients.append(Trickler(server.port, SLOW_BODY_HEAD, b'z' * 100))
        # at once: a burst of connections may overflow the listen backlog
        # and wait for the kernel to retry, while the others' clocks run
        clients[-1].start()
    time.sleep(0.5)
    started = time.monotonic()
    for _ in range(5):
        assert_serves(server.port)
    assert time.monotonic() - started < 2.5
    busy = settle(server.port, timeout=0)['connections']
    assert busy == 50, busy   # all of them are still being waited on
    for client in clients:
        client.join(15)
    # the idle ones are closed quietly after idle_timeout; the slow head
    # gets a 408 after header_timeout from its first byte, the slow body
    # one after io_timeout (2 s each, plus the sweeper's second and the
    # client's own second between looks)
    outcomes = [(i % 3, status_of(client.answer),
                 round(client.closed_after, 1))
                for i, client in enumerate(clients)]
    for kind, status, lasted in outcomes:
        assert status == (None if kind == 0 else 408), outcomes
        assert lasted < (5.5 if kind == 1 else 4.5), outcomes
    assert settle(server.port, connections=0)['connections'] == 0
    assert 'Traceback' not in server.output()


def test_connection_cap_answers_503_past_it(start_server_for, runtime):
    server = start_server_for(runtime, MAX_CONNECTIONS='5')
    held = [connect(server.port) for _ in range(5)]
    for sock in held:   # each is served and kept alive
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert ResponseReader(sock).read()[0] == 200
    for _ in range(3):
        extra = connect(server.port)
        extra.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        reader = ResponseReader(extra)
        status, headers, body = reader.read()
        assert status == 503
        assert headers['connection'] == 'close'
        assert body == b'Service Unavailable'
        assert reader.wait_closed()
        extra.close()
    for sock in held[:2]:
        sock.close()
    deadline = time.monotonic() + 5
    while True:   # served again once there is room
        status, _, body = get(server.port, '/')
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (status, body) == (200, b'Hello, world!')
    for sock in held[2:]:   # the held ones were never disturbed
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert ResponseReader(sock).read()[0] == 200
        sock.close()
    assert 'Traceback' not in server.output()


@pytest.mark.parametrize('path', ['/stream?n=100000&size=200', '/file'])
def test_client_that_never_reads_is_dropped_by_io_timeout(
        start_server_for, runtime, tmp_path, path):
    big = tmp_path / 'big.bin'
    big.write_bytes(os.urandom(4 * 1024 * 1024))
    server = start_server_for(runtime, BIG_FILE=str(big), IO_TIMEOUT='1')
    before = settle(server.port, timeout=0)
    sock = connect(server.port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(('GET {} HTTP/1.1\r\nHost: x\r\n\r\n'.format(path)).encode())
    time.sleep(0.5)
    assert settle(server.port, timeout=0)['connections'] == 1
    # the server's writes fill the socket buffers and stall: io_timeout
    # plus the sweeper's period later the write is cancelled, and as much
    # again for closing (which would send what the writer still holds)
    after = settle(server.port, timeout=8, connections=0)
    assert after['connections'] == 0, after
    counters = after['counters']
    if path == '/file':
        assert counters['files_opened'] == 1
        assert counters.get('files_closed') == 1   # no file left open
    else:
        assert counters['streams_closed'] == 1     # generator closed
    if after['fds'] is not None:
        assert after['fds'] == before['fds']
    sock.close()
    assert_serves(server.port)
    assert 'Traceback' not in server.output()


@pytest.fixture
def start_server_for(request):
    """Factory: a hostile_app server on ``runtime`` with the short
    timeouts above and extra environment; stopped at teardown."""
    servers = []

    def start(runtime, **env):
        server = start_for(request, runtime, env=dict(TIMEOUTS, **env))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_streamed_responses_are_not_held_back(start_server_for, runtime):
    # a response written in several pieces (a file, a generator) must not
    # wait for the client's delayed ACK (Nagle's algorithm): 40 ms each
    server = start_server_for(runtime)
    sock = connect(server.port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = ResponseReader(sock)
    for path in ('/stream?n=5', '/file'):
        request = 'GET {} HTTP/1.1\r\nHost: x\r\n\r\n'.format(path).encode()
        sock.sendall(request)
        reader.read()   # the first one may be slower (imports, caches)
        started = time.monotonic()
        for _ in range(20):
            sock.sendall(request)
            assert reader.read()[0] == 200
        each = (time.monotonic() - started) / 20
        assert each < 0.02, '{}: {:.1f} ms per request'.format(
            path, each * 1000)
    sock.close()
