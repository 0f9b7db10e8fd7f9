"""One client connection: buffered reads, writes, and I/O deadlines.

The server's only I/O object. Bytes read past the end of one request stay
in the buffer for the next (keep-alive, pipelining). Every read and write
that may stall sets ``deadline``; the server's sweeper cancels connections
whose deadline has passed, so no per-operation timer is allocated."""
from .compat import (const, ticks_ms, ticks_add, ticks_diff, DONE,
                     READ_SIZE, MAX_READ)
from .http import ProtocolError, find_head_end


def _read_size(wanted):
    """Bytes to ask the socket for when ``wanted`` more are needed: at
    least READ_SIZE (heads, lines, small bodies), at most MAX_READ (see
    microdot.compat); on MicroPython a body read in a handler's 2 KiB
    pieces then costs one socket read per piece."""
    if wanted <= READ_SIZE:
        return READ_SIZE
    return wanted if wanted < MAX_READ else MAX_READ


def ms(seconds):
    """A timeout in seconds (or None) as the milliseconds deadlines use."""
    return None if seconds is None else int(seconds * 1000)


# What the connection is doing, for the server: IDLE waits for a request,
# or for the next message of a stream (a shutdown may drop it); STARTED has
# part of a request and reads the rest (a timeout deserves a 408); BUSY is
# anything else (a handler at work, a response going out).
BUSY = const(0)
IDLE = const(1)
STARTED = const(2)


class Connection:
    # Defaults live on the class: an instance stores only what differs, so
    # a connection allocates a smaller attribute table on MicroPython. No
    # property either: on MicroPython a class with one looks itself up
    # before every store to an instance, and a request makes several here.
    buffer = b''
    at = 0               # buffer[at:] is not read yet
    deadline = None      # ticks_ms value, or None for no limit
    io_timeout = None    # ms allowed for one read or write
    task = None
    state = BUSY         # IDLE, STARTED or BUSY (one attribute: see above)
    must_close = False
    timed_out = False    # set by the server's sweeper

    def __init__(self, reader, writer=None, client_addr=None):
        self.reader = reader
        self.writer = writer
        self.client_addr = client_addr

    def end_if_late(self, now):
        """The sweeper's rule: once the deadline of the wait in progress
        has passed (``now`` is a ticks_ms value), cancel the task that
        waits, marked as timed out."""
        deadline = self.deadline
        if deadline is not None and ticks_diff(now, deadline) >= 0:
            self.deadline = None
            self.timed_out = True
            if self.task is not None:
                self.task.cancel()

    # --- reading ------------------------------------------------------
    # The bytes not read yet are buffer[at:]. A read takes its bytes from
    # there by moving ``at``, so that a small read from a larger buffered
    # piece copies only what it returns: cutting the rest off at each read
    # copied it again and again (a 1 KiB socket read handed out in 256-byte
    # pieces copied 2.5 KiB). ``buffer`` is b'' (and ``at`` 0) as soon as
    # all of it is read: `not buffer` means nothing is buffered.

    async def _fill(self, size=READ_SIZE):
        """Append what the peer sends next (up to ``size`` bytes); False at
        end of stream."""
        if self.io_timeout is not None:
            self.deadline = ticks_add(ticks_ms(), self.io_timeout)
        data = await self.reader.read(size)
        if self.io_timeout is not None:
            self.deadline = None
        if not data:
            return False
        self._append(data)
        return True

    def _append(self, data):
        buffer = self.buffer
        if not buffer:
            self.buffer = data
            return
        at = self.at
        if at:      # what was read goes: the rest moves to the front
            buffer = buffer[at:]
            self.at = 0
        self.buffer = buffer + data

    def _take(self, n):
        """The next ``n`` buffered bytes (fewer if fewer are buffered)."""
        buffer = self.buffer
        at = self.at
        end = at + n
        if end < len(buffer):
            self.at = end
            return buffer[at:end]
        self.buffer = b''
        if at:
            self.at = 0
            return buffer[at:]
        return buffer

    def _seek(self, index):
        """Mark ``buffer[:index]`` read, without a copy."""
        if index < len(self.buffer):
            self.at = index
        else:
            self.buffer = b''
            self.at = 0

    async def read(self, n=-1):
        """Up to ``n`` bytes (all until EOF when n < 0); b'' at EOF."""
        if n < 0:
            parts = []
            while self.buffer or await self._fill():
                parts.append(self._take(len(self.buffer)))
            return parts[0] if len(parts) == 1 else b''.join(parts)
        if not self.buffer and not await self._fill(_read_size(n)):
            return b''
        return self._take(n)

    async def readexactly(self, n):
        if len(self.buffer) - self.at >= n:
            return self._take(n)
        # two pieces are joined by one concatenation; more are copied into
        # one buffer as they arrive: appending each to the last copied all
        # of it again, and a list of them kept them all (a body trickled in
        # 7-byte pieces is hundreds of them, in small blocks all over the
        # heap)
        data = b''
        whole = None
        size = 0
        while True:
            if self.buffer:
                piece = self._take(n - size)
                end = size + len(piece)
                if not size:
                    data = piece
                elif whole is None and end == n:
                    return data + piece
                else:
                    if whole is None:
                        whole = bytearray(n)
                        whole[:size] = data
                        data = None
                    whole[size:end] = piece
                size = end
                if size == n:
                    return data if whole is None else bytes(whole)
            if not await self._fill(_read_size(n - size)):
                raise EOFError('Connection closed mid-read')

    async def readuntil(self, separator=b'\n', limit=None):
        """Bytes up to and with ``separator``; with ``limit``, a 400 when
        more than ``limit`` bytes come before it (however they arrived)."""
        start = self.at
        while True:
            buffer = self.buffer
            index = buffer.find(separator, start)
            size = (len(buffer) if index < 0 else index) - self.at
            if limit is not None and size > limit:
                raise ProtocolError(400, 'Line too long')
            if index >= 0:
                return self._take(index + len(separator) - self.at)
            # the line moves to the front of the buffer, if it is not there
            start = max(0, size - len(separator) + 1)
            if not await self._fill():
                raise EOFError('Connection closed mid-line')

    async def bounded(self, coro):
        """Await ``coro``, whose reads on this connection must all end
        within one ``io_timeout`` rather than one each, so that a client
        sending a byte a second cannot stretch them (the in-memory body)."""
        timeout = self.io_timeout
        if timeout is None:
            return await coro
        self.io_timeout = None
        self.deadline = ticks_add(ticks_ms(), timeout)
        try:
            return await coro
        finally:
            self.io_timeout = timeout
            self.deadline = None

    async def readline(self):
        try:
            return await self.readuntil(b'\n')
        except EOFError:
            return self._take(len(self.buffer))

    async def read_head(self, max_length, first_byte_timeout=None,
                        head_timeout=None):
        """The next request head with its final CRLFCRLF, or None when the
        client closed the connection cleanly between requests.

        ``first_byte_timeout`` bounds the wait for a new request;
        ``head_timeout`` the time from its first byte to its last. The
        server runs this same loop inline (one coroutine less per request
        on MicroPython); the rules are in the three plain methods below."""
        self.start_head(first_byte_timeout, head_timeout)
        try:
            head = self.take_head(max_length)
            while head is None:
                data = await self.reader.read(READ_SIZE)
                if not self.add_head_bytes(data, head_timeout):
                    return None
                head = self.take_head(max_length)
        finally:
            self.end_head()
        return head

    def start_head(self, first_byte_timeout, head_timeout):
        """Get ready to read a request head: IDLE (a shutdown may drop the
        connection) until its first byte, and the deadline that applies."""
        buffer = self.buffer
        if buffer:
            # blank lines before a pipelined request are skipped, as before
            # an idle connection's (add_head_bytes; RFC 9112 2.2)
            at = self.at
            while at < len(buffer) and (buffer[at] == 13 or buffer[at] == 10):
                at += 1
            if at > self.at:
                self._seek(at)
        if self.buffer:
            self.state = STARTED
            timeout = head_timeout
        else:
            self.state = IDLE
            timeout = first_byte_timeout
        self.deadline = None if timeout is None else \
            ticks_add(ticks_ms(), timeout)

    def take_head(self, max_length):
        """The request head at the front of the buffer, with its final
        CRLFCRLF, taken off it; None while it is not all there."""
        buffer = self.buffer
        at = self.at
        end = find_head_end(buffer, at)
        if end < 0:
            # the head may be all there but for up to 3 bytes of its final
            # CRLFCRLF, which the limit does not count
            if len(buffer) - at > max_length + 3:
                _head_too_long(buffer, at, max_length)
            return None
        if end - at > max_length:
            _head_too_long(buffer, at, max_length)
        # a pipelined request stays; the usual head is the whole buffer,
        # taken without a copy
        return self._take(end + 4 - at)

    def add_head_bytes(self, data, head_timeout):
        """Add what the peer sent while a head is awaited; False if it
        closed the connection cleanly (EOFError if it did so mid-head)."""
        if not data:
            if self.buffer[self.at:].strip():
                raise EOFError('Connection closed mid-head')
            return False
        self._append(data)
        if self.state == IDLE:
            if head_timeout is not None:
                self.deadline = ticks_add(ticks_ms(), head_timeout)
            # tolerate blank lines before a request (RFC 9112 2.2); what
            # the buffer held is read (idle: nothing), so at is 0
            buffer = self.buffer
            if buffer.startswith(b'\r') or buffer.startswith(b'\n'):
                self.buffer = buffer.lstrip(b'\r\n')
        # (blank lines alone start no request)
        self.state = STARTED if self.buffer else BUSY
        return True

    def end_head(self):
        # a head in hand leaves the connection STARTED until its body is
        # ready; the server then makes it BUSY
        self.deadline = None
        if self.state == IDLE:
            self.state = BUSY

    # --- writing ------------------------------------------------------
    def awrite(self, data):
        """Send ``data``; await what this returns. A write the socket took
        at once (on MicroPython, most) makes no coroutine."""
        pending = self.writer.awrite(data)
        if pending is DONE:
            return pending
        return self._wait(pending)

    async def _wait(self, pending):
        # a write or close that waits on the peer gets io_timeout
        if self.io_timeout is not None:
            self.deadline = ticks_add(ticks_ms(), self.io_timeout)
        await pending
        self.deadline = None

    def aclose(self):
        """Close the connection, sending what the writer still buffers
        first; await what this returns. Never raises: a failed close has
        nothing left to tell the peer."""
        try:
            pending = self.writer.aclose()
            if pending is not DONE:
                return self._wait_closed(pending)
        except MemoryError:
            # no room even for a closing coroutine: close the socket now,
            # unflushed, or it stays open for good
            self.writer.close()
        except Exception:
            pass
        return DONE

    async def _wait_closed(self, pending):
        try:
            await self._wait(pending)
        except MemoryError:
            self.writer.close()
        except Exception:
            pass
        self.deadline = None


def _head_too_long(buffer, at, max_length):
    # 414 when the request line alone is over the limit (RFC 9112 3),
    # else 431 for the header fields (RFC 6585)
    line_end = buffer.find(b'\n', at)
    if line_end < 0 or line_end - at > max_length:
        raise ProtocolError(414)
    raise ProtocolError(431)
