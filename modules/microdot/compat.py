"""The few places where CPython and MicroPython differ, kept in one module.

Everything else in the package imports these names and never asks which
runtime it is running on.
"""
import sys

IS_MICROPYTHON = sys.implementation.name == 'micropython'

try:
    from micropython import const
except ImportError:  # CPython
    def const(value):
        return value

import asyncio  # noqa: E402  (MicroPython 1.21+ and CPython both name it so)

try:
    CancelledError = asyncio.CancelledError
except AttributeError:  # pragma: no cover
    CancelledError = Exception

# errno values that mean "the client went away": EPIPE, ECONNRESET (Linux,
# BSD), ECONNABORTED, ENOTCONN (Linux, lwIP), ETIMEDOUT of lwIP.
_DISCONNECT_ERRNOS = (32, 54, 103, 104, 107, 128, 110, 113, 9)


try:
    _DISCONNECT_TYPES = (EOFError, ConnectionError)
except NameError:  # MicroPython reports these as OSError with an errno
    _DISCONNECT_TYPES = (EOFError,)


def unix_time():
    """Seconds since 1970-01-01 UTC, also on ports whose clock counts from
    2000 (cookies and JWTs count from 1970)."""
    import time
    now = time.time()
    if time.gmtime(0)[0] == 2000:
        now += 946684800
    return now


# What a board without a network (a Pico, no socket module) is told.
NO_NETWORK = ('this board has no network (its firmware has no socket '
              'module): serve from one with Wi-Fi, such as a Pico W, or '
              'call the app through microdot.test_client')


def socket_module():
    """The socket module; where there is none, an ImportError saying
    what that means rather than naming the module."""
    try:
        import socket
    except ImportError:
        raise ImportError(NO_NETWORK)
    return socket


def is_disconnect(exc):
    """True when an exception only says that the peer closed the connection."""
    if isinstance(exc, _DISCONNECT_TYPES):
        return True
    if isinstance(exc, OSError):
        return bool(exc.args) and exc.args[0] in _DISCONNECT_ERRNOS
    return False


if not IS_MICROPYTHON:
    from .cpython import (  # noqa: F401
        print_exception, decode_utf8, ticks_ms, ticks_add, ticks_diff,
        iscoroutine, invoke, StreamWriter, listen, memory_ran_out, DONE,
        READ_SIZE, MAX_READ, binding_error)
else:
    import time

    def print_exception(exc, file=sys.stdout):
        sys.print_exception(exc, file)

    # A socket read asks for at least READ_SIZE bytes (heads, lines, small
    # bodies come whole) and at most MAX_READ: socket.read(n) allocates n
    # bytes before it reads, and a board's heap has few large holes.
    READ_SIZE = const(1024)
    MAX_READ = const(4096)

    # MicroPython's UTF-8 decoder checks the structure of sequences but lets
    # overlong forms (b'\xc0\xaf' becomes '/'), surrogates and code points
    # past U+10FFFF through. These bytes never occur in valid UTF-8 ...
    _NOT_UTF8 = (b'\xc0', b'\xc1', b'\xf5', b'\xf6', b'\xf7')
    # ... and after these lead bytes the next byte has a narrower range.
    _NARROW_LEADS = ((b'\xe0', 0xa0, 0xbf), (b'\xed', 0x80, 0x9f),
                     (b'\xf0', 0x90, 0xbf), (b'\xf4', 0x80, 0x8f))

    def decode_utf8(data):
        """``data`` (bytes) as a str; UnicodeError unless it is valid
        UTF-8 (RFC 3629), as CPython's strict decoder decides."""
        text = data.decode()
        if len(text) != len(data):      # not plain ASCII
            _check_utf8(data)
        return text

    def _check_utf8(data):
        for byte in _NOT_UTF8:
            if data.find(byte) >= 0:
                raise UnicodeError('invalid UTF-8')
        for lead, low, high in _NARROW_LEADS:
            index = data.find(lead)
            while index >= 0:
                # the decoder has checked that a continuation byte follows
                if not low <= data[index + 1] <= high:
                    raise UnicodeError('invalid UTF-8')
                index = data.find(lead, index + 2)

    ticks_ms = time.ticks_ms
    ticks_add = time.ticks_add
    ticks_diff = time.ticks_diff

    async def _coroutine():
        pass

    _generator_type = type(_coroutine())

    def iscoroutine(obj):
        # MicroPython's coroutines are plain generator objects.
        return isinstance(obj, _generator_type)

    def invoke(func, *args, **kwargs):
        """Call a handler, sync or async; await what this returns for its
        result. Sync ones run inline: most boards have no threads to spare.
        An async handler's own coroutine is returned, so a call costs no
        extra frame."""
        result = func(*args, **kwargs)
        if isinstance(result, _generator_type):
            return result
        return _done(result)

    async def _done(value):
        return value

    def binding_error(func, args, kwargs):
        """The TypeError that ``func(*args, **kwargs)`` raises for its
        arguments alone, found without running its body; False when they
        fit; None when that cannot be told (a plain function's body would
        run). An async function binds its arguments when called, and its
        body waits for the first resume."""
        if type(func) is not type(_coroutine):
            return None
        try:
            func(*args, **kwargs).close()
        except TypeError as exc:
            return exc
        return False

    # The socket server (microdot.sockets), loaded when an app listens: a
    # board without a network, or an app called through the test client,
    # does not hold it.
    _sockets = None

    def listen(host, port, backlog, ssl, handler):
        """Accept connections on ``host:port`` in a task of our own:
        ``handler(reader, writer, peer)`` serves each (see
        microdot.sockets.listen)."""
        global _sockets
        from . import sockets
        _sockets = sockets
        return sockets.listen(host, port, backlog, ssl, handler)

    def memory_ran_out():
        """Someone met a MemoryError: the accepting task, if an app
        listens, accepts with care for a while."""
        if _sockets is not None:
            _sockets.memory_ran_out()

    def _finished():
        return
        yield

    # What an awaitable I/O call returns when it has done its work at once:
    # a generator run to its end, which returns None as soon as it is
    # awaited, again and again, and allocates nothing (a coroutine would
    # allocate its frame at each call). Connection looks for it.
    DONE = _finished()
    for _ in DONE:
        pass
