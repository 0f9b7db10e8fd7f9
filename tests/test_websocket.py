"""microdot.websocket: the handshake, and handlers driven through the core
by a scripted client (its bytes are read, the server's are collected)."""
import asyncio

from support import raises, skip_on_small_heap

from microdot import Microdot, Response
from microdot.connection import Connection
from microdot.request import Request
from microdot.http import HTTPException
from microdot.websocket import (WebSocket, WebSocketError, with_websocket,
                                websocket_upgrade, accept_key,
                                check_handshake)
from microdot.wsframe import (FrameParser, encode_frame, close_payload,
                              TEXT, BINARY, CONT, CLOSE, PING, PONG)
from microdot.structures import NoCaseDict

KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
MASK = b'\x01\x02\x03\x04'


def upgrade_headers(**changes):
    headers = {'Host': 'example.com', 'Upgrade': 'websocket',
               'Connection': 'Upgrade', 'Sec-WebSocket-Key': KEY,
               'Sec-WebSocket-Version': '13'}
    for name, value in changes.items():
        name = name.replace('_', '-')
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


def request_bytes(path='/ws', headers=None, method='GET', version='1.1'):
    lines = ['{} {} HTTP/{}'.format(method, path, version)]
    for name, value in (upgrade_headers() if headers is None
                        else headers).items():
        lines.append(name + ': ' + value)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


def frame(opcode, payload, fin=True):
    return encode_frame(opcode, payload, fin, MASK)


class Pipe:
    """The client's end: scripted bytes to read (EOF after them), and what
    the server wrote, with the connection's deadline at each call."""

    def __init__(self, data, chunk=1024):
        self.data = data
        self.pos = 0
        self.chunk = chunk
        self.written = []
        self.conn = None
        self.read_deadlines = []
        self.write_deadlines = []

    async def read(self, n=-1):
        # after the handshake (something written): the read's deadline
        self.read_deadlines.append((bool(self.written), self.conn.deadline))
        n = self.chunk if n < 0 else min(n, self.chunk)
        data = self.data[self.pos:self.pos + n]
        self.pos += len(data)
        await asyncio.sleep(0)
        return data

    async def awrite(self, data):
        self.write_deadlines.append(self.conn.deadline)
        self.written.append(bytes(data))
        await asyncio.sleep(0)

    async def aclose(self):
        pass

    def output(self):
        return b''.join(self.written)


class Exchange:
    def __init__(self, pipe, response):
        self.pipe = pipe
        self.response = response
        out = pipe.output()
        head, _, rest = out.partition(b'\r\n\r\n')
        self.head = head.decode()
        self.status = int(self.head.split(' ')[1]) if head else None
        parser = FrameParser(from_client=False)
        parser.receive_data(rest)
        self.events = []
        while True:
            event = parser.next_event()
            if event is None:
                break
            self.events.append(event)

    def close_code(self):
        closes = [value for opcode, value in self.events if opcode == CLOSE]
        assert len(closes) == 1, self.events
        return closes[0][0]

    def messages(self):
        return [event for event in self.events if event[0] in (TEXT, BINARY)]


async def exchange(app, client_data, path='/ws', headers=None, chunk=1024,
                   io_timeout=None, method='GET'):
    pipe = Pipe(request_bytes(path, headers, method) + client_data, chunk)
    return await run_exchange(app, pipe, io_timeout)


async def run_exchange(app, pipe, io_timeout):
    """Serve the request that ``pipe`` holds; the Exchange that followed."""
    conn = Connection(pipe, pipe, ('127.0.0.1', 4000))
    conn.io_timeout = io_timeout
    pipe.conn = conn
    req = await Request.create(app, conn, conn, conn.client_addr)
    res = await app.dispatch_request(req)
    return Exchange(pipe, res)


def echo_app(log=None):
    app = Microdot()

    @app.route('/ws')
    @with_websocket
    async def echo(request, ws):
        try:
            while True:
                message = await ws.receive()
                await ws.send(message)
        except WebSocketError as exc:
            if log is not None:
                log.append(('closed', exc.code))
            raise

    return app


# --- handshake ---------------------------------------------------------------
def test_accept_key_of_the_rfc_example():
    assert accept_key(KEY) == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    assert accept_key(KEY.encode()) == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


def test_python_sha1_matches_known_digests():
    from microdot.websocket import sha1
    # FIPS 180 examples, and padding edge lengths against hashlib where
    # the port has it
    assert sha1(b'abc') == bytes.fromhex(
        'a9993e364706816aba3e25717850c26c9cd0d89d')
    assert sha1(b'') == bytes.fromhex(
        'da39a3ee5e6b4b0d3255bfef95601890afd80709')
    assert sha1(b'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq') \
        == bytes.fromhex('84983e441c3bd26ebaae4aa1f95129e5e54670f1')
    try:
        import hashlib
        reference = hashlib.sha1
    except (ImportError, AttributeError):
        return
    for size in (1, 55, 56, 63, 64, 65, 119, 120, 1000):
        data = bytes(i & 0xff for i in range(size))
        assert sha1(data) == reference(data).digest(), size


def check(method='GET', version='1.1', **changes):
    return check_handshake(method, version,
                           NoCaseDict(upgrade_headers(**changes)))


def refusal(method='GET', version='1.1', **changes):
    with raises(HTTPException) as caught:
        check(method, version, **changes)
    return caught.value


def test_valid_handshakes_give_the_accept_key():
    assert check() == 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    assert check(Connection='keep-alive, Upgrade') == \
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
    assert check(Upgrade='WebSocket', Connection='upgrade') == \
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo='


def test_bad_upgrade_requests_are_400():
    assert refusal(Upgrade=None).status_code == 400
    assert refusal(Upgrade='h2c').status_code == 400
    assert refusal(Connection=None).status_code == 400
    assert refusal(Connection='keep-alive').status_code == 400
    assert refusal(Sec_WebSocket_Key=None).status_code == 400
    assert refusal(Sec_WebSocket_Key='c2hvcnQ=').status_code == 400
    assert refusal(Sec_WebSocket_Key='!' * 24).status_code == 400
    assert refusal(method='POST').status_code == 400
    assert refusal(version='1.0').status_code == 400


def test_other_version_is_426_naming_version_13():
    for version in ('8', '14', ''):
        exc = refusal(Sec_WebSocket_Version=version)
        assert exc.status_code == 426, version
        assert exc.headers['Sec-WebSocket-Version'] == '13'


def test_missing_version_is_400():
    # no version: not a WebSocket handshake at all (RFC 6455 4.2.1), as
    # Microdot answers it
    assert refusal(Sec_WebSocket_Version=None).status_code == 400


async def test_handshake_answers_101_with_the_accept_key():
    result = await exchange(echo_app(), b'')
    assert result.status == 101
    lines = result.head.split('\r\n')
    assert lines[0] == 'HTTP/1.1 101 Switching Protocols'
    assert 'Upgrade: websocket' in lines
    assert 'Connection: Upgrade' in lines
    assert 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' in lines
    assert result.response is Response.already_handled


async def test_bad_handshake_through_the_app_is_an_error_response():
    result = await exchange(echo_app(), b'', headers=upgrade_headers(
        Sec_WebSocket_Key=None))
    assert result.response.status_code == 400
    assert result.pipe.output() == b''      # nothing written by the handler
    result = await exchange(echo_app(), b'', headers=upgrade_headers(
        Sec_WebSocket_Version='8'))
    assert result.response.status_code == 426
    assert result.response.headers['Sec-WebSocket-Version'] == '13'


async def test_plain_get_to_a_websocket_route_is_400():
    result = await exchange(echo_app(), b'', headers={'Host': 'x'})
    assert result.response.status_code == 400


# --- messages ----------------------------------------------------------------
async def test_echo_of_text_and_binary_then_client_close():
    log = []
    data = frame(TEXT, 'hello') + frame(BINARY, b'\x00\x01') + \
        frame(TEXT, 'ünï') + frame(CLOSE, close_payload(1000))
    result = await exchange(echo_app(log), data)
    assert result.messages() == [(TEXT, 'hello'), (BINARY, b'\x00\x01'),
                                 (TEXT, 'ünï')]
    assert result.events[-1] == (CLOSE, (1000, ''))
    assert log == [('closed', 1000)]


async def test_client_close_code_is_echoed():
    log = []
    result = await exchange(echo_app(log),
                            frame(CLOSE, close_payload(1001, 'leaving')))
    assert result.close_code() == 1001
    assert log == [('closed', 1001)]


async def test_messages_split_across_reads_and_fragments():
    skip_on_small_heap(1024, 'a 5 KiB message in 3-byte reads, each '
                            'read recorded by the test\'s pipe')
    data = frame(TEXT, 'Hel', fin=False) + frame(CONT, 'lo', fin=False) + \
        frame(CONT, '!') + frame(BINARY, bytes(range(256)) * 20) + \
        frame(CLOSE, close_payload(1000))
    result = await exchange(echo_app(), data, chunk=3)
    assert result.messages() == [(TEXT, 'Hello!'),
                                 (BINARY, bytes(range(256)) * 20)]


async def test_ping_is_answered_with_pong_and_pong_is_ignored():
    data = frame(PING, b'are you there') + frame(PONG, b'unsolicited') + \
        frame(TEXT, 'x') + frame(CLOSE, close_payload(1000))
    result = await exchange(echo_app(), data)
    assert result.events[0] == (PONG, b'are you there')
    assert result.messages() == [(TEXT, 'x')]
    assert not [e for e in result.events if e[0] == PING]


async def test_ping_between_fragments_is_answered_at_once():
    data = frame(TEXT, 'a', fin=False) + frame(PING, b'1') + \
        frame(CONT, 'b') + frame(CLOSE, close_payload(1000))
    result = await exchange(echo_app(), data)
    assert result.events[:2] == [(PONG, b'1'), (TEXT, 'ab')]


async def test_client_disconnect_without_close_ends_the_handler_quietly():
    log = []
    result = await exchange(echo_app(log), frame(TEXT, 'a'))
    assert result.messages() == [(TEXT, 'a')]
    assert log == [('closed', 1006)]
    assert result.response is Response.already_handled
    assert not [e for e in result.events if e[0] == CLOSE]


async def test_handler_return_closes_with_1000():
    app = Microdot()

    @app.route('/ws')
    @with_websocket
    async def once(request, ws):
        await ws.send('greetings')

    result = await exchange(app, frame(CLOSE, close_payload(1000)))
    assert result.events == [(TEXT, 'greetings'), (CLOSE, (1000, ''))]


async def test_handler_error_closes_with_1011():
    app = Microdot()

    @app.route('/ws')
    @with_websocket
    async def broken(request, ws):
        await ws.receive()
        raise ValueError('a bug in the handler (expected by this test)')

    result = await exchange(app, frame(TEXT, 'x'))
    assert result.close_code() == 1011
    assert result.response is Response.already_handled


async def test_route_arguments_reach_the_handler():
    app = Microdot()

    @app.route('/room/<name>')
    @with_websocket
    async def room(request, ws, name):
        await ws.send('welcome to ' + name)

    result = await exchange(app, b'', path='/room/kitchen')
    assert result.messages() == [(TEXT, 'welcome to kitchen')]


async def test_send_picks_the_opcode_from_the_type_unless_given():
    app = Microdot()

    @app.route('/ws')
    @with_websocket
    async def sender(request, ws):
        await ws.send('text')
        await ws.send(b'bytes')
        await ws.send(bytearray(b'array'))
        await ws.send(b'as text', WebSocket.TEXT)
        await ws.send('as binary', WebSocket.BINARY)

    result = await exchange(app, b'')
    assert result.messages() == [(TEXT, 'text'), (BINARY, b'bytes'),
                                 (BINARY, b'array'), (TEXT, 'as text'),
                                 (BINARY, b'as binary')]


async def test_large_messages_use_the_long_length_forms():
    skip_on_small_heap(1024, 'a 64 KiB message and its frames')
    big = bytes(range(256)) * 300           # 76800 bytes: 64-bit length
    medium = 'm' * 5000                     # 16-bit length
    data = frame(BINARY, big) + frame(TEXT, medium) + \
        frame(CLOSE, close_payload(1000))
    saved = WebSocket.max_message_length
    WebSocket.max_message_length = len(big)
    try:
        result = await exchange(echo_app(), data)
    finally:
        WebSocket.max_message_length = saved
    assert result.messages() == [(BINARY, big), (TEXT, medium)]


async def test_no_message_limit_means_request_max_body_length():
    # -1 (the default) bounds messages by Request.max_body_length, as in
    # Microdot: a board keeps a bound
    assert WebSocket.max_message_length == -1
    saved = Request.max_body_length
    Request.max_body_length = 10
    try:
        result = await exchange(echo_app(), frame(TEXT, '0123456789') +
                                frame(TEXT, '0123456789a'))
    finally:
        Request.max_body_length = saved
    assert result.messages()[0] == (TEXT, '0123456789')
    assert result.close_code() == 1009


async def test_concurrent_senders_never_interleave_frames():
    app = Microdot()

    @app.route('/ws')
    @with_websocket
    async def two_tasks(request, ws):
        async def sender(byte):
            for _ in range(5):
                await ws.send(byte * 3000)
        await asyncio.gather(sender(b'a'), sender(b'b'))

    result = await exchange(app, b'')
    messages = result.messages()
    assert len(messages) == 10
    for opcode, payload in messages:
        assert payload in (b'a' * 3000, b'b' * 3000)


async def test_send_after_close_raises_websocket_error():
    app = Microdot()
    outcome = []

    @app.route('/ws')
    @with_websocket
    async def late(request, ws):
        with raises(WebSocketError):
            await ws.receive()
        with raises(WebSocketError):
            await ws.send('too late')
        outcome.append('done')

    result = await exchange(app, frame(CLOSE, close_payload(1000)))
    assert outcome == ['done']
    assert result.events == [(CLOSE, (1000, ''))]


# --- protocol errors close with the right code -------------------------------
async def test_unmasked_frame_closes_with_1002():
    log = []
    result = await exchange(echo_app(log), encode_frame(TEXT, 'no mask'))
    assert result.close_code() == 1002
    assert result.messages() == []
    assert log == [('closed', 1002)]


async def test_bad_utf8_closes_with_1007():
    result = await exchange(echo_app(), frame(TEXT, b'\xc3\x28'))
    assert result.close_code() == 1007


async def test_reserved_opcode_closes_with_1002():
    result = await exchange(echo_app(), frame(5, b''))
    assert result.close_code() == 1002


async def test_oversized_message_closes_with_1009():
    class Limited(WebSocket):
        max_message_length = 100

    async def upgrade(request):
        ws = Limited(request)
        await ws.handshake()
        return ws

    from microdot.websocket import websocket_wrapper
    app = Microdot()

    async def echo(request, ws):
        while True:
            await ws.send(await ws.receive())

    app.route('/ws')(websocket_wrapper(echo, upgrade))
    data = frame(TEXT, 'a' * 100) + frame(TEXT, 'b' * 101) + \
        frame(TEXT, 'never read')
    result = await exchange(app, data)
    assert result.messages() == [(TEXT, 'a' * 100)]
    assert result.close_code() == 1009


async def test_max_message_length_class_attribute_applies():
    saved = WebSocket.max_message_length
    WebSocket.max_message_length = 10
    try:
        result = await exchange(echo_app(), frame(BINARY, b'x' * 11))
    finally:
        WebSocket.max_message_length = saved
    assert result.close_code() == 1009
    assert WebSocket.max_message_length == -1


async def test_events_before_a_protocol_error_are_handled():
    data = frame(TEXT, 'ok') + frame(TEXT, 'bad', fin=False) + \
        frame(BINARY, b'interrupts')
    result = await exchange(echo_app(), data)
    assert result.messages() == [(TEXT, 'ok')]
    assert result.close_code() == 1002


# --- timeouts and the direct upgrade -----------------------------------------
class SegmentPipe(Pipe):
    """A Pipe whose reads return the given pieces, one per read."""

    def __init__(self, pieces):
        super().__init__(b'')
        self.pieces = list(pieces)

    async def read(self, n=-1):
        self.read_deadlines.append((bool(self.written), self.conn.deadline))
        await asyncio.sleep(0)
        return self.pieces.pop(0) if self.pieces else b''


async def segment_exchange(app, pieces, io_timeout=5000):
    pipe = SegmentPipe([request_bytes()] + pieces)
    return await run_exchange(app, pipe, io_timeout)


async def test_reads_between_messages_wait_without_deadline():
    first = frame(TEXT, 'a' * 40)
    bye = frame(CLOSE, close_payload(1000))
    result = await segment_exchange(echo_app(), [
        first[:3], first[3:20], first[20:], bye[:1], bye[1:]])
    pipe = result.pipe
    assert result.messages() == [(TEXT, 'a' * 40)]
    after = [deadline for upgraded, deadline in pipe.read_deadlines
             if upgraded]
    assert len(after) == 5, after
    # waiting for a message: no deadline; inside a frame: one deadline for
    # the whole frame, not one per read; each frame a deadline of its own
    assert after[0] is None and after[3] is None
    assert after[1] is not None and after[1] == after[2]
    assert after[4] is not None
    # every write (101, echo, close) ran under the app's io_timeout
    assert len(pipe.write_deadlines) == 3
    assert None not in pipe.write_deadlines
    assert pipe.conn.io_timeout == 5000   # given back afterwards
    assert pipe.conn.deadline is None


async def test_wait_for_the_next_fragment_has_a_deadline():
    part = frame(TEXT, 'ab', fin=False)
    rest = frame(CONT, 'cd')
    result = await segment_exchange(echo_app(), [
        part, rest[:2], rest[2:], frame(CLOSE, close_payload(1000))])
    assert result.messages() == [(TEXT, 'abcd')]
    after = [deadline for upgraded, deadline in result.pipe.read_deadlines
             if upgraded]
    assert after[0] is None
    # from the end of the first fragment to the end of the second
    assert after[1] is not None and after[1] == after[2]
    assert after[3] is None


async def test_idle_timeout_gives_reads_between_messages_a_deadline():
    saved = WebSocket.idle_timeout
    WebSocket.idle_timeout = 60
    try:
        result = await segment_exchange(echo_app(), [
            frame(TEXT, 'x'), frame(CLOSE, close_payload(1000))],
            io_timeout=None)
    finally:
        WebSocket.idle_timeout = saved
    after = [deadline for upgraded, deadline in result.pipe.read_deadlines
             if upgraded]
    assert len(after) == 2 and None not in after
    assert result.pipe.write_deadlines == [None, None, None]


async def test_websocket_upgrade_in_a_plain_handler():
    app = Microdot()

    @app.route('/ws')
    async def manual(request):
        if request.args.get('token') != 'secret':
            return 'denied', 401
        ws = await websocket_upgrade(request)
        await ws.send(await ws.receive())
        return 'this response is never sent'

    result = await exchange(app, frame(TEXT, 'hi'), path='/ws?token=secret')
    assert result.response is Response.already_handled
    assert result.messages() == [(TEXT, 'hi')]
    result = await exchange(app, b'', path='/ws')
    assert result.response.status_code == 401


async def test_websocket_constants_and_defaults():
    assert (WebSocket.CONT, WebSocket.TEXT, WebSocket.BINARY) == (0, 1, 2)
    assert (WebSocket.CLOSE, WebSocket.PING, WebSocket.PONG) == (8, 9, 10)
    assert WebSocket.max_message_length == -1
    assert WebSocket.idle_timeout is None
    assert issubclass(WebSocketError, Exception)


async def test_client_gone_during_the_handshake_is_not_an_error():
    app = Microdot()
    ran = []

    @app.route('/ws')
    @with_websocket
    async def handler(request, ws):
        ran.append(True)

    class GonePipe(Pipe):
        async def awrite(self, data):
            raise OSError(104, 'Connection reset by peer')

    pipe = GonePipe(request_bytes())
    conn = Connection(pipe, pipe, ('127.0.0.1', 4000))
    pipe.conn = conn
    req = await Request.create(app, conn, conn, conn.client_addr)
    res = await app.dispatch_request(req)
    assert res is Response.already_handled
    assert ran == []
