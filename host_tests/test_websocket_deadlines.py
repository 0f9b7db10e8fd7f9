"""WebSocket deadlines against a real server process on every runtime, with
the `websockets` client library and raw sockets: a client that sends part
of a frame and stalls is closed with 1008 while a well-behaved client is
served; a silent client is kept unless WebSocket.idle_timeout is set, and
a client whose pings go on is not idle. A handler that receives in a task
of its own gets the same close codes (the deadline cancels that task)."""
import struct
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from test_websocket_server import RawClient

APP = 'host_tests/apps/websocket_deadline_app.py'
IO_TIMEOUT = 1          # seconds, given to the app
ENV = {'IO_TIMEOUT': str(IO_TIMEOUT), 'IDLE_TIMEOUT': '1'}


def ws_connect(server, path='/echo', **options):
    # proxy=None: never a proxy from the environment, only 127.0.0.1
    options.setdefault('ping_interval', None)
    return connect('ws://127.0.0.1:{}{}'.format(server.port, path),
                   proxy=None, open_timeout=10, close_timeout=5, **options)


def ended(server):
    return httpx.get(server.url + '/stats', timeout=10).json()['ended']


def echoes_around_silence(server, seconds):
    """Over one WebSocket on /echo: the echo of 'before', and the echo of
    'after' sent once the client has said nothing for ``seconds``."""
    with ws_connect(server) as ws:
        ws.send('before')
        first = ws.recv(timeout=10)
        time.sleep(seconds)
        ws.send('after')
        return first, ws.recv(timeout=10)


def close_of_a_silent_client(server, path, wait):
    """Echo one message on ``path``, then say nothing until the server closes
    the WebSocket (waiting ``wait`` seconds at most): (its close code,
    seconds from the end of the echo to the close)."""
    with ws_connect(server, path) as ws:
        ws.send('hello')
        assert ws.recv(timeout=10) == 'hello'
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=wait)
        return ws.close_code, time.monotonic() - started


def test_half_a_frame_then_silence_is_closed_with_1008(start_server,
                                                       runtime):
    server = start_server(APP, runtime, env=ENV)
    with ws_connect(server) as good:
        raw = RawClient(server)
        raw.sock.settimeout(IO_TIMEOUT + 5)
        # a masked 200-byte binary frame: header, mask and 10 bytes of it
        raw.sock.sendall(b'\x82\xfe' + struct.pack('!H', 200) +
                         b'\x01\x02\x03\x04' + b'x' * 10)
        started = time.monotonic()
        # the real client is served while the other one stalls
        for i in range(5):
            good.send('message {}'.format(i))
            assert good.recv(timeout=10) == 'message {}'.format(i)
        assert raw.read_close_code() == 1008
        assert time.monotonic() - started < IO_TIMEOUT + 3
        assert raw.at_eof()
        raw.close()
        good.send('still here')
        assert good.recv(timeout=10) == 'still here'
    assert ['/echo', 1008] in ended(server)
    assert 'Traceback' not in server.output()


@pytest.mark.parametrize('path', ['/echo', '/child'])
def test_stalled_frame_1008_reaches_a_child_task_receiver(start_server,
                                                          runtime, path):
    server = start_server(APP, runtime, env=ENV)
    with ws_connect(server, path) as ws:
        ws.send('first')
        assert ws.recv(timeout=10) == 'first'
        # a text frame of 20 bytes, sent up to its 5th payload byte
        ws.socket.sendall(b'\x81\x94\x01\x02\x03\x04' + b'xxxxx')
        started = time.monotonic()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=IO_TIMEOUT * 5 + 5)
        assert time.monotonic() - started < IO_TIMEOUT * 5
        assert ws.close_code == 1008
    assert [path, 1008] in ended(server)
    assert 'Traceback' not in server.output()


def test_idle_1001_reaches_a_child_task_receiver(start_server, runtime):
    server = start_server(APP, runtime, env=ENV)
    code, took = close_of_a_silent_client(server, '/child-idle', 10)
    assert took < 1 * 5
    assert code == 1001
    assert ['/child-idle', 1001] in ended(server)


def test_silent_client_is_kept_by_default(start_server, runtime):
    server = start_server(APP, runtime, env=ENV)
    # three io_timeouts, silent
    assert echoes_around_silence(server, IO_TIMEOUT * 3 + 0.5) == \
        ('before', 'after')


def test_idle_timeout_closes_a_silent_client_with_1001(start_server,
                                                       runtime):
    server = start_server(APP, runtime, env=ENV)
    code, took = close_of_a_silent_client(server, '/idle', 10)
    assert took < 1 + 3
    assert code == 1001
    assert ['/idle', 1001] in ended(server)


def test_pings_keep_an_idle_limited_client(start_server, runtime):
    server = start_server(APP, runtime, env=ENV)
    with ws_connect(server, '/idle', ping_interval=0.3,
                    ping_timeout=5) as ws:
        time.sleep(3)           # three idle_timeouts, but pinging
        ws.send('alive')
        assert ws.recv(timeout=10) == 'alive'
