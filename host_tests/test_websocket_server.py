"""WebSocket over real sockets, on every runtime: the `websockets` client
against host_tests/apps/websocket_app.py, raw sockets for the frames no
well-behaved client sends, and the example of examples/websocket/."""
import os
import shutil
import socket
import struct
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.sync.client import connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = 'host_tests/apps/websocket_app.py'
LIMIT = 64 * 1024      # the app's WebSocket.max_message_length
LAUNCHER = '''\
import os
app = __import__(os.getenv('EXAMPLE')).app
app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''


def ws_connect(server, path='/echo'):
    # proxy=None: never a proxy from the environment, only 127.0.0.1
    return connect('ws://127.0.0.1:{}{}'.format(server.port, path),
                   proxy=None, open_timeout=10, close_timeout=5,
                   ping_interval=None, max_size=4 * LIMIT)


def stats(server):
    return httpx.get(server.url + '/stats', timeout=10).json()


def wait_for(condition, server, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        current = stats(server)
        if condition(current):
            return current
        if time.monotonic() > deadline:
            pytest.fail('condition not met; stats: {}'.format(current))
        time.sleep(0.05)


# --- a raw client, for frames the websockets package would never send --------
class RawClient:
    def __init__(self, server, path='/echo'):
        self.sock = socket.create_connection(('127.0.0.1', server.port),
                                             timeout=10)
        self.sock.sendall(
            'GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'.format(
                path).encode())
        self.buffer = b''
        while b'\r\n\r\n' not in self.buffer:
            self._recv()
        head, _, self.buffer = self.buffer.partition(b'\r\n\r\n')
        self.head = head.decode()

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError('server closed the connection')
        self.buffer += data

    def _take(self, n):
        while len(self.buffer) < n:
            self._recv()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send_frame(self, first_byte, payload, mask=b'\x11\x22\x33\x44'):
        length = len(payload)
        if length < 126:
            head = bytes((first_byte, (0x80 if mask else 0) | length))
        else:
            head = bytes((first_byte, (0x80 if mask else 0) | 126)) + \
                struct.pack('!H', length)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            head += mask
        self.sock.sendall(head + payload)

    def read_frame(self):
        """(opcode, payload) of the next server frame, which must be
        unmasked."""
        first, second = self._take(2)
        assert second & 0x80 == 0, 'server frames are never masked'
        length = second & 0x7f
        if length == 126:
            length = struct.unpack('!H', self._take(2))[0]
        elif length == 127:
            length = struct.unpack('!Q', self._take(8))[0]
        return first & 0x0f, self._take(length)

    def read_close_code(self):
        opcode, payload = self.read_frame()
        assert opcode == 8, (opcode, payload)
        return struct.unpack('!H', payload[:2])[0]

    def at_eof(self):
        try:
            return self.sock.recv(1) == b''
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


# --- with a real client ------------------------------------------------------
def test_echo_of_text_and_binary(start_server, runtime):
    server = start_server(APP, runtime)
    with ws_connect(server) as ws:
        ws.send('hello')
        assert ws.recv(timeout=10) == 'hello'
        ws.send('ünïcødé ☃ \U0001f600')
        assert ws.recv(timeout=10) == 'ünïcødé ☃ \U0001f600'
        ws.send(b'\x00\x01\xfe\xff')
        assert ws.recv(timeout=10) == b'\x00\x01\xfe\xff'
        ws.send('')
        assert ws.recv(timeout=10) == ''


def test_messages_at_the_length_limit_use_every_length_form(start_server,
                                                            runtime):
    server = start_server(APP, runtime)
    with ws_connect(server) as ws:
        for size in (125, 126, 65535, LIMIT):
            payload = bytes(i & 0xff for i in range(size))
            ws.send(payload)
            assert ws.recv(timeout=20) == payload, size


def test_many_messages_in_a_row_come_back_in_order(start_server, runtime):
    server = start_server(APP, runtime)
    with ws_connect(server) as ws:
        for i in range(200):
            ws.send('message {}'.format(i))
        for i in range(200):
            assert ws.recv(timeout=10) == 'message {}'.format(i)


def test_fragmented_messages_from_the_client_are_reassembled(start_server,
                                                             runtime):
    server = start_server(APP, runtime)
    with ws_connect(server, '/types') as ws:
        ws.send(['Hel', 'lo, ', 'wörld'])       # text in three frames
        assert ws.recv(timeout=10) == 'str:12'
        ws.send([b'\x00' * 1000, b'\x01' * 2000, b''])
        assert ws.recv(timeout=10) == 'bytes:3000'
    with ws_connect(server) as ws:
        ws.send(['a' * 40000, 'b' * 20000])
        assert ws.recv(timeout=10) == 'a' * 40000 + 'b' * 20000


def test_ping_is_answered_with_pong(start_server, runtime):
    server = start_server(APP, runtime)
    with ws_connect(server) as ws:
        assert ws.ping(b'are you there?').wait(10)
        assert ws.ping(b'').wait(10)
        ws.send('still echoing')
        assert ws.recv(timeout=10) == 'still echoing'


def test_ping_between_fragments_is_answered(start_server, runtime):
    server = start_server(APP, runtime)
    raw = RawClient(server)
    raw.send_frame(0x01, b'frag')           # text, not final
    raw.send_frame(0x89, b'ping!')          # ping
    raw.send_frame(0x80, b'ment')           # final continuation
    assert raw.read_frame() == (10, b'ping!')
    assert raw.read_frame() == (1, b'fragment')
    raw.close()


def test_client_close_codes_are_echoed_and_end_the_handler(start_server,
                                                           runtime):
    server = start_server(APP, runtime)
    for code, reason in ((1000, ''), (1001, 'going away'),
                         (4000, 'custom')):
        with ws_connect(server) as ws:
            ws.send('x')
            assert ws.recv(timeout=10) == 'x'
            ws.close(code, reason)
            assert ws.close_code == code
    current = wait_for(lambda s: s['ended'] == 3, server)
    assert current['started'] == 3
    assert current['closed_by_client'] == [1000, 1001, 4000]
    assert 'Traceback' not in server.output()


def test_server_ending_the_handler_closes_with_1000(start_server, runtime):
    server = start_server(APP, runtime)
    with ws_connect(server, '/bye') as ws:
        assert ws.recv(timeout=10) == 'bye'
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=10)
        assert ws.close_code == 1000


def test_handler_failure_closes_with_1011_and_is_logged(start_server,
                                                        runtime):
    server = start_server(APP, runtime)
    with ws_connect(server, '/broken') as ws:
        ws.send('trigger')
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1011
    assert 'handler failure expected by the test' in server.output()


# --- protocol errors ---------------------------------------------------------
def test_oversized_message_closes_with_1009(start_server, runtime):
    server = start_server(APP, runtime)
    with ws_connect(server) as ws:
        ws.send(b'x' * (LIMIT + 1))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1009
    with ws_connect(server) as ws:           # fragments count together
        ws.send([b'x' * LIMIT, b'y'])
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1009


def test_oversized_frame_is_refused_before_its_payload(start_server,
                                                       runtime):
    server = start_server(APP, runtime)
    raw = RawClient(server)
    # announce 1 MiB, send none of it: the header alone gets the 1009
    raw.sock.sendall(b'\x82\xff' + struct.pack('!Q', 1 << 20) +
                     b'\x01\x02\x03\x04')
    assert raw.read_close_code() == 1009
    raw.close()


def test_bad_utf8_closes_with_1007(start_server, runtime):
    server = start_server(APP, runtime)
    for bad in (b'\xff\xfe', b'\xc0\xaf', b'\xed\xa0\x80'):
        with ws_connect(server) as ws:
            ws.send(bad, text=True)
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            assert ws.close_code == 1007, bad


def test_unmasked_frame_closes_with_1002(start_server, runtime):
    server = start_server(APP, runtime)
    raw = RawClient(server)
    assert raw.head.startswith('HTTP/1.1 101 ')
    raw.send_frame(0x81, b'not masked', mask=None)
    assert raw.read_close_code() == 1002
    assert raw.at_eof()
    raw.close()


def test_reserved_bits_opcodes_and_bad_control_frames_close_with_1002(
        start_server, runtime):
    server = start_server(APP, runtime)
    for first_byte, payload in ((0xc1, b'rsv1'), (0x83, b''), (0x8b, b''),
                                (0x09, b'fragmented ping'),
                                (0x89, b'p' * 126), (0x80, b'orphan'),
                                (0x88, b'\x03')):
        raw = RawClient(server)
        raw.send_frame(first_byte, payload)
        assert raw.read_close_code() == 1002, hex(first_byte)
        raw.close()
    assert 'Traceback' not in server.output()
    with ws_connect(server) as ws:          # and the server is fine
        ws.send('ok')
        assert ws.recv(timeout=10) == 'ok'


# --- clients that leave, handshakes that fail --------------------------------
def test_client_vanishing_without_close_ends_the_handler_quietly(
        start_server, runtime):
    server = start_server(APP, runtime)
    for _ in range(3):
        raw = RawClient(server)
        raw.send_frame(0x81, b'hi')
        assert raw.read_frame() == (1, b'hi')
        raw.close()                              # no close frame
    raw = RawClient(server)
    raw.sock.sendall(b'\x81\x85\x01\x02')      # half a frame, then gone
    raw.close()
    current = wait_for(lambda s: s['ended'] == 4, server)
    assert current['closed_by_client'] == [1006] * 4
    output = server.output()
    assert 'Traceback' not in output and 'Error' not in output


def test_invalid_upgrade_requests_get_clean_errors(start_server, runtime):
    server = start_server(APP, runtime)
    url = server.url + '/echo'
    upgrade = {'Upgrade': 'websocket', 'Connection': 'Upgrade',
               'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
               'Sec-WebSocket-Version': '13'}
    with httpx.Client(timeout=10) as client:
        assert client.get(url).status_code == 400
        res = client.get(url, headers=dict(upgrade,
                                           **{'Sec-WebSocket-Version': '8'}))
        assert res.status_code == 426
        assert res.headers['Sec-WebSocket-Version'] == '13'
        res = client.get(url, headers=dict(upgrade,
                                           **{'Sec-WebSocket-Key': 'short'}))
        assert res.status_code == 400
        res = client.get(url, headers=dict(upgrade, Connection='keep-alive'))
        assert res.status_code == 400
        # the connection stays usable after these refusals
        assert client.get(server.url + '/stats').json()['started'] == 0


def test_permessage_deflate_offer_is_declined(start_server, runtime):
    server = start_server(APP, runtime)
    with ws_connect(server) as ws:
        assert 'Sec-WebSocket-Extensions' not in ws.response.headers
        ws.send('x' * 1000)
        assert ws.recv(timeout=10) == 'x' * 1000


# --- the example -------------------------------------------------------------
def test_echo_example(start_server, runtime, tmp_path):
    directory = tmp_path / 'websocket'
    shutil.copytree(os.path.join(ROOT, 'examples', 'websocket'), directory,
                    ignore=shutil.ignore_patterns('__pycache__'))
    (directory / 'launch.py').write_text(LAUNCHER)
    server = start_server(str(directory / 'launch.py'), runtime,
                          env={'EXAMPLE': 'echo'})
    page = httpx.get(server.url + '/', timeout=10)
    assert page.status_code == 200
    assert page.headers['Content-Type'].startswith('text/html')
    assert "new WebSocket(" in page.text and "'/echo'" in page.text
    with ws_connect(server) as ws:
        ws.send('hello example')
        assert ws.recv(timeout=10) == 'hello example'
