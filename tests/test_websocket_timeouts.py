"""WebSocket deadlines over real sockets on 127.0.0.1, on every runtime: a
client that starts a frame and stalls is closed with 1008 while the server
goes on serving others; waiting between messages has no limit unless
WebSocket.idle_timeout is set. Also 1009 and 1002 over a socket.

Each test runs a server with a short io_timeout in its own event loop; the
server's sweeper looks at deadlines once a second, so a deadline is acted
on up to a second after it passes."""
import asyncio

from support import skip_without_sockets

from microdot import Microdot
from microdot.websocket import (WebSocket, WebSocketError, with_websocket,
                                websocket_wrapper)
from microdot.wsframe import (FrameParser, encode_frame, close_payload,
                              TEXT, BINARY, CONT, CLOSE)

IO_TIMEOUT = 0.5        # seconds: the app's io_timeout in these tests
CLOSE_WAIT = 5          # seconds a client waits for what it expects
MASK = b'\x0a\x0b\x0c\x0d'


class Idle(WebSocket):
    idle_timeout = 0.5


def make_app():
    app = Microdot()
    app.io_timeout = IO_TIMEOUT
    app.ended = []          # (route, close code) of each handler that ended

    async def echo(request, ws):
        try:
            while True:
                await ws.send(await ws.receive())
        except WebSocketError as exc:
            app.ended.append((request.path, exc.code))
            raise

    app.route('/echo')(with_websocket(echo))

    class Limited(WebSocket):
        max_message_length = 100

    def upgrade_with(cls):
        async def upgrade(request):
            ws = cls(request)
            await ws.handshake()
            return ws
        return upgrade

    app.route('/idle')(websocket_wrapper(echo, upgrade_with(Idle)))
    app.route('/limited')(websocket_wrapper(echo, upgrade_with(Limited)))
    app.route('/child')(with_websocket(child_echo(app)))
    app.route('/child-idle')(websocket_wrapper(child_echo(app),
                                               upgrade_with(Idle)))
    return app


def child_echo(app):
    """An echo handler whose receives run in a task of their own, which
    hands each message (or the WebSocketError that ended it) to the
    handler's task through an Event."""
    async def handler(request, ws):
        got = []
        ready = asyncio.Event()

        async def receiver():
            try:
                while True:
                    got.append(await ws.receive())
                    ready.set()
            except WebSocketError as exc:
                got.append(exc)
                ready.set()

        asyncio.create_task(receiver())
        while True:
            await ready.wait()
            ready.clear()
            while got:
                item = got.pop(0)
                if isinstance(item, WebSocketError):
                    app.ended.append((request.path, item.code))
                    raise item
                await ws.send(item)
    return handler


async def _serve(app, port, failures):
    try:
        await app.start_server('127.0.0.1', port)
    except OSError as exc:      # the port is taken
        failures.append(exc)


async def start(app):
    """Serve ``app`` on a free port of 127.0.0.1: (port, task)."""
    skip_without_sockets()
    try:
        import random
        base = 20000 + random.getrandbits(14) * 2
    except ImportError:
        import time
        base = 20000 + int(time.time() * 1000) % 30000
    for port in range(base, base + 40):
        failures = []
        task = asyncio.create_task(_serve(app, port, failures))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if failures or app.server is not None:
                break
        if app.server is not None:
            return port, task
        await task
    raise AssertionError('no free port from {}'.format(base))


async def stop(app, task):
    app.shutdown()
    await asyncio.wait_for(task, 10)


class Served:
    """``async with Served() as served:`` serves a make_app() app on a free
    port (served.app, served.port) for the body of the block, and stops it
    at its end."""

    async def __aenter__(self):
        self.app = make_app()
        self.port, self.task = await start(self.app)
        return self

    async def __aexit__(self, *exc_info):
        await stop(self.app, self.task)


class Client:
    """A raw WebSocket client: it sends whatever bytes it is told to."""

    async def connect(self, port, path='/echo'):
        self.reader, self.writer = await asyncio.open_connection(
            '127.0.0.1', port)
        await self.send(
            'GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'.format(
                path).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            data = await self._recv()
            assert data, 'closed during the handshake'
            head += data
        head, _, rest = head.partition(b'\r\n\r\n')
        assert head.startswith(b'HTTP/1.1 101 '), head
        self.parser = FrameParser(from_client=False)
        self.parser.receive_data(rest)
        self.eof = False
        return self

    async def _recv(self, timeout=CLOSE_WAIT):
        try:
            return await asyncio.wait_for(self.reader.read(1024), timeout)
        except OSError as exc:
            if isinstance(exc, asyncio.TimeoutError):   # one on CPython
                raise
            return b''            # reset by the server

    async def send(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def event(self, timeout=CLOSE_WAIT):
        """The server's next frame as (opcode, value); None at EOF. Fails
        (asyncio's TimeoutError) when nothing comes within ``timeout``."""
        while True:
            event = self.parser.next_event()
            if event is not None:
                return event
            if self.eof:
                return None
            data = await self._recv(timeout)
            if not data:
                self.eof = True
            else:
                self.parser.receive_data(data)

    async def close_code(self, timeout=CLOSE_WAIT):
        event = await self.event(timeout)
        assert event is not None and event[0] == CLOSE, event
        return event[1][0]

    async def at_eof(self):
        # after a close frame the server parses nothing more; read until
        # it has closed the socket
        while not self.eof:
            data = await self._recv()
            if not data:
                self.eof = True
        return True

    async def echo(self, text):
        await self.send(encode_frame(TEXT, text, mask=MASK))
        return await self.event()

    async def aclose(self):
        try:
            self.writer.close()
            await self.writer.wait_closed()
        except Exception:
            pass


async def _timed(coro):
    import time
    start = time.time()
    value = await coro
    return value, time.time() - start


async def closed_within(client, seconds):
    """Wait for the server to close ``client``: its close code, once it is
    checked that the close frame came within ``seconds`` (plus the sweeper's
    second and some slack) and that the server then closed the socket."""
    code, took = await _timed(client.close_code())
    assert took < seconds + 2.5, took
    assert await client.at_eof()
    return code


async def close_of_a_silent_client(path):
    """Connect to ``path``, echo one message and then send nothing: the
    close code the server sends (within idle_timeout, checked) and the
    (route, close code) of the handlers that had ended before the server
    stopped."""
    async with Served() as served:
        client = await Client().connect(served.port, path)
        assert await client.echo('hello') == (TEXT, 'hello')
        code = await closed_within(client, Idle.idle_timeout)
        await client.aclose()
        return code, list(served.app.ended)


# --- a frame that has begun must end within io_timeout ----------------------
async def test_stalled_frame_header_is_closed_with_1008_others_served():
    async with Served() as served:
        stalled = await Client().connect(served.port)
        await stalled.send(b'\x81')         # one byte of a header, no more
        other = await Client().connect(served.port)
        assert await other.echo('meanwhile') == (TEXT, 'meanwhile')
        assert await closed_within(stalled, IO_TIMEOUT) == 1008
        assert await other.echo('after') == (TEXT, 'after')
        await stalled.aclose()
        await other.aclose()
        fresh = await Client().connect(served.port)
        assert await fresh.echo('fresh') == (TEXT, 'fresh')
        await fresh.aclose()
        assert ('/echo', 1008) in served.app.ended


async def test_stalled_payload_is_closed_with_1008():
    async with Served() as served:
        client = await Client().connect(served.port)
        # a 20-byte text frame: its header and 5 bytes of payload
        await client.send(encode_frame(TEXT, 'x' * 20, mask=MASK)[:11])
        assert await client.close_code() == 1008
        assert await client.at_eof()
        await client.aclose()


async def test_trickled_frame_is_bounded_as_a_whole():
    # each byte comes well within io_timeout of the last, but the frame
    # takes longer than io_timeout in all
    async with Served() as served:
        client = await Client().connect(served.port)
        data = encode_frame(TEXT, 'y' * 30, mask=MASK)
        event = None
        for i in range(len(data)):
            await client.send(data[i:i + 1])
            try:
                event = await client.event(0.15)
            except asyncio.TimeoutError:
                continue
            break
        assert event is not None, 'the whole frame was accepted'
        assert event[0] == CLOSE and event[1][0] == 1008, event
        assert i < len(data) - 1
        await client.aclose()


async def test_stall_between_fragments_is_closed_with_1008():
    async with Served() as served:
        client = await Client().connect(served.port)
        await client.send(encode_frame(TEXT, 'first half', fin=False,
                                       mask=MASK))
        assert await client.close_code() == 1008
        await client.aclose()
        # a fragmented message that keeps coming is fine
        client = await Client().connect(served.port)
        await client.send(encode_frame(TEXT, 'ab', fin=False, mask=MASK))
        await asyncio.sleep(0.2)
        await client.send(encode_frame(CONT, 'cd', mask=MASK))
        assert await client.event() == (TEXT, 'abcd')
        await client.aclose()


async def test_receive_in_a_child_task_is_closed_with_1008():
    # the deadline cancels the task that is receiving, not the handler's
    async with Served() as served:
        client = await Client().connect(served.port, '/child')
        assert await client.echo('from the child') == \
            (TEXT, 'from the child')
        await client.send(encode_frame(TEXT, 'x' * 20, mask=MASK)[:11])
        assert await closed_within(client, IO_TIMEOUT) == 1008
        await client.aclose()
        assert ('/child', 1008) in served.app.ended
        other = await Client().connect(served.port, '/child')
        assert await other.echo('next') == (TEXT, 'next')
        await other.aclose()


async def test_idle_receive_in_a_child_task_is_closed_with_1001():
    code, ended = await close_of_a_silent_client('/child-idle')
    assert code == 1001
    assert ('/child-idle', 1001) in ended


async def test_shutdown_ends_a_child_task_receive_with_1001():
    app = make_app()
    port, task = await start(app)
    client = None
    try:
        client = await Client().connect(port, '/child-idle')
        assert await client.echo('hello') == (TEXT, 'hello')
        app.shutdown()
        assert await client.close_code() == 1001
        await asyncio.wait_for(task, 10)
    finally:
        if client is not None:
            await client.aclose()
        if not task.done():
            await stop(app, task)


# --- between messages: no limit by default, idle_timeout when set -----------
async def test_waiting_between_messages_has_no_limit_by_default():
    async with Served() as served:
        client = await Client().connect(served.port)
        assert await client.echo('one') == (TEXT, 'one')
        # four times io_timeout, and two sweeps of the server
        await asyncio.sleep(IO_TIMEOUT * 4 + 0.2)
        assert await client.echo('two') == (TEXT, 'two')
        await client.aclose()


async def test_idle_timeout_closes_a_silent_connection_with_1001():
    code, ended = await close_of_a_silent_client('/idle')
    assert code == 1001
    assert ('/idle', 1001) in ended


# --- too big, or broken: the close code, and the server goes on -------------
async def test_oversized_message_is_1009_and_the_server_goes_on():
    async with Served() as served:
        for data in (encode_frame(BINARY, b'z' * 101, mask=MASK),
                     encode_frame(BINARY, b'z' * 60, fin=False, mask=MASK) +
                     encode_frame(CONT, b'z' * 41, mask=MASK)):
            client = await Client().connect(served.port, '/limited')
            assert await client.echo('fits') == (TEXT, 'fits')
            await client.send(data)
            assert await client.close_code() == 1009
            assert await client.at_eof()
            await client.aclose()
        client = await Client().connect(served.port, '/limited')
        assert await client.echo('still here') == (TEXT, 'still here')
        await client.aclose()


async def test_bad_frames_are_1002_and_the_server_goes_on():
    async with Served() as served:
        for data in (encode_frame(TEXT, 'not masked'),
                     b'\xc1\x80' + MASK,            # RSV1 set
                     encode_frame(CONT, 'orphan', mask=MASK),
                     encode_frame(CLOSE, close_payload(999), mask=MASK)):
            client = await Client().connect(served.port)
            await client.send(data)
            assert await client.close_code() == 1002, data
            assert await client.at_eof()
            await client.aclose()
        client = await Client().connect(served.port)
        assert await client.echo('fine') == (TEXT, 'fine')
        await client.aclose()
        assert served.app.ended.count(('/echo', 1002)) == 4
