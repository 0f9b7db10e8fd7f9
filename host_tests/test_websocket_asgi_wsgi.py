"""WebSocket deadlines under gunicorn (microdot.wsgi) and uvicorn
(microdot.asgi), as under the built-in server: real server processes on
127.0.0.1, started and stopped by pid, with the `websockets` client and raw
sockets.

- WSGI: a client that sends part of a frame and stalls is closed with 1008
  within a few io_timeouts while others are served, and its thread is
  freed (with one thread, the next request is then served); so is the
  thread of a client that stops reading (each write is held to
  io_timeout); a silent
  client is kept unless WebSocket.idle_timeout is set (then 1001).
- ASGI: WebSocket.idle_timeout closes a silent client with 1001, also one
  stalled mid-frame (uvicorn does the framing: the app sees only silence);
  messages keep a client alive; without it a silent client is kept.

Bounds are generous: a close must come within 5 times the timeout."""
import struct
import time

import httpx
import pytest

from test_asgi_wsgi import APPS, ServerProcess, wait_for
from test_websocket_deadlines import (ws_connect, echoes_around_silence,
                                      close_of_a_silent_client)
from test_websocket_server import RawClient

MODULE = 'websocket_deadline_asgi_wsgi'
IO_TIMEOUT = 1          # seconds, the app's io_timeout
IDLE_TIMEOUT = 1        # seconds, WebSocket.idle_timeout when set
BOUND = 5               # a close must come within BOUND x the timeout
KINDS = {'wsgi': 'gunicorn', 'asgi': 'uvicorn'}


@pytest.fixture
def start(tmp_path):
    """start(app_kind, idle=False, args=()) -> ServerProcess, stopped at
    teardown."""
    started = []

    def starter(app_kind, idle=False, args=()):
        env = {'APP_KIND': app_kind, 'IO_TIMEOUT': str(IO_TIMEOUT)}
        if idle:
            env['IDLE_TIMEOUT'] = str(IDLE_TIMEOUT)
        server = ServerProcess(
            KINDS[app_kind], MODULE, APPS,
            tmp_path / 'server{}.log'.format(len(started)),
            extra_env=env, args=args)
        started.append(server)
        return server

    yield starter
    for server in started:
        server.stop()


def ended(server):
    with httpx.Client(trust_env=False, timeout=10) as http:
        return http.get(server.url + '/stats').json()['ended']


def stall_mid_frame(server):
    """A raw client that sends the start of a 200-byte binary frame (its
    header, mask and 10 bytes) and then nothing."""
    raw = RawClient(server)
    assert raw.head.startswith('HTTP/1.1 101 '), raw.head
    raw.sock.settimeout(IO_TIMEOUT * BOUND + 5)
    raw.sock.sendall(b'\x82\xfe' + struct.pack('!H', 200) +
                     b'\x01\x02\x03\x04' + b'x' * 10)
    return raw


# --- WSGI (gunicorn) --------------------------------------------------------
def test_wsgi_half_a_frame_then_silence_is_closed_with_1008(start):
    server = start('wsgi')
    with ws_connect(server) as good:
        raw = stall_mid_frame(server)
        started = time.monotonic()
        # another client is served while this one stalls
        for i in range(5):
            good.send('message {}'.format(i))
            assert good.recv(timeout=10) == 'message {}'.format(i)
        assert raw.read_close_code() == 1008
        assert time.monotonic() - started < IO_TIMEOUT * BOUND
        assert raw.at_eof()
        raw.sock.close()
        good.send('still here')
        assert good.recv(timeout=10) == 'still here'
    assert wait_for(lambda: ['/echo', 1008] in ended(server))
    assert 'Traceback' not in server.output()


def test_wsgi_stalled_client_frees_its_thread(start):
    # one thread: until the stalled WebSocket ends, nothing else is served
    server = start('wsgi', args=['--threads', '1'])
    raw = stall_mid_frame(server)
    started = time.monotonic()
    with httpx.Client(trust_env=False,
                      timeout=IO_TIMEOUT * BOUND) as http:
        assert http.get(server.url + '/').text == 'hello'
    assert time.monotonic() - started < IO_TIMEOUT * BOUND
    assert raw.read_close_code() == 1008
    raw.sock.close()
    with ws_connect(server) as ws:      # and WebSockets again
        ws.send('next')
        assert ws.recv(timeout=10) == 'next'
    assert 'Traceback' not in server.output()


def test_wsgi_client_that_stops_reading_frees_its_thread(start):
    # each write is held to io_timeout: the handler's writes stall once
    # the socket buffers are full, and the WebSocket ends
    server = start('wsgi', args=['--threads', '1'])
    raw = RawClient(server, '/flood')       # and never reads
    assert raw.head.startswith('HTTP/1.1 101 '), raw.head
    started = time.monotonic()
    with httpx.Client(trust_env=False,
                      timeout=IO_TIMEOUT * BOUND * 2) as http:
        assert http.get(server.url + '/').text == 'hello'
        # a write, then the close of a socket with unsent data: two
        # io_timeouts, each up to a sweep late
        assert time.monotonic() - started < IO_TIMEOUT * BOUND * 2
        assert ['/flood', 'flood'] in \
            http.get(server.url + '/stats').json()['ended']
    raw.sock.close()
    assert 'Traceback' not in server.output()


def test_wsgi_silent_client_is_kept_by_default(start):
    server = start('wsgi')
    # three io_timeouts, silent
    assert echoes_around_silence(server, IO_TIMEOUT * 3 + 0.5) == \
        ('before', 'after')


def test_wsgi_idle_timeout_closes_a_silent_client_with_1001(start):
    server = start('wsgi', idle=True)
    code, took = close_of_a_silent_client(server, '/echo',
                                          IDLE_TIMEOUT * BOUND + 5)
    assert took < IDLE_TIMEOUT * BOUND
    assert code == 1001
    assert wait_for(lambda: ['/echo', 1001] in ended(server))
    assert 'Traceback' not in server.output()


# --- ASGI (uvicorn) ---------------------------------------------------------
def test_asgi_idle_timeout_closes_a_silent_client_with_1001(start):
    server = start('asgi', idle=True)
    code, took = close_of_a_silent_client(server, '/echo',
                                          IDLE_TIMEOUT * BOUND + 5)
    assert took < IDLE_TIMEOUT * BOUND
    assert code == 1001
    assert wait_for(lambda: ['/echo', 1001] in ended(server))
    with ws_connect(server) as ws:      # the server goes on serving
        ws.send('next')
        assert ws.recv(timeout=10) == 'next'
    assert 'Traceback' not in server.output()


def test_asgi_messages_keep_an_idle_limited_client(start):
    server = start('asgi', idle=True)
    with ws_connect(server) as ws:
        for i in range(8):      # 3.2 s: three idle_timeouts, never idle
            ws.send(str(i))
            assert ws.recv(timeout=10) == str(i)
            time.sleep(IDLE_TIMEOUT * 0.4)
    assert wait_for(lambda: ended(server) == [['/echo', 1000]])


def test_asgi_silent_client_is_kept_by_default(start):
    server = start('asgi')
    assert echoes_around_silence(server, IDLE_TIMEOUT * 3 + 0.5) == \
        ('before', 'after')


def test_asgi_stalled_frame_counts_as_idle(start):
    # uvicorn does the framing: the app sees no frame begun, only silence,
    # so idle_timeout ends it (1001, where the built-in server says 1008),
    # and the handler ends at once; the socket is uvicorn's to drop after
    # its own close timeout
    server = start('asgi', idle=True)
    raw = stall_mid_frame(server)
    started = time.monotonic()
    assert raw.read_close_code() == 1001
    assert time.monotonic() - started < IDLE_TIMEOUT * BOUND
    assert wait_for(lambda: ['/echo', 1001] in ended(server))
    raw.sock.close()
    assert 'Traceback' not in server.output()
