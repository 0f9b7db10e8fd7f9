"""The plain rules of microdot.connection, one at a time on every runtime:
how much a read asks for, what a connection's state and deadline are while
a head arrives, when the sweeper's rule ends it, and how writes and closes
treat the writer (mutation testing found these untested)."""
from support import raises

from microdot.compat import (DONE, MAX_READ, READ_SIZE, ticks_add,
                             ticks_diff, ticks_ms)
from microdot.connection import (BUSY, IDLE, STARTED, Connection,
                                 _read_size, ms)


def left(conn):
    """Milliseconds until the connection's deadline (None if none)."""
    if conn.deadline is None:
        return None
    return ticks_diff(conn.deadline, ticks_ms())


def test_read_sizes_and_milliseconds():
    assert _read_size(1) == READ_SIZE
    assert _read_size(READ_SIZE) == READ_SIZE
    assert _read_size(MAX_READ + 1) == MAX_READ
    assert _read_size(MAX_READ) == MAX_READ
    if MAX_READ > READ_SIZE + 1:
        assert _read_size(READ_SIZE + 1) == READ_SIZE + 1
    assert ms(None) is None
    assert ms(1.5) == 1500 and ms(0) == 0 and ms(15) == 15000


def test_a_head_starts_idle_then_started_with_its_deadlines():
    conn = Connection(None)
    conn.start_head(100000, 7000)
    assert conn.state == IDLE
    assert 99000 <= left(conn) <= 100000
    # blank lines before a request are dropped and start nothing
    assert conn.add_head_bytes(b'\r\n\r\n', 7000)
    assert conn.buffer == b'' and conn.state == BUSY
    assert 6000 <= left(conn) <= 7000
    conn = Connection(None)
    conn.start_head(100000, 7000)
    assert conn.add_head_bytes(b'\r\nGET / HT', 7000)
    assert conn.buffer == b'GET / HT' and conn.state == STARTED
    assert 6000 <= left(conn) <= 7000
    before = conn.deadline
    assert conn.add_head_bytes(b'TP/1.1', 7000)     # no new deadline
    assert conn.deadline == before and conn.state == STARTED
    assert conn.buffer == b'GET / HTTP/1.1'
    conn.end_head()
    assert conn.deadline is None and conn.state == STARTED


def test_a_head_already_buffered_starts_started_with_the_head_timeout():
    conn = Connection(None)
    conn._append(b'GET / HT')
    conn.start_head(100000, 7000)
    assert conn.state == STARTED and 6000 <= left(conn) <= 7000
    conn = Connection(None)
    conn.start_head(None, None)
    assert conn.deadline is None and conn.state == IDLE
    conn.end_head()
    assert conn.state == BUSY


def test_the_end_of_the_stream_between_and_inside_heads():
    conn = Connection(None)
    conn.start_head(1000, 1000)
    assert conn.add_head_bytes(b'', 1000) is False    # closed cleanly
    conn = Connection(None)
    conn.start_head(1000, 1000)
    conn.add_head_bytes(b'GET', 1000)
    with raises(EOFError):
        conn.add_head_bytes(b'', 1000)
    conn = Connection(None)
    conn._append(b'GET / HTTP/1.1\r\n\r\n')
    conn._take(len(conn.buffer))
    conn.start_head(1000, 1000)
    assert conn.add_head_bytes(b'', 1000) is False


class Task:
    cancelled = False

    def cancel(self):
        self.cancelled = True


def test_the_sweeper_ends_a_connection_whose_deadline_has_passed():
    conn = Connection(None)
    conn.task = Task()
    now = ticks_ms()
    conn.end_if_late(now)               # no deadline: nothing
    assert not conn.timed_out and not conn.task.cancelled
    conn.deadline = ticks_add(now, 10)
    conn.end_if_late(now)               # not yet
    assert not conn.timed_out and conn.deadline == ticks_add(now, 10)
    conn.end_if_late(ticks_add(now, 10))    # exactly at it
    assert conn.timed_out and conn.task.cancelled and conn.deadline is None
    conn = Connection(None)
    conn.deadline = now
    conn.end_if_late(ticks_add(now, 1))     # without a task: marked
    assert conn.timed_out


class Writer:
    """A writer whose awrite/aclose return ``pending`` or raise
    ``error``."""

    def __init__(self, pending=DONE, error=None):
        self.pending = pending
        self.error = error
        self.written = []
        self.closed = False

    def awrite(self, data):
        self.written.append(data)
        return self.pending

    def aclose(self):
        if self.error is not None:
            raise self.error
        return self.pending

    def close(self):
        self.closed = True


async def test_writes_wait_with_the_io_timeout_only_when_they_must():
    conn = Connection(None, Writer())
    conn.io_timeout = 5000
    assert conn.awrite(b'at once') is DONE
    assert conn.deadline is None
    seen = []

    async def slow():
        seen.append(left(conn))

    conn = Connection(None, Writer(slow()))
    conn.io_timeout = 5000
    await conn.awrite(b'later')
    assert 4000 <= seen[0] <= 5000 and conn.deadline is None
    conn = Connection(None, Writer(slow()))
    await conn.awrite(b'no timeout')
    assert seen[1] is None


async def test_closing_never_raises_and_closes_the_socket_without_memory():
    writer = Writer(error=MemoryError())
    assert Connection(None, writer).aclose() is DONE
    assert writer.closed
    writer = Writer(error=OSError(104, 'ECONNRESET'))
    assert Connection(None, writer).aclose() is DONE
    assert not writer.closed
    assert Connection(None, Writer()).aclose() is DONE

    async def fails(error):
        raise error

    for error, closes in ((MemoryError(), True), (OSError(32, 'EPIPE'),
                                                   False)):
        writer = Writer(fails(error))
        conn = Connection(None, writer)
        conn.io_timeout = 5000
        await conn.aclose()             # the error stays inside
        assert writer.closed == closes and conn.deadline is None


async def test_connection_read_zero_all_and_readexactly_cut_short():
    from microdot import AsyncBytesIO
    from streams import Pieces
    for sizes in ([1], [3], [100]):
        conn = Connection(Pieces(b'abcdefgh', sizes))
        assert await conn.read(0) == b''
        assert await conn.readexactly(2) == b'ab'
        assert await conn.read() == b'cdefgh'
        assert await conn.read() == b''
    conn = Connection(AsyncBytesIO(b'abc'))
    with raises(EOFError) as caught:
        await conn.readexactly(5)
    assert str(caught.value) == 'Connection closed mid-read'


class Reader:
    """A socket's reader that notes the connection's deadline while a read
    waits, then gives ``data``."""

    def __init__(self, conn_box, data):
        self.conn_box = conn_box
        self.data = data
        self.seen = []

    async def read(self, n=-1):
        self.seen.append(left(self.conn_box[0]))
        return self.data


async def test_reads_wait_with_the_io_timeout_and_clear_it_after():
    for data in (b'some', b''):
        box = []
        reader = Reader(box, data)
        conn = Connection(reader)
        box.append(conn)
        conn.io_timeout = 5000
        assert await conn._fill(10) == bool(data)
        assert 4000 <= reader.seen[0] <= 5000, reader.seen
        assert conn.deadline is None
        # without an io_timeout a read waits as long as it takes
        conn.io_timeout = None
        await conn._fill(10)
        assert reader.seen[1] is None


async def test_a_peer_that_closes_mid_head_says_so():
    conn = Connection(None)
    assert conn.add_head_bytes(b'GET / HT', None)
    with raises(EOFError) as caught:
        conn.add_head_bytes(b'', None)
    assert str(caught.value) == 'Connection closed mid-head'
    # blank lines alone are a clean close
    conn = Connection(None)
    assert conn.add_head_bytes(b'\r\n', None)
    assert conn.add_head_bytes(b'', None) is False
