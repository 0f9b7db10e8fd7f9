"""Edges of the body readers that mutation testing found untested: what a
body cut short says, readuntil() with its default and with a one-letter
separator, readexactly() in steps across the pieces a network makes."""
from support import raises

from microdot import AsyncBytesIO
from microdot.body import ChunkedBodyReader, LengthBodyReader
from microdot.connection import Connection
from streams import Pieces, chunked, pattern


def length_reader(raw, size, sizes=None):
    stream = AsyncBytesIO(raw) if sizes is None else Pieces(raw, sizes)
    return LengthBodyReader(Connection(stream), size)


def chunked_reader(raw, sizes=None):
    stream = AsyncBytesIO(raw) if sizes is None else Pieces(raw, sizes)
    return ChunkedBodyReader(Connection(stream), 1 << 30)


def both(data, sizes=None, chunk_sizes=(7,)):
    """A LengthBodyReader and a ChunkedBodyReader of ``data``."""
    return (length_reader(data, len(data), sizes),
            chunked_reader(chunked(data, list(chunk_sizes)), sizes))


async def test_a_body_cut_short_says_so_to_the_handler():
    data = b'x' * 100     # no newline: readline() must reach the end
    for sizes in (None, [1], [9]):
        for body in (length_reader(data[:40], 100, sizes),
                     chunked_reader(chunked(data, [30])[:50], sizes)):
            for read in (lambda b: b.read(), lambda b: b.readexactly(100),
                         lambda b: b.readuntil(b'never'),
                         lambda b: b.readline()):
                body = length_reader(data[:40], 100, sizes) \
                    if isinstance(body, LengthBodyReader) else \
                    chunked_reader(chunked(data, [30])[:50], sizes)
                with raises(EOFError) as caught:
                    await read(body)
                assert str(caught.value) == 'Body ended early', sizes


async def test_readuntil_defaults_to_a_newline_and_takes_any_separator():
    data = b'first line\nXsecond\r\nthird X and the rest'
    for sizes in (None, [1], [2], [5]):
        for body in both(data, sizes):
            assert await body.readuntil() == b'first line\n'
            assert await body.readuntil(b'X') == b'X'
            assert await body.readuntil(b'\r\n') == b'second\r\n'
            assert await body.readuntil(b'X') == b'third X'
            assert await body.readuntil(b'X') == b' and the rest'
            assert await body.readuntil(b'X') == b''


async def test_readexactly_in_steps_across_pieces():
    data = pattern(200)
    for sizes in ([10], [3], [1, 7], [64]):
        for step in (1, 3, 5, 10, 40):
            for body in both(data, sizes, (13,)):
                got = []
                for at in range(0, 200, step):
                    piece = await body.readexactly(min(step, 200 - at))
                    assert piece == data[at:at + step], (sizes, step, at)
                    got.append(piece)
                assert b''.join(got) == data
                assert await body.read() == b''


async def test_readexactly_past_the_end_of_a_whole_body_says_so():
    for sizes in (None, [3]):
        for body in both(b'y' * 40, sizes):
            with raises(EOFError) as caught:
                await body.readexactly(50)
            assert str(caught.value) == 'Body ended early'


async def test_read_zero_gives_nothing_and_waits_for_nothing():
    # the body is cut inside its first chunk: read(0) still answers b''
    # at once, and only a real read finds the end
    data = b'5\r\nhel'
    for sizes in (None, [1], [4]):
        body = chunked_reader(data, sizes)
        assert await body.readexactly(3) == b'hel'
        assert await body.read(0) == b''
        with raises(EOFError):
            await body.read()
    for body in both(pattern(30), [7]):
        assert await body.read(0) == b''
        assert await body.read() == pattern(30)


async def test_a_body_of_exactly_the_limit_is_read_whole_in_many_chunks():
    data = pattern(100)
    for sizes in (None, [1], [5]):
        stream = chunked(data, [3])
        body = ChunkedBodyReader(Connection(
            AsyncBytesIO(stream) if sizes is None else Pieces(stream, sizes)),
            100)
        assert await body.read() == data, sizes
        body = ChunkedBodyReader(Connection(
            AsyncBytesIO(stream) if sizes is None else Pieces(stream, sizes)),
            100)
        assert await body.read_up_to(101) == data, sizes
        assert body.done
