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

    def unread(self, data):
        self.pending = data + self.pending

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
        return b''.join(parts)

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

    async def read(self, n=-1):
        if self.pending:
            if n < 0:
                data = self.pending + await self._read_chunks(-1)
                self.pending = b''
                return data
            data, self.pending = self.pending[:n], self.pending[n:]
            return data
        return await self._read_chunks(n)

    async def _read_chunks(self, n):
        parts = []
        wanted = n
        while not self.done and wanted != 0:
            if self.in_chunk == 0:
                await self._next_chunk()
                continue
            size = self.in_chunk if wanted < 0 else min(wanted, self.in_chunk)
            if not self.conn.buffer and \
                    not await self.conn._fill(_read_size(size)):
                raise EOFError('Body ended early')
            data = self.conn._take(size)
            self.in_chunk -= len(data)
            parts.append(data)
            if wanted > 0:
                wanted -= len(data)
                break  # give back what arrived rather than wait for more
        return b''.join(parts)
