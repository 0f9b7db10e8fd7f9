"""Reading a connection, and the streamed bodies on it, in pieces of any
size: a read that spans two socket reads comes whole, bytes past one read
stay buffered for the next (and past a body, for the next request), and
(on MicroPython) a small read from a larger buffered piece copies only
what it returns."""
from support import raises, IS_MICROPYTHON, skip, skip_on_small_heap

from microdot.body import ChunkedBodyReader, LengthBodyReader
from microdot import AsyncBytesIO
from microdot.connection import Connection
from microdot.http import ProtocolError
from streams import Pieces, Numbers, pattern, chunked, garbage


def connection(raw, sizes=None):
    return Connection(AsyncBytesIO(raw) if sizes is None else
                      Pieces(raw, sizes))


async def test_mixed_reads_across_socket_reads_give_the_stream_in_order():
    numbers = Numbers(3)
    for round in range(30):
        data = pattern(3000 + numbers.below(3000), round)
        sizes = [1 + numbers.below(1500) for _ in range(4)]
        if round % 5 == 0:
            sizes = [1 + numbers.below(3)]
        conn = connection(data, sizes)
        at = 0
        while at < len(data) - 300:
            kind = numbers.below(4)
            n = 1 + numbers.below(300)
            if kind == 0:
                got = await conn.read(n)
                assert 0 < len(got) <= n, (round, n, len(got))
            elif kind == 1:
                got = await conn.readexactly(n)
                assert len(got) == n
            elif kind == 2:
                separator = data[at + n:at + n + 1 + numbers.below(3)]
                got = await conn.readuntil(separator)
                end = data.find(separator, at) + len(separator)
                assert len(got) == end - at, (round, separator)
            else:
                got = await conn.readline()
                assert got.endswith(b'\n') or at + len(got) == len(data)
            assert got == data[at:at + len(got)], (round, kind, n)
            at += len(got)
        assert await conn.read(-1) == data[at:]
        assert await conn.read(10) == b''
        assert conn.buffer == b''


async def test_readexactly_at_the_end_of_the_stream():
    for sizes in (None, [7], [1]):
        conn = connection(b'0123456789', sizes)
        assert await conn.readexactly(3) == b'012'
        assert await conn.readexactly(0) == b''
        assert await conn.readexactly(7) == b'3456789'
        with raises(EOFError):
            await conn.readexactly(1)
        conn = connection(b'0123456789', sizes)
        assert await conn.readexactly(4) == b'0123'
        with raises(EOFError):
            await conn.readexactly(7)      # 6 bytes were left


async def test_a_line_limit_counts_from_where_the_line_starts():
    # a long line after others in the same socket read: only its own
    # bytes count against the limit
    line = b'x' * 1000 + b'\n'
    raw = line * 3 + b'y' * 1100
    for sizes in (None, [4096], [1500], [333]):
        conn = connection(raw, sizes)
        for _ in range(3):
            assert await conn.readuntil(b'\n', 1024) == line
        with raises(ProtocolError) as caught:
            await conn.readuntil(b'\n', 1024)
        assert caught.value.status_code == 400


async def test_a_separator_cut_between_socket_reads_is_found():
    raw = b'head\r\n\r\nbody'
    for size in range(1, len(raw) + 1):
        conn = connection(raw, [size])
        assert await conn.readuntil(b'\r\n\r\n') == b'head\r\n\r\n', size
        assert await conn.read(-1) == b'body'
    conn = connection(b'no end', [2])
    with raises(EOFError):
        await conn.readuntil(b'\r\n')


def requests(body):
    """Three pipelined requests: a body of Content-Length, the same body
    chunked, and a GET."""
    return (b'POST /a HTTP/1.1\r\nContent-Length: ' +
            str(len(body)).encode() + b'\r\n\r\n' + body +
            b'POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' +
            chunked(body, [700, 13, 2000]) +
            b'GET /c HTTP/1.1\r\n\r\n')


async def same_pieces(reader, body, n):
    """Read ``body`` from ``reader`` in pieces of at most ``n`` bytes."""
    at = 0
    while True:
        piece = await reader.read(n)
        if not piece:
            break
        assert len(piece) <= n
        assert piece == body[at:at + len(piece)], (at, n)
        at += len(piece)
    assert at == len(body)


async def test_pipelined_requests_after_bodies_read_in_small_pieces():
    body = pattern(5000)
    raw = requests(body)
    for sizes in (None, [1024], [4096, 100], [7], [1]):
        for n in (1, 100, 256, 4096):
            conn = connection(raw, sizes)
            head = await conn.read_head(4096)
            assert head.startswith(b'POST /a ') and head.endswith(b'\r\n\r\n')
            reader = LengthBodyReader(conn, len(body))
            await same_pieces(reader, body, n)
            assert reader.remaining == 0
            head = await conn.read_head(4096)
            assert head.startswith(b'POST /b '), (sizes, n)
            reader = ChunkedBodyReader(conn, 1 << 20)
            await same_pieces(reader, body, n)
            assert reader.done
            assert await conn.read_head(4096) == b'GET /c HTTP/1.1\r\n\r\n'
            assert await conn.read_head(4096) is None


async def test_bodies_left_unread_are_skipped_up_to_the_next_request():
    body = pattern(5000)
    raw = requests(body)
    for sizes in (None, [1024], [7]):
        for taken in (0, 1, 300):
            conn = connection(raw, sizes)
            await conn.read_head(4096)
            reader = LengthBodyReader(conn, len(body))
            assert await reader.readexactly(taken) == body[:taken]
            await reader.discard()
            assert reader.remaining == 0
            assert (await conn.read_head(4096)).startswith(b'POST /b ')
            reader = ChunkedBodyReader(conn, 1 << 20)
            start = await reader.read_up_to(taken + 10)
            reader.unread(start[taken:])
            await reader.discard()
            assert reader.done
            assert await conn.read_head(4096) == b'GET /c HTTP/1.1\r\n\r\n'


def readers(data, sizes, chunks):
    """A LengthBodyReader and a ChunkedBodyReader of ``data``, each
    followed by the next request's bytes."""
    length = LengthBodyReader(connection(data + b'GET /next', sizes),
                              len(data))
    raw = chunked(data, chunks) + b'GET /next'
    return length, ChunkedBodyReader(connection(raw, sizes), 1 << 20)


async def test_readuntil_on_a_body_finds_separators_cut_anywhere():
    numbers = Numbers(11)
    separator = b'\r\n--sep'
    for round in range(24):
        fields = [pattern(numbers.below(400), round + i) for i in range(6)]
        data = separator.join(fields)
        sizes = [1 + numbers.below(200) for _ in range(3)]
        chunks = [1 + numbers.below(50) for _ in range(3)]
        if round % 4 == 0:
            sizes = [1]
        for body in readers(data, sizes, chunks):
            if round % 3 == 0:   # some of it given back first
                if isinstance(body, ChunkedBodyReader):
                    body.unread(await body.read_up_to(numbers.below(600)))
            got = []
            while True:
                piece = await body.readuntil(separator)
                if not piece:
                    break
                got.append(piece)
            assert b''.join(got) == data, round
            # each piece ends at a separator, but a last one without
            assert len(got) == len(fields) - (not fields[-1])
            for piece in got:
                if piece is not got[-1] or not fields[-1]:
                    assert piece.find(separator) == \
                        len(piece) - len(separator), round
            if fields[-1]:
                assert separator not in got[-1]
            assert await body.conn.read(-1) == b'GET /next'


async def test_readline_and_readexactly_on_a_body():
    lines = [b'line %d\n' % i for i in range(200)] + [b'last']
    data = b''.join(lines)
    for sizes in (None, [1], [5, 700]):
        for body in readers(data, sizes, [10, 300]):
            assert await body.readline() == lines[0]
            assert await body.readexactly(3) == b'lin'
            assert await body.readline() == b'e 1\n'
            for line in lines[2:]:
                assert await body.readline() == line
            assert await body.readline() == b''
            assert await body.conn.read(-1) == b'GET /next'


async def test_readexactly_at_the_end_of_a_body():
    data = pattern(3000)
    for sizes in (None, [1024], [7]):
        for body in readers(data, sizes, [1000, 7]):
            assert await body.readexactly(2990) == data[:2990]
            with raises(EOFError):
                await body.readexactly(11)     # 10 bytes are left
            assert await body.read(10) == b''
            assert await body.conn.read(-1) == b'GET /next'
        for body in readers(data, sizes, [1000, 7]):
            assert await body.readexactly(3000) == data
            assert await body.read(10) == b''
    # the stream ends before the body does
    length = LengthBodyReader(connection(data[:100], [30]), 3000)
    with raises(EOFError):
        await length.readexactly(200)
    chunked_body = ChunkedBodyReader(
        connection(chunked(data, [1000])[:500], [30]), 1 << 20)
    with raises(EOFError):
        await chunked_body.readexactly(600)


# --- what reading leaves to the garbage collector (MicroPython) ------------
#
# A read returns new bytes, and each call of an async function allocates
# its coroutine: those are the floor. The old connection cut the rest of its
# buffer off at each read, and the body readers grew their result by
# concatenation (readuntil() a byte at a time), all of it copies that these
# tests bound. Measured on the 64-bit unix port, bytes left to the GC per
# byte of body read in 32-byte pieces from 1 KiB socket reads (these
# included), before and after:
#   Connection.read(32)             27.8 -> 9.5   (bound 13)
#   LengthBodyReader.read(32)       27.8 -> 9.5   (bound 13)
#   ChunkedBodyReader.read(32)      28.9 -> 9.6   (4 KiB chunks; bound 13)
#   readexactly(32), length         31.8 -> 8.8   (bound 13)
#   readexactly(32), chunked        33.2 -> 9.2   (bound 13)
#   readline(), 32-byte lines, length   887 -> 12.6  (bound 16)
#   readline(), 32-byte lines, chunked  918 -> 12.9  (bound 16)
# (a 32-bit build's objects are smaller: the bounds hold there too)

PIECE = 32
SIZE = 64 * 1024


async def read_all(read, *args):
    size = 0
    while True:
        data = await read(*args)
        if not data:
            return size
        size += len(data)


async def read_exactly_all(body):
    size = 0
    while size < SIZE:
        size += len(await body.readexactly(PIECE))
    return size


def per_byte(make, run, data):
    reader = make(data)
    used, size = garbage(run(reader))
    assert size == SIZE, size
    return used / SIZE


def check_per_byte(name, figure, bound):
    print('{}: {:.1f} B left to the GC per byte read'.format(name, figure))
    assert figure < bound, (name, figure)


def test_small_reads_from_larger_socket_reads_copy_what_they_return():
    skip_on_small_heap(1024, 'a 64 KiB body and 64 KiB of lines')
    if not IS_MICROPYTHON:
        skip('measured with MicroPython\'s gc.mem_alloc()')
    data = pattern(SIZE)
    lines = b''.join(pattern(PIECE - 1, i).replace(b'\n', b' ') + b'\n'
                     for i in range(SIZE // PIECE))

    def conn(raw):
        return connection(raw, [1024])

    check_per_byte('Connection.read', per_byte(
        conn, lambda c: read_all(c.read, PIECE), data), 13)
    check_per_byte('LengthBodyReader.read', per_byte(
        lambda raw: LengthBodyReader(conn(raw), SIZE),
        lambda b: read_all(b.read, PIECE), data), 13)
    check_per_byte('ChunkedBodyReader.read', per_byte(
        lambda raw: ChunkedBodyReader(conn(chunked(raw, [4096])), SIZE),
        lambda b: read_all(b.read, PIECE), data), 13)
    check_per_byte('LengthBodyReader.readexactly', per_byte(
        lambda raw: LengthBodyReader(conn(raw), SIZE),
        read_exactly_all, data), 13)
    check_per_byte('ChunkedBodyReader.readexactly', per_byte(
        lambda raw: ChunkedBodyReader(conn(chunked(raw, [4096])), SIZE),
        read_exactly_all, data), 13)
    check_per_byte('LengthBodyReader.readline', per_byte(
        lambda raw: LengthBodyReader(conn(raw), SIZE),
        lambda b: read_all(b.readline), lines), 16)
    check_per_byte('ChunkedBodyReader.readline', per_byte(
        lambda raw: ChunkedBodyReader(conn(chunked(raw, [4096])), SIZE),
        lambda b: read_all(b.readline), lines), 16)


async def test_readuntil_limit_holds_however_the_line_arrived():
    line = b'x' * 20 + b'\n'
    for sizes in (None, [3], [1]):
        conn = connection(line + b'rest', sizes)
        with raises(ProtocolError):
            await conn.readuntil(b'\n', 10)
        conn = connection(line + b'rest', sizes)
        assert await conn.readuntil(b'\n', 20) == line
        assert await conn.readexactly(4) == b'rest'
