"""WebSocket (RFC 6455) on the built-in server: the upgrade handshake, and
messages over the connection the request arrived on.

The frame format lives in ``wsframe`` (no I/O); this module validates the
handshake, then moves bytes between the connection and the frame parser.
A handler decorated with ``with_websocket`` receives a ``WebSocket``::

    @app.route('/echo')
    @with_websocket
    async def echo(request, ws):
        while True:
            await ws.send(await ws.receive())

When the client closes the connection, or breaks the protocol (the
WebSocket is then closed with the matching code), ``receive()`` raises
``WebSocketError``; the decorator ends the handler there without logging
anything.

Timeouts, all through the server's connection deadline and its sweeper
(no timer of their own): between messages ``receive()`` waits for the
client as long as it takes, unless ``WebSocket.idle_timeout`` is set (then
1001). A frame that has begun, or the next frame of an unfinished
fragmented message, must arrive whole within the app's ``io_timeout``,
else the connection is closed with 1008: a client that sends half a frame
and stalls holds neither the handler nor the frame's buffer. Each write is
held to ``io_timeout`` too. A read deadline cancels the task that reads,
so a handler may receive in a child task and still get the close. The
same holds under gunicorn (``microdot.wsgi`` sweeps the connection
itself); under an ASGI server see ``microdot.asgi.WebSocket``.
"""
import asyncio
from asyncio import current_task
import binascii

from .compat import (CancelledError, is_disconnect, print_exception,
                     ticks_ms, ticks_add, ticks_diff)
from .connection import BUSY, IDLE
from .http import HTTPException
from .request import Request
from .response import Response
from . import wsframe
from .wsframe import FrameError, FrameParser, frame_header

MUTED_SOCKET_ERRORS = [32, 54, 104, 128]

_GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
_READ_SIZE = 1024
_SMALL_FRAME = 1024    # header and payload written in one piece below this
_CLOSE_WAIT = 2        # seconds to wait for the client's reply to a close


class WebSocketError(Exception):
    """The WebSocket connection is closed (by the client, or because it
    broke the protocol); ``code`` is the close code, when there was one."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class _HandshakeRefused(HTTPException):
    """A request that is not a valid WebSocket upgrade. An HTTPException,
    so that it still gives its status when raised outside the decorator;
    the decorator also sends its headers."""

    def __init__(self, status_code, reason, headers=None):
        super().__init__(status_code, reason)
        self.headers = headers or {}

    def response(self):
        return Response(self.reason, self.status_code, self.headers)


def accept_key(key):
    """The Sec-WebSocket-Accept value that answers Sec-WebSocket-Key."""
    if isinstance(key, str):
        key = key.encode()
    try:
        import hashlib
        digest = hashlib.sha1(key + _GUID).digest()
    except (ImportError, AttributeError):   # a port built without SHA-1
        digest = sha1(key + _GUID)
    return binascii.b2a_base64(digest).strip().decode()


def sha1(data):
    """SHA-1 (FIPS 180-4) in Python, for ports whose hashlib lacks it. The
    handshake hashes 60 bytes once, so speed does not matter here."""
    mask = 0xffffffff
    state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]
    size = len(data)
    data = bytes(data) + b'\x80' + bytes((55 - size) % 64) + \
        (size * 8).to_bytes(8, 'big')
    for block in range(0, len(data), 64):
        words = [int.from_bytes(data[block + i:block + i + 4], 'big')
                 for i in range(0, 64, 4)]
        for i in range(16, 80):
            x = words[i - 3] ^ words[i - 8] ^ words[i - 14] ^ words[i - 16]
            words.append(((x << 1) | (x >> 31)) & mask)
        a, b, c, d, e = state
        for i in range(80):
            if i < 20:
                f = ((b & c) | (~b & d)) + 0x5a827999
            elif i < 40:
                f = (b ^ c ^ d) + 0x6ed9eba1
            elif i < 60:
                f = ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc
            else:
                f = (b ^ c ^ d) + 0xca62c1d6
            temp = (((a << 5) | (a >> 27)) + f + e + words[i]) & mask
            e = d
            d = c
            c = ((b << 30) | (b >> 2)) & mask
            b = a
            a = temp
        state = [(x + y) & mask for x, y in zip(state, (a, b, c, d, e))]
    return b''.join(x.to_bytes(4, 'big') for x in state)


def _has_token(value, token):
    if not value:
        return False
    for item in value.split(','):
        if item.strip().lower() == token:
            return True
    return False


def check_handshake(method, http_version, headers):
    """The Sec-WebSocket-Accept value for a valid upgrade request, else
    raises an HTTPException: 426 (with ``Sec-WebSocket-Version: 13``) for
    an unsupported version, 400 for anything else wrong."""
    # ('1.0' from our server, 'HTTP/1.0' under WSGI, as in Microdot)
    if method != 'GET' or http_version.endswith('1.0'):
        raise _HandshakeRefused(400, 'WebSocket upgrade needs GET over '
                                'HTTP/1.1')
    if not _has_token(headers.get('Upgrade'), 'websocket'):
        raise _HandshakeRefused(400, 'Not a WebSocket upgrade request')
    if not _has_token(headers.get('Connection'), 'upgrade'):
        raise _HandshakeRefused(400, 'Connection header lacks "upgrade"')
    version = headers.get('Sec-WebSocket-Version')
    if version is None:
        # not a handshake at all (RFC 6455 4.2.1): a 400, as in Microdot
        raise _HandshakeRefused(400, 'No Sec-WebSocket-Version')
    if version.strip() != '13':
        raise _HandshakeRefused(426, 'Unsupported WebSocket version', {
            'Sec-WebSocket-Version': '13', 'Upgrade': 'websocket',
            'Connection': 'Upgrade'})
    key = (headers.get('Sec-WebSocket-Key') or '').strip()
    try:
        valid = len(key) == 24 and len(binascii.a2b_base64(key)) == 16
    except ValueError:
        valid = False
    if not valid:
        raise _HandshakeRefused(400, 'Invalid Sec-WebSocket-Key')
    return accept_key(key)


class WebSocket:
    CONT = wsframe.CONT
    TEXT = wsframe.TEXT
    BINARY = wsframe.BINARY
    CLOSE = wsframe.CLOSE
    PING = wsframe.PING
    PONG = wsframe.PONG

    #: Longest message accepted, in bytes; a longer one closes the
    #: connection with code 1009. -1: ``Request.max_body_length``, as in
    #: Microdot (16 KiB unless changed), so that a board keeps a bound.
    max_message_length = -1
    #: Seconds the client may stay silent between messages (a ping counts
    #: as a sign of life) before the server closes the connection with
    #: code 1001. None: no limit. A frame that has begun is held to the
    #: app's ``io_timeout`` instead (code 1008), whatever this says.
    idle_timeout = None

    # Deadlines (ticks_ms values) of the read and the write in progress;
    # the connection's deadline is the earlier of the two. The class holds
    # the defaults, so that an instance stores only what it sets.
    _io_timeout = None      # ms: the connection's io_timeout
    _read_deadline = None
    _read_task = None       # the task that waits for that read
    _write_deadline = None
    _task = None            # the connection's own task (conn.task)
    _frame_deadline = None  # for the frame after frame number _frame_key
    _frame_key = -1

    def __init__(self, request):
        self.request = request
        self.closed = False
        #: The close code the connection ended with, once closed.
        self.close_code = None
        self.rsock, self.wsock = request.sock
        self._conn = getattr(request, 'connection', None)
        self._parser = None
        self._lock = asyncio.Lock()

    def message_limit(self):
        """The longest message this connection accepts, in bytes."""
        limit = self.max_message_length
        return Request.max_body_length if limit == -1 else limit

    async def handshake(self):
        """Answer the upgrade request with 101 Switching Protocols, or
        raise an HTTPException (400, 426) when it is not a valid one."""
        request = self.request
        accept = check_handshake(request.method, request.http_version,
                                 request.headers)
        conn = self._conn
        if conn is not None:
            # from now on this object sets the connection's deadline
            self._io_timeout = conn.io_timeout
            conn.io_timeout = None
            self._task = conn.task
        self._parser = FrameParser(self.message_limit())
        await self._write(
            b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
            b'Connection: Upgrade\r\nSec-WebSocket-Accept: ' +
            accept.encode() + b'\r\n\r\n')

    async def receive(self):
        """The next message: a str for a text message, bytes for a binary
        one. Pings are answered on the way. Raises WebSocketError once the
        connection is closed."""
        parser = self._parser
        while True:
            if self.closed:
                raise WebSocketError('WebSocket connection closed',
                                     self.close_code)
            try:
                event = parser.next_event()
            except FrameError as exc:
                await self._fail(exc.code, exc.reason)
                continue
            if event is None:
                data = await self._read(self._next_deadline(parser))
                if data is None:     # the deadline passed
                    if parser.in_frame():
                        await self._fail(wsframe.CLOSE_POLICY,
                                         'Frame not completed in time')
                    await self._fail(wsframe.CLOSE_GOING_AWAY, 'Idle timeout')
                if not data:
                    self.closed = True
                    self.close_code = 1006
                    continue
                parser.receive_data(data)
                continue
            opcode, value = event
            if opcode == wsframe.TEXT or opcode == wsframe.BINARY:
                return value
            if opcode == wsframe.PING:
                await self._send_frame(wsframe.PONG, value)
            elif opcode == wsframe.CLOSE:
                code = value[0]
                self.closed = True
                self.close_code = code if code is not None else 1005
                await self._quiet_send_close(
                    code if code is not None else wsframe.CLOSE_NORMAL)
            # a pong needs no answer

    async def send(self, data, opcode=None):
        """Send a message: a str as text, bytes as binary, unless
        ``opcode`` says otherwise."""
        if self.closed:
            raise WebSocketError('WebSocket connection closed',
                                 self.close_code)
        if isinstance(data, str):
            data = data.encode()
            if opcode is None:
                opcode = wsframe.TEXT
        elif opcode is None:
            opcode = wsframe.BINARY
        await self._send_frame(opcode, data)

    async def close(self, code=wsframe.CLOSE_NORMAL, reason=''):
        """Close the connection with ``code``, and give the client a moment
        to answer with its own close frame. Does nothing if already
        closed."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        try:
            await self._send_frame(wsframe.CLOSE,
                                   wsframe.close_payload(code, reason))
        except WebSocketError:
            return                  # the client has gone already
        try:
            await asyncio.wait_for(self._await_close_reply(), _CLOSE_WAIT)
        except Exception:   # timeout, the client went away, ...
            pass

    # --- internals --------------------------------------------------------
    def _release(self):
        """Give the connection its io_timeout and its task back, for
        whatever the server still does with it."""
        conn = self._conn
        if conn is not None:
            if self._io_timeout is not None:
                conn.io_timeout = self._io_timeout
            if self._task is not None:
                conn.task = self._task

    def _next_deadline(self, parser):
        """The deadline of the read receive() is about to make: io_timeout
        from the first read of a frame (or of the wait for the next frame
        of a fragmented message) to the frame's end; between messages
        idle_timeout from now, or None."""
        if self._conn is None:
            return None
        if parser.in_frame():
            if self._io_timeout is None:
                return None
            if self._frame_key != parser.frames or \
                    self._frame_deadline is None:
                self._frame_key = parser.frames
                self._frame_deadline = ticks_add(ticks_ms(), self._io_timeout)
            return self._frame_deadline
        self._frame_deadline = None
        idle = self.idle_timeout
        if idle is None:
            return None
        return ticks_add(ticks_ms(), int(idle * 1000))

    def _arm(self):
        """Give the connection the earlier of the read and write
        deadlines, for the server's sweeper to enforce. The sweeper cancels
        conn.task: for a read deadline that is the task reading, which
        may be a handler's child task; for a write deadline the
        connection's own task, which ends the WebSocket."""
        conn = self._conn
        deadline = self._read_deadline
        other = self._write_deadline
        if deadline is None or (other is not None and
                                ticks_diff(other, deadline) < 0):
            deadline = other
            conn.task = self._task
        else:
            conn.task = self._read_task
        conn.deadline = deadline

    def _not_ours(self):
        """A cancel that _read does not handle goes on up; if it is a
        shutdown's, and it found a child task reading (conn.task, see
        _arm), the handler's task is cancelled too, to end the WebSocket
        (with 1001)."""
        task = self._task
        if task is not None and task is not current_task() and \
                getattr(self.request.app, 'shutting_down', False):
            task.cancel()

    async def _await_close_reply(self):
        parser = self._parser
        while True:
            try:
                event = parser.next_event()
            except FrameError:
                return
            if event is not None:
                if event[0] == wsframe.CLOSE:
                    return
                continue
            data = await self._read()
            if not data:
                return
            parser.receive_data(data)

    async def _fail(self, code, reason):
        """The client broke the protocol: close with ``code``."""
        self.closed = True
        self.close_code = code
        await self._quiet_send_close(code, reason)
        raise WebSocketError(reason, code)

    async def _quiet_send_close(self, code, reason=''):
        try:
            await self._send_frame(wsframe.CLOSE,
                                   wsframe.close_payload(code, reason))
        except WebSocketError:
            pass                    # the client has gone already

    async def _read(self, deadline=None):
        """The next bytes from the client; b'' once it has gone, None when
        the server's sweeper ended the wait at ``deadline``. While waiting,
        the connection counts as idle, so that a server shutdown may end
        it."""
        conn = self._conn
        if conn is None:
            deadline = None
        else:
            conn.state = IDLE
            if deadline is not None or self._read_deadline is not None:
                self._read_deadline = deadline
                self._read_task = current_task()
                self._arm()
        try:
            return await self.rsock.read(_READ_SIZE)
        except CancelledError:
            # the sweeper's cancel is ours only if our deadline has passed:
            # a shutdown, or a stalled write, goes on up
            if deadline is None or not conn.timed_out or \
                    ticks_diff(ticks_ms(), deadline) < 0:
                self._not_ours()
                raise
            conn.timed_out = False
            uncancel = getattr(current_task(), 'uncancel', None)
            if uncancel is not None:    # CPython 3.11+: the cancel is spent
                uncancel()
            return None
        except Exception as exc:
            if is_disconnect(exc):
                return b''
            raise
        finally:
            if conn is not None:
                conn.state = BUSY
                if self._read_deadline is not None:
                    self._read_deadline = None
                    self._read_task = None
                    self._arm()

    async def _send_frame(self, opcode, payload):
        head = frame_header(opcode, len(payload))
        async with self._lock:   # frames of concurrent senders never mix
            try:
                if len(payload) < _SMALL_FRAME:
                    await self._write(head + payload)
                else:
                    await self._write(head)
                    await self._write(payload)
            except Exception as exc:
                if not is_disconnect(exc):
                    raise
                self.closed = True
                self.close_code = 1006
                raise WebSocketError('WebSocket connection lost', 1006)

    async def _write(self, data):
        conn = self._conn
        if conn is None:
            await self.wsock.awrite(data)
            return
        if self._io_timeout is not None:
            self._write_deadline = ticks_add(ticks_ms(), self._io_timeout)
            self._arm()
        try:
            # conn.io_timeout is None: the write sets no deadline, but it
            # clears the connection's at its end, which _arm puts back
            # (a read deadline of a child task); with no deadline at all
            # there is nothing to do
            await self.wsock.awrite(data)
        finally:
            if self._write_deadline is not None or \
                    self._read_deadline is not None:
                self._write_deadline = None
                self._arm()


async def websocket_upgrade(request):
    """Upgrade the request's connection to a WebSocket and return it; for
    a handler that checks something first::

        @app.route('/echo')
        async def echo(request):
            if not allowed(request):
                abort(401)
            ws = await websocket_upgrade(request)
            ...

    The response the handler returns is then replaced by
    ``Response.already_handled``."""
    ws = WebSocket(request)
    await ws.handshake()

    def after_upgrade(request, response):
        ws._release()
        return Response.already_handled

    request.after_request(after_upgrade)
    return ws


def websocket_wrapper(f, upgrade_function):
    """A route handler that upgrades with ``upgrade_function(request)``
    and runs ``f(request, ws, *args, **kwargs)``; shared with the ASGI
    adapter, which brings its own upgrade function."""
    async def websocket_handler(request, *args, **kwargs):
        try:
            ws = await upgrade_function(request)
        except _HandshakeRefused as exc:
            return exc.response()
        except Exception as exc:
            if not is_disconnect(exc):
                raise
            return Response.already_handled     # gone during the 101
        code = wsframe.CLOSE_NORMAL
        try:
            await f(request, ws, *args, **kwargs)
        except WebSocketError:
            code = None             # closed already
        except CancelledError:
            # a server shutdown ends the WebSocket with "going away"; a
            # timeout means the client stopped reading: no more writes
            conn = getattr(request, 'connection', None)
            code = None
            if getattr(request.app, 'shutting_down', False) and \
                    not getattr(conn, 'timed_out', False):
                code = wsframe.CLOSE_GOING_AWAY
        except Exception as exc:
            code = None
            if not is_disconnect(exc):
                print_exception(exc)
                code = wsframe.CLOSE_INTERNAL_ERROR
        if code is not None and not ws.closed:
            try:
                await ws.close(code)
            except Exception:
                pass
        ws._release()
        return Response.already_handled
    return websocket_handler


def with_websocket(f):
    """Decorator: turn a route handler into a WebSocket handler, called as
    ``f(request, ws, **route_args)``."""
    return websocket_wrapper(f, websocket_upgrade)
