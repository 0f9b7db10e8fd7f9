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
        iscoroutine, invoke, StreamWriter)
else:
    import time

    def print_exception(exc):
        sys.print_exception(exc)

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

    class StreamWriter:
        """MicroPython's asyncio streams already have awrite/aclose. This
        only turns Nagle's algorithm off (TCP_NODELAY), as CPython's asyncio
        does for every TCP connection: with it on, the last small write of a
        response that takes several writes (a file, a generator) waits for
        the client's delayed ACK, 40 ms on Linux."""
        def __new__(cls, stream):
            try:
                stream.s.setsockopt(6, 1, 1)   # IPPROTO_TCP, TCP_NODELAY
            except (AttributeError, OSError):  # TLS, or a stack without it
                pass
            return stream
