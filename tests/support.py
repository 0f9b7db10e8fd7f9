"""Helpers shared by the tests in tests/, on every runtime.

The files in tests/ run under pytest on CPython and under
tools/mpy_test_runner.py on the MicroPython unix port (from .py sources and
from mpy-cross output). So a test here is a plain top-level function named
``test_*`` (``async def`` is fine) that uses ``assert``; pytest fixtures,
marks and ``pytest.raises`` are not available on MicroPython: use the
helpers below instead.
"""

import sys

IS_MICROPYTHON = sys.implementation.name == 'micropython'


class SkipTest(Exception):
    """Raised by skip() outside pytest; the MicroPython runner reports it."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def skip(reason):
    """Skip the running test, saying why."""
    __tracebackhide__ = True  # pytest reports the test's line, not this one
    if not IS_MICROPYTHON and 'pytest' in sys.modules:
        import pytest
        pytest.skip(reason)
    raise SkipTest(reason)


def skip_on_micropython(reason):
    """Skip the running test on MicroPython, saying why."""
    __tracebackhide__ = True
    if IS_MICROPYTHON:
        skip(reason)


def skip_on_small_heap(kib, what):
    """Skip on a MicroPython heap smaller than ``kib`` KiB (a board's),
    saying what needs that much: tests sized for a host (bodies of 64 KiB
    and more, thousands of pieces kept) do not fit in a Pico's 220 KiB."""
    __tracebackhide__ = True
    if IS_MICROPYTHON:
        import gc
        size = gc.mem_free() + gc.mem_alloc()
        if size < kib * 1024:
            skip('{} needs a heap of {} KiB; this one has {} KiB'.format(
                what, kib, size // 1024))


def skip_without_sockets():
    """Skip where MicroPython has no socket module (a board without a
    network, such as the Pico): the test serves over real sockets."""
    __tracebackhide__ = True
    try:
        import socket  # noqa: F401
    except ImportError:
        skip('no socket module here (a board without a network, such as '
             'the Pico): this test serves over real sockets')


def run(coro):
    """Run a coroutine to completion on a fresh event loop; return its value."""
    import asyncio
    return asyncio.run(coro)


class raises:
    """Context manager asserting that its body raises ``exc_type``.

    Works like ``pytest.raises`` on both runtimes::

        with raises(ValueError) as caught:
            int('x')
        assert 'x' in str(caught.value)
    """

    def __init__(self, exc_type):
        self.exc_type = exc_type
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None:
            raise AssertionError(
                'expected {} to be raised'.format(_name(self.exc_type)))
        if not issubclass(exc_type, self.exc_type):
            return False  # let the unexpected exception through
        self.value = exc_value
        return True


def _name(exc_type):
    if isinstance(exc_type, tuple):
        return ' or '.join(_name(t) for t in exc_type)
    return exc_type.__name__


def hello_app(text='Hello, world!'):
    """A Microdot app whose ``/`` answers ``text``, set up as
    ``start_server()`` sets an app up, for tests that run the server's
    connection loop (microdot.server.serve_connection) without a socket."""
    from microdot import Microdot
    app = Microdot()

    @app.route('/')
    async def index(req):
        return text

    app.connections = set()
    app.shutting_down = False
    app.debug = False
    return app


async def serve_raw(app, data):
    """The bytes the server writes in answer to the request bytes ``data``
    (one request, as the test client sends it, but unparsed)."""
    from microdot import AsyncBytesIO
    from microdot.connection import Connection
    from microdot.server import serve_connection
    writer = AsyncBytesIO()
    conn = Connection(AsyncBytesIO(data), writer, ('127.0.0.1', 1234))
    await serve_connection(app, conn, 'http', once=True)
    return writer.getvalue()
