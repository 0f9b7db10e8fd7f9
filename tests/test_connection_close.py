"""Closing a connection closes its socket, whatever happens on the way."""
from microdot.connection import Connection


class Socket:
    """A writer whose closing coroutine may find no memory (on MicroPython
    calling a generator function allocates its frame) or fail to flush."""

    def __init__(self, fails_with=None):
        self.fails_with = fails_with
        self.closed = False

    def aclose(self):
        if self.fails_with is not None:
            raise self.fails_with
        return self._aclose()

    async def _aclose(self):
        self.closed = True

    def close(self):
        self.closed = True


async def test_aclose_closes_the_socket():
    sock = Socket()
    await Connection(None, sock).aclose()
    assert sock.closed


async def test_aclose_with_no_memory_left_still_closes_the_socket():
    # the server's MemoryError path: a socket left open here was never
    # closed by anyone (a board has a handful of sockets in all)
    sock = Socket(MemoryError('memory allocation failed'))
    conn = Connection(None, sock)
    conn.io_timeout = 1000
    await conn.aclose()
    assert sock.closed
    assert conn.deadline is None


async def test_aclose_of_a_failing_writer_does_not_raise():
    sock = Socket(OSError(104))
    await Connection(None, sock).aclose()
