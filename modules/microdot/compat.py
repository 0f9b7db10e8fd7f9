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

    from asyncio import core as _core

    _MEMORY_BACKOFF_MS = const(20)
    _ACCEPT_PROBE_WORDS = const(32)     # more than accept() allocates
    _CAREFUL_ACCEPTS = const(32)
    _RESERVE_WORDS = const(128)
    _READ_BUFFER_SIZE = const(1024)    # see _read_small()

    async def listen(host, port, backlog, ssl, handler):
        """Accept connections on ``host:port`` in a task of our own:
        ``handler(reader, writer, peer)`` serves each. Unlike asyncio's
        start_server, a MemoryError while taking a connection drops that
        connection only (the listening task would end, and the server stop
        answering for good), and a connection is one small object, not a
        Stream with its dict of extra info and output buffer."""
        socket = socket_module()
        family, _, _, _, address = socket.getaddrinfo(host, port)[0]
        sock = socket.socket(family)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        global _reserve, _read_view
        _reserve = [None] * _RESERVE_WORDS
        if _read_view is None:
            _read_view = memoryview(bytearray(_READ_BUFFER_SIZE))
        listener = Listener()
        listener.sock = sock
        listener.task = _core.create_task(_accept(sock, ssl, handler))
        return listener

    class Listener:
        """What listen() returns: close() stops accepting."""
        task = sock = None

        def close(self):
            self.task.cancel()

        async def wait_closed(self):
            await self.task

    def _accept(sock, ssl, handler):    # a generator: the accepting task
        global _reserve, _short_of_memory
        try:
            while True:
                client = None
                try:
                    yield _until_ready(sock, False)
                    # the ports lose the new socket when accept() itself
                    # runs out of memory: after a MemoryError, try first
                    stream = SocketStream(None)
                    if _short_of_memory:
                        _short_of_memory -= 1
                        # a list's clear() frees its items at once: a
                        # probe left to the GC could stay alive through a
                        # stale slot of this frame, taking that memory
                        ([None] * _ACCEPT_PROBE_WORDS).clear()
                    client, peer = sock.accept()
                    stream.s = _prepare(client, ssl)
                    _core.create_task(handler(stream, stream, peer))
                    if not _reserve:    # only once the connection is taken
                        _reserve = _new_reserve()
                except OSError:
                    # a client gone before we took it, or a failed TLS setup
                    if client is not None:
                        client.close()
                except MemoryError:     # (a tuple of types would allocate)
                    # no memory for one more: drop it, let the requests in
                    # flight end, serve on
                    if client is not None:
                        client.close()
                    client = stream = None  # the GC may have them
                    memory_ran_out()
                    yield from _core.sleep_ms(_MEMORY_BACKOFF_MS)
        except CancelledError:
            sock.close()

    # memory given up when the heap is full, to accept a connection or to
    # register a socket with the poller (see _until_ready), and taken
    # again after the next connection accepted
    _reserve = []

    _short_of_memory = 0    # connections still to accept with care

    def memory_ran_out():
        """Someone met a MemoryError: accept with care for a while. (A
        probe before every accept would cost an allocation per connection,
        and the conservative GC may still see it when accept() runs.)"""
        global _short_of_memory
        _short_of_memory = _CAREFUL_ACCEPTS

    def _new_reserve():
        try:
            return [None] * _RESERVE_WORDS
        except MemoryError:
            return _reserve     # still empty: try again next time

    def _until_ready(sock, for_write):
        """Have asyncio wake the running task when ``sock`` is ready; the
        task then yields."""
        try:
            _queue(sock, for_write)
        except MemoryError:
            _queue_again(sock, for_write)

    def _queue_again(sock, for_write):
        # asyncio records the socket before it registers it with the
        # poller, whose entry for it then stays half made: the next poll
        # would crash on it. Forget the record, free the reserve (clear()
        # gives a list's memory back at once), and register again, which
        # completes the entry. (Apart from _until_ready(), whose frame then
        # stays small enough for the C stack: it runs at every wait.)
        _core._io_queue.map.pop(id(sock), None)
        _reserve.clear()
        memory_ran_out()
        _queue(sock, for_write)

    def _queue(sock, for_write):
        io = _core._io_queue
        if for_write:
            io.queue_write(sock)
        else:
            io.queue_read(sock)

    def _prepare(client, ssl):
        try:
            # no Nagle: the last small write of a response would otherwise
            # wait for the client's delayed ACK (40 ms on Linux), as
            # CPython's asyncio also decides for every TCP connection
            client.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY
        except OSError:                 # a stack without it
            pass
        if ssl is not None:
            client = _wrap(client, ssl)
        client.setblocking(False)
        return client

    def _wrap(client, ssl):
        # (apart from _prepare(), whose frame then stays on the C stack)
        return ssl.wrap_socket(client, server_side=True,
                               do_handshake_on_connect=False)

    # socket.read(n) allocates n bytes before it reads: in a fragmented
    # heap a 1 KiB hole may be missing while the few bytes that arrived
    # would fit. Small reads go through one buffer, taken at listen() time,
    # and only what arrived is copied out.
    _read_view = None

    def _read_small(sock, size):
        view = _read_view
        count = sock.readinto(view, size)
        if count is None:
            return None
        return bytes(view[:count])

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

    class SocketStream:
        """A client socket with the async read/awrite/aclose that the
        server's Connection uses: a read is one generator, a write or close
        done at once none (DONE)."""

        def __init__(self, sock):
            self.s = sock

        def read(self, size):
            # read first: a request has often arrived by then, and each
            # wait registers the socket with the poller anew
            while True:
                if size <= _READ_BUFFER_SIZE:
                    data = _read_small(self.s, size)
                else:
                    data = self.s.read(size)
                if data is not None:    # None: nothing yet
                    return data
                yield _until_ready(self.s, False)

        def awrite(self, data):
            # the socket most often takes it all at once: then there is
            # nothing to wait for, and no generator to make
            sent = self.s.write(data)
            if sent == len(data):
                return DONE
            return self._write_rest(data, sent or 0)

        def _write_rest(self, data, sent):
            view = memoryview(data)
            while sent < len(view):
                yield _until_ready(self.s, True)
                more = self.s.write(view[sent:])
                if more is not None:
                    sent += more

        def aclose(self):
            self.s.close()
            return DONE

        def close(self):
            self.s.close()
