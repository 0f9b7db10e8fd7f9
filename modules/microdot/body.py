"""Request bodies read on demand: a body longer than what is loaded into
``request.body`` (Content-Length), and chunked bodies, decoded as they are
read. Loaded only by requests that have such a body."""
from .compat import const
from .connection import _read_size
from .http import ProtocolError

_MAX_TRAILERS = const(32)
_HEX_DIGITS = set(b'0123456789abcdefABCDEF')
_MAX_CHUNK_SIZE_DIGITS = const(8)


def parse_chunk_size(line):
    """The size from a chunk-size line (extensions ignored); 400 if bad."""
    semicolon = line.find(b';')
    if semicolon >= 0:
        line = line[:semicolon]
    line = line.rstrip(b' \t')
    if not line or len(line) > _MAX_CHUNK_SIZE_DIGITS:
        raise ProtocolError(400, 'Malformed chunk size')
    for byte in line:
        if byte not in _HEX_DIGITS:
            raise ProtocolError(400, 'Malformed chunk size')
    return int(line, 16)


class _BodyReader:
    """The async file-like API shared by the two kinds of streamed body."""

    async def readexactly(self, n):
        data = await self.read(n)
        while len(data) < n:
            more = await self.read(n - len(data))
            if not more:
                raise EOFError('Body ended early')
            data += more
        return data

    async def readuntil(self, separator=b'\n'):
        data = b''
        while not data.endswith(separator):
            more = await self.read(1)
            if not more:
                break
            data += more
        return data

    async def readline(self):
        return await self.readuntil(b'\n')

    async def discard(self):
        while await self.read(1024):
            pass


class LengthBodyReader(_BodyReader):
    """A body of known Content-Length, read from the connection on demand."""

    def __init__(self, conn, length):
        self.conn = conn
        self.remaining = length

    async def read(self, n=-1):
        if self.remaining <= 0:
            return b''
        if n < 0:   # all of it, as a stream's read() does
            return await self.readexactly(self.remaining)
        if n > self.remaining:
            n = self.remaining
        if not self.conn.buffer and not await self.conn._fill(_read_size(n)):
            raise EOFError('Body ended early')
        data = self.conn._take(n)
        self.remaining -= len(data)
        return data


class ChunkedBodyReader(_BodyReader):
    """A chunked request body, decoded as it is read.

    The total is held to ``limit`` bytes (413 past it); chunk-size lines
    and trailers are bounded too."""

    def __init__(self, conn, limit):
        self.conn = conn
        self.limit = limit
        self.total = 0
        self.in_chunk = 0          # bytes left in the current chunk
        self.done = False
        self.pending = b''         # bytes given back with unread()
        self.pending_at = 0        # how many of them read() handed out

    def unread(self, data):
        rest = self.pending
        if self.pending_at:
            rest = rest[self.pending_at:]
            self.pending_at = 0
        self.pending = data + rest if rest else data

    async def read_up_to(self, limit):
        """As much of the body as arrives, up to ``limit`` bytes: all of it
        if it is shorter (then ``done`` is set)."""
        parts = []
        size = 0
        while size < limit:
            data = await self.read(limit - size)
            if not data:
                break
            parts.append(data)
            size += len(data)
        # a join copies even a single piece on MicroPython
        return parts[0] if len(parts) == 1 else b''.join(parts)

    async def _next_chunk(self):
        if self.total:             # the CRLF that ends the previous chunk
            if await self.conn.readexactly(2) != b'\r\n':
                raise ProtocolError(400, 'Malformed chunk')
        line = await self._line()
        size = parse_chunk_size(line[:-2])
        if size == 0:
            await self._skip_trailers()
            self.done = True
            return
        self.total += size
        if self.total > self.limit:
            raise ProtocolError(413)
        self.in_chunk = size

    def _head_at(self, buf, at):
        """The next chunk's size line, parsed where it lies in ``buf`` (the
        connection's buffer) from ``at``: no coroutines, and no copy of the
        rest of the buffer, where readexactly() and readuntil() cut it off
        twice. Returns where the line ends, having made its chunk the
        current one; or -1, with nothing changed, when the line is not all
        there, is not sound or is the last chunk's: _next_chunk() then
        reads it from the connection, and refuses it as it should."""
        if self.total:             # the CRLF that ends the previous chunk
            if len(buf) < at + 2 or buf[at] != 13 or buf[at + 1] != 10:
                return -1
            at += 2
        end = buf.find(b'\n', at)
        if end <= at or buf[end - 1] != 13:
            return -1
        try:
            size = parse_chunk_size(buf[at:end - 1])
        except ProtocolError:
            return -1
        if size == 0 or self.total + size > self.limit:
            return -1
        self.total += size
        self.in_chunk = size
        return end + 1

    async def _line(self):
        # up to LF, so that a bare LF is refused at once, not after a wait
        # for a CRLF that will never come
        line = await self.conn.readuntil(b'\n', 1024)
        if not line.endswith(b'\r\n'):
            raise ProtocolError(400, 'Bare LF in chunked body')
        return line

    async def _skip_trailers(self):
        for _ in range(_MAX_TRAILERS):
            line = await self._line()
            if line == b'\r\n':
                return
            if b':' not in line:
                raise ProtocolError(400, 'Malformed trailer')
        raise ProtocolError(431)

    def _take_pending(self, n):
        # what unread() gave back is handed out from an offset: slicing off
        # the rest at each read would copy it again and again
        pending = self.pending
        at = self.pending_at
        end = len(pending) if n < 0 else at + n
        if end < len(pending):
            self.pending_at = end
            return pending[at:end]
        self.pending = b''
        self.pending_at = 0
        return pending[at:] if at else pending

    async def read(self, n=-1):
        # one coroutine per read, as LengthBodyReader's: each call of an
        # async function allocates its frame
        if self.pending:
            data = self._take_pending(n)
            if n >= 0:
                return data
            more = await self.read(-1)
            return data + more if more else data
        parts = None
        conn = self.conn
        while not self.done and n != 0:
            if self.in_chunk == 0:
                buf = conn.buffer
                end = self._head_at(buf, 0)
                if end < 0:
                    await self._next_chunk()
                else:
                    conn.buffer = buf[end:]
                continue
            size = self.in_chunk if n < 0 or n > self.in_chunk else n
            if not conn.buffer and not await conn._fill(_read_size(size)):
                raise EOFError('Body ended early')
            buf = conn.buffer
            if size == self.in_chunk and len(buf) > size:
                # the chunk ends inside the buffer: its last piece, and the
                # next size line when it is all there, come off with one
                # slice of the rest
                data = buf[:size]
                self.in_chunk = 0
                end = self._head_at(buf, size)
                conn.buffer = buf[size if end < 0 else end:]
            else:
                data = conn._take(size)
                self.in_chunk -= len(data)
            if n > 0:
                # what arrived rather than wait for more: one piece, handed
                # on as it is (a join would copy it)
                return data
            if parts is None:
                parts = [data]
            else:
                parts.append(data)
        if parts is None:
            return b''
        return parts[0] if len(parts) == 1 else b''.join(parts)
