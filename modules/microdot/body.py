"""Request bodies read on demand: a body longer than what is loaded into
``request.body`` (Content-Length), and chunked bodies, decoded as they are
read. Loaded only by requests that have such a body."""
from .compat import const
from .connection import _read_size
from .http import TOO_LARGE, ProtocolError

_MAX_TRAILERS = const(32)
_MAX_LINE = const(1024)     # a chunk's size line, a trailer
_HEX_DIGITS = set(b'0123456789abcdefABCDEF')
_MAX_CHUNK_SIZE_DIGITS = const(8)
_MAX_PARTS = const(8)   # pieces read_up_to() joins; past them, one buffer


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
    """The async file-like API shared by the two kinds of streamed body.

    Each kind says where the body's next bytes lie in memory with
    ``_span()`` (the buffer that holds them, from ``start`` to ``stop``;
    None when none are there), takes them with ``_cut(n)`` and waits for
    more with ``_more()``: readuntil() finds a separator where the bytes
    lie instead of reading them one at a time, and readexactly() takes
    bytes that are there without a read() coroutine."""
    start = stop = 0

    async def readexactly(self, n):
        # small, for its coroutine is allocated at each call: what is there
        # already is taken at once, the rest read by _gather()
        if self._span() is not None and self.stop - self.start >= n:
            return self._cut(n)
        return await self._gather(n)

    def _conn_span(self, left):
        """_span() of the bytes of this body in the connection's buffer,
        ``left`` of them at the most (None when there are none)."""
        conn = self.conn
        buffer = conn.buffer
        if not buffer or left <= 0:
            return None
        start = self.start = conn.at
        stop = start + left
        self.stop = stop if stop < len(buffer) else len(buffer)
        return buffer

    async def _gather(self, n):
        data = await self.read(n)
        size = len(data)
        if size == n:
            return data
        # two pieces are joined by one concatenation; more are copied into
        # one buffer as they arrive (``data += more`` copied all of what
        # came before each piece again)
        whole = None
        while size < n:
            more = await self.read(n - size)
            if not more:
                raise EOFError('Body ended early')
            end = size + len(more)
            if whole is None:
                if end == n:
                    return data + more
                whole = bytearray(n)
                whole[:size] = data
                data = None
            whole[size:end] = more
            size = end
        return bytes(whole)

    async def readuntil(self, separator=b'\n'):
        """Up to and including ``separator``; at the end of the body, what
        is left of it."""
        parts = None   # when the line spans more than one buffer
        keep = len(separator) - 1
        tail = b''   # the last ``keep`` bytes taken: a separator cut apart
        while True:
            buffer = self._span()
            if buffer is None:
                if not await self._more():
                    break
                continue
            start = self.start
            stop = self.stop
            end = -1     # where the separator ends in ``buffer``
            if tail:     # it may begin in what was taken
                index = (tail + buffer[start:min(stop, start + keep)]).find(
                    separator)
                if index >= 0:
                    end = start + index + len(separator) - len(tail)
            if end < 0:
                index = buffer.find(separator, start, stop)
                if index >= 0:
                    end = index + len(separator)
            if end >= 0:
                piece = self._cut(end - start)
                if parts is None:
                    return piece
                parts.append(piece)
                break
            piece = self._cut(stop - start)
            if parts is None:
                parts = [piece]
            else:
                parts.append(piece)
            if keep:
                tail = (tail + piece)[-keep:]
        if parts is None:
            return b''
        return parts[0] if len(parts) == 1 else b''.join(parts)

    def readline(self):
        # readuntil()'s coroutine, for the caller to await: a coroutine of
        # its own would be one more allocation per line
        return self.readuntil(b'\n')


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

    def _span(self):
        return self._conn_span(self.remaining)

    def _cut(self, n):
        self.remaining -= n
        return self.conn._take(n)

    async def _more(self):
        if self.remaining <= 0:
            return False
        if not await self.conn._fill(_read_size(self.remaining)):
            raise EOFError('Body ended early')
        return True

    async def discard(self):
        # what is skipped is not copied
        conn = self.conn
        while self.remaining > 0:
            if not conn.buffer and \
                    not await conn._fill(_read_size(self.remaining)):
                raise EOFError('Body ended early')
            end = conn.at + self.remaining
            size = len(conn.buffer)
            self.remaining -= (end if end < size else size) - conn.at
            conn._seek(end)


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
        data = await self.read(limit)
        size = len(data)
        if not size or size >= limit:
            return data     # one piece, as it is (a join would copy it)
        parts = [data]
        data = None
        whole = None
        while size < limit:
            more = await self.read(limit - size)
            if not more:
                break
            end = size + len(more)
            if whole is None and len(parts) < _MAX_PARTS:
                parts.append(more)
            else:
                # past a few pieces, one buffer grown by doubling: a list
                # kept them all, and a body trickled in small chunks is
                # hundreds of them, in small blocks all over the heap
                if whole is None or end > len(whole):
                    grown = bytearray(min(limit, max(2 * end, 256)))
                    if whole is None:
                        at = 0
                        for part in parts:
                            grown[at:at + len(part)] = part
                            at += len(part)
                        parts = None
                    else:
                        grown[:size] = memoryview(whole)[:size]
                    whole = grown
                whole[size:end] = more
            size = end
        if whole is None:
            # a join copies even a single piece on MicroPython
            return parts[0] if len(parts) == 1 else b''.join(parts)
        return bytes(whole if size == len(whole) else
                     memoryview(whole)[:size])

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
            raise ProtocolError(413, TOO_LARGE)
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
        if end <= at or buf[end - 1] != 13 or end - at > _MAX_LINE:
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
        line = await self.conn.readuntil(b'\n', _MAX_LINE)
        if not line.endswith(b'\r\n'):
            raise ProtocolError(400, 'Bare LF in chunked body')
        return line

    async def _skip_trailers(self):
        for _ in range(_MAX_TRAILERS + 1):   # and the blank line
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

    def _chunk_head(self, conn):
        """The next chunk's size line when it is all in the connection's
        buffer, taken off it without a copy; False when _next_chunk() must
        read it."""
        end = self._head_at(conn.buffer, conn.at)
        if end < 0:
            return False
        conn._seek(end)
        return True

    async def read(self, n=-1):
        # one coroutine per read, as LengthBodyReader's (each call of an
        # async function allocates its frame), and a small one: a piece of
        # the current chunk is read here, the rest by _read()
        if n > 0 and self.in_chunk and not self.pending:
            conn = self.conn
            if not conn.buffer and not await conn._fill(
                    _read_size(n if n < self.in_chunk else self.in_chunk)):
                raise EOFError('Body ended early')
            return self._piece(n)
        return await self._read(n)

    async def _read(self, n):
        if self.pending:
            data = self._take_pending(n)
            if n >= 0:
                return data
            more = await self._read(-1)
            return data + more if more else data
        if n < 0:
            return await self.read_up_to(self.limit + 1)
        conn = self.conn
        while not self.done and n != 0:
            if self.in_chunk == 0:
                if not self._chunk_head(conn):
                    await self._next_chunk()
                continue
            if not conn.buffer and not await conn._fill(
                    _read_size(n if n < self.in_chunk else self.in_chunk)):
                raise EOFError('Body ended early')
            # what arrived rather than wait for more: one piece, handed on
            # as it is (a join would copy it)
            return self._piece(n)
        return b''

    def _piece(self, n):
        """Up to ``n`` bytes (all if < 0) of the current chunk, from the
        connection's buffer, which holds some."""
        conn = self.conn
        size = self.in_chunk if n < 0 or n > self.in_chunk else n
        buf = conn.buffer
        at = conn.at
        if size == self.in_chunk and len(buf) - at > size:
            # the chunk ends inside the buffer: its last piece, and the
            # next size line when it is all there, come off it
            data = buf[at:at + size]
            self.in_chunk = 0
            end = self._head_at(buf, at + size)
            conn._seek(at + size if end < 0 else end)
            return data
        data = conn._take(size)
        self.in_chunk -= len(data)
        return data

    def _span(self):
        buffer = self.pending
        if buffer:
            self.start = self.pending_at
            self.stop = len(buffer)
            return buffer
        return self._conn_span(self.in_chunk)

    def _cut(self, n):
        if self.pending:
            return self._take_pending(n)
        self.in_chunk -= n
        return self.conn._take(n)

    async def _more(self):
        conn = self.conn
        while not self.done:
            if self.in_chunk == 0:
                if not self._chunk_head(conn):
                    await self._next_chunk()
                continue
            if not conn.buffer and \
                    not await conn._fill(_read_size(self.in_chunk)):
                raise EOFError('Body ended early')
            return True
        return False

    async def discard(self):
        # what is skipped is not copied
        self.pending = b''
        self.pending_at = 0
        conn = self.conn
        while await self._more():
            end = conn.at + self.in_chunk
            size = len(conn.buffer)
            self.in_chunk -= (end if end < size else size) - conn.at
            conn._seek(end)
