"""body.ChunkedBodyReader over a Connection: decoding, the bytes given
back with unread(), errors, and (on MicroPython) what reading leaves to
the garbage collector."""
from support import raises, IS_MICROPYTHON, skip, skip_on_small_heap

from microdot.body import ChunkedBodyReader, LengthBodyReader
from microdot import AsyncBytesIO
from microdot.connection import Connection
from microdot.http import ProtocolError
from streams import Pieces, Numbers, pattern, chunked, garbage


def reader(raw, sizes=None, limit=1 << 30):
    stream = AsyncBytesIO(raw) if sizes is None else Pieces(raw, sizes)
    return ChunkedBodyReader(Connection(stream), limit)


async def drain(body, n):
    parts = []
    while True:
        data = await body.read(n)
        if not data:
            return b''.join(parts)
        assert n < 0 or len(data) <= n
        parts.append(data)


async def test_random_chunks_in_random_pieces_decode_whole():
    numbers = Numbers(7)
    for round in range(40):
        data = pattern(1 + numbers.below(5000), round)
        chunks = [1 + numbers.below(1500) for _ in range(4)]
        pieces = [1 + numbers.below(1200) for _ in range(5)]
        if round % 4 == 0:
            pieces = [1]                      # every line cut
            data = data[:700]                 # in 1-byte pieces
        trailers = b'X-Sum: 1\r\n' if round % 3 == 0 else b''
        raw = chunked(data, chunks, trailers)
        n = (-1, 1, 7, 256, 1024, 4096)[round % 6]
        body = reader(raw + b'GET /next', pieces)
        assert await drain(body, n) == data, (round, chunks, pieces, n)
        assert body.done
        # the next request's bytes stay in the connection
        assert await body.conn.read(-1) == b'GET /next'


async def test_a_read_never_waits_for_more_than_arrived():
    body = reader(chunked(b'abcdefghij', [10]), [6, 100])
    assert await body.read(100) == b'abc'     # 6 bytes: 'a\r\nabc'
    assert await body.read(100) == b'defghij'
    assert await body.read(100) == b''


async def test_read_up_to_and_unread_give_the_body_back_in_order():
    skip_on_small_heap(1024, 'a 3000-byte body kept in 1-byte pieces (thousands of small objects)')
    data = pattern(3000)
    for sizes in ([5000], [1], [300, 17]):
        body = reader(chunked(data, [1000, 333]), sizes)
        head = await body.read_up_to(1200)
        assert head == data[:1200] and not body.done
        body.unread(head)
        got = []
        for n in (0, 1, 10, 500, 2000, 2000, 2000):
            piece = await body.read(n)
            assert len(piece) <= n
            got.append(piece)
        assert b''.join(got) + await drain(body, 100) == data


async def test_unread_in_the_middle_of_what_was_given_back():
    data = pattern(600)
    body = reader(chunked(data, [200]))
    head = await body.read_up_to(400)
    body.unread(head)
    assert await body.read(150) == data[:150]
    body.unread(b'xy')
    assert await body.read(3) == b'xy' + data[150:151]
    assert await body.read(-1) == data[151:]
    assert await body.read(-1) == b''


async def test_read_all_takes_what_was_given_back_and_the_rest():
    data = pattern(2500)
    body = reader(chunked(data, [700]), [100, 900])
    head = await body.read_up_to(1000)
    body.unread(head)
    assert await body.read(10) == data[:10]
    assert await body.read() == data[10:]
    assert body.done


async def test_read_up_to_a_short_body_is_all_of_it():
    body = reader(chunked(b'hello world', [3]))
    assert await body.read_up_to(100) == b'hello world'
    assert body.done
    body = reader(b'0\r\n\r\n')
    assert await body.read_up_to(100) == b''
    assert body.done


async def test_file_like_helpers():
    body = reader(chunked(b'line one\nline two\nrest', [5]))
    assert await body.readline() == b'line one\n'
    assert await body.readexactly(4) == b'line'
    assert await body.readuntil(b'\n') == b' two\n'
    await body.discard()
    assert body.done


async def expect_error(raw, status, sizes=None, limit=1 << 30):
    for cut in (None, [1], [3]) if sizes is None else (sizes,):
        body = reader(raw, cut, limit)
        with raises(ProtocolError) as caught:
            await drain(body, 1024)
        assert caught.value.status_code == status, (raw, cut)


async def test_malformed_bodies_are_refused_however_they_arrive():
    await expect_error(b'3\r\nabcXX0\r\n\r\n', 400)     # no CRLF after data
    await expect_error(b'3\r\nabc\n0\r\n\r\n', 400)     # bare LF after data
    await expect_error(b'3\nabc\r\n0\r\n\r\n', 400)     # bare LF size line
    await expect_error(b'\r\nabc\r\n0\r\n\r\n', 400)    # empty size line
    await expect_error(b'zz\r\nabc\r\n0\r\n\r\n', 400)
    await expect_error(b'123456789\r\n', 400)           # too many digits
    await expect_error(b'3\r\nabc\r\n-1\r\n\r\n', 400)
    await expect_error(b'3\r\nabc\r\n0\r\nno colon\r\n\r\n', 400)
    await expect_error(b'3\r\nabc\r\n0\r\n' + b'A: b\r\n' * 40 + b'\r\n',
                       431)
    await expect_error(b'3\r\nabc\r\n4\r\nabcd\r\n0\r\n\r\n', 413, limit=6)
    await expect_error(b'7\r\nabc', 413, limit=6)
    # a size line past 1 KiB, whether or not the buffer holds all of it
    # (CPython's reads take everything that arrived)
    long_line = b'5;' + b'e' * 2000 + b'\r\nhello\r\n0\r\n\r\n'
    await expect_error(long_line, 400)
    await expect_error(b'1\r\na\r\n' + long_line, 400)


async def test_extensions_and_trailers_are_accepted():
    raw = b'3;name=value\r\nabc\r\n2 ; x\r\nde\r\n0;last\r\nA: 1\r\n\r\n'
    for sizes in (None, [1], [4]):
        assert await drain(reader(raw, sizes), 1024) == b'abcde'


async def test_a_body_cut_short_is_an_eof_error():
    for raw in (b'5\r\nab', b'5\r\nabcde', b'5\r\nabcde\r\n', b'5'):
        with raises(EOFError):
            await drain(reader(raw), 1024)
    # cut inside a chunk's data, just after its size line or later
    for raw in (b'5\r\nab', b'5\r\n'):
        for n in (1024, 3):
            with raises(EOFError) as caught:
                await drain(reader(raw), n)
            assert str(caught.value) == 'Body ended early', (raw, n)


def test_reading_a_chunked_body_copies_nothing_more_than_its_framing():
    skip_on_small_heap(1024, 'a 128 KiB body and its chunked copy')
    # What reading a body in 1 KiB pieces leaves to the GC, chunked and with
    # a Content-Length, over the same in-memory connection: the pieces the
    # stream hands out are the same. A chunked read used to copy every
    # piece once more (b''.join of one piece), and each chunk-size line was
    # read by coroutines that cut the rest of the buffer off twice; now the
    # end of a chunk and the next size line come off with one slice.
    # Measured on the (64-bit) unix port, beyond the Content-Length read:
    # 10000-byte chunks 219296 B before, 26944 B after; 1000-byte chunks
    # 634208 B, 196896 B.
    if not IS_MICROPYTHON:
        skip('measured with MicroPython\'s gc.mem_alloc()')
    data = pattern(128 * 1024)

    async def read_all(body):
        size = 0
        while True:
            piece = await body.read(1024)
            if not piece:
                return size
            size += len(piece)

    def length_body():
        return LengthBodyReader(Connection(AsyncBytesIO(data)), len(data))

    for chunk_size in (10000, 1000):
        raw = chunked(data, [chunk_size])
        chunks = len(data) // chunk_size + 1
        plain, size = garbage(read_all(length_body()))
        assert size == len(data)
        framed, size = garbage(read_all(reader(raw)))
        assert size == len(data)
        # per chunk (1.5-1.9 KiB measured): its last piece and the rest of
        # the buffer (< 1 KiB together) cut apart, a read more where it
        # ends mid-buffer, small objects
        assert framed - plain < chunks * 2560, (chunk_size, plain, framed)
