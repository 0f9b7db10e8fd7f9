"""Server-Sent Events: a streamed ``text/event-stream`` response fed by a
handler that runs as its own task.

``format_event`` is the wire format, a pure function. The response body
is an async iterator (a class: MicroPython has no async generators) that
starts the handler on its first step, hands the server the events the
handler queued, and writes a comment line when nothing was sent for
``SSE.keep_alive_interval`` seconds, so that proxies and clients do not
give up on an idle stream. When the client goes away, the server's next
write fails, the body is closed, and the handler task is cancelled: it
sees ``CancelledError`` at its current ``await``, and ends quietly.

A reconnecting browser sends the last id it saw in the ``Last-Event-ID``
request header.
"""
import asyncio
import json

from .compat import CancelledError, is_disconnect
from .connection import BUSY, IDLE
from .response import Response

_KEEP_ALIVE = b': keep-alive\n\n'


def format_event(data, event=None, event_id=None, retry=None, comment=False):
    """One event in the text/event-stream format, as bytes.

    ``data``: a dict or list is sent as JSON, bytes as UTF-8 text, anything
    else as ``str(data)``; each of its lines (CRLF, CR or LF) becomes a
    ``data:`` line. With ``comment=True`` the lines are comments instead,
    which clients ignore. ``event`` names the event, ``event_id`` sets the
    client's last event id, ``retry`` its reconnection delay in seconds (as
    in Microdot; the field carries milliseconds). A newline in ``event`` or
    ``event_id`` would forge fields: ValueError.
    """
    if isinstance(data, (dict, list)):
        text = json.dumps(data)
    elif isinstance(data, (bytes, bytearray)):
        text = str(data, 'utf-8')
    elif isinstance(data, str):
        text = data
    else:
        text = str(data)
    if '\r' in text:
        text = text.replace('\r\n', '\n').replace('\r', '\n')
    parts = []
    if comment:
        parts.append(': ')
        parts.append(text.replace('\n', '\n: '))
        parts.append('\n')
    if event is not None:
        parts.append('event: ' + _field('event', event) + '\n')
    if event_id is not None:
        event_id = _field('event_id', event_id)
        if '\0' in event_id:
            raise ValueError('NUL in event_id')
        parts.append('id: ' + event_id + '\n')
    if retry is not None:
        parts.append('retry: ' + str(int(retry * 1000)) + '\n')
    if not comment:
        parts.append('data: ')
        parts.append(text.replace('\n', '\ndata: '))
        parts.append('\n')
    parts.append('\n')
    return ''.join(parts).encode()


def _field(name, value):
    value = str(value)
    if '\n' in value or '\r' in value:
        raise ValueError('Newline in ' + name)
    return value


class SSE:
    """The object an SSE handler sends its events through."""

    #: Seconds without an event after which a comment line is sent to keep
    #: the connection alive; None or 0 for none.
    keep_alive_interval = 15
    #: Events held for a slow client; past it ``send()`` waits.
    max_queued_events = 8

    def __init__(self):
        self._queue = []
        self._ready = asyncio.Event()   # events queued, or the end
        self._space = asyncio.Event()   # the queue was emptied
        self.closed = False

    async def send(self, data, event=None, event_id=None, retry=None,
                   comment=False):
        """Queue an event for the client (see ``format_event``). Waits
        while the client is slow to take earlier events; does nothing
        once the stream is closed."""
        if self.closed:
            return
        self._queue.append(format_event(data, event, event_id, retry,
                                        comment))
        self._ready.set()
        while len(self._queue) > self.max_queued_events and \
                not self.closed:
            self._space.clear()
            await self._space.wait()


class _EventStream:
    """The response body: the events of one SSE handler as they come."""

    def __init__(self, request, sse, event_function, args, kwargs):
        self.request = request
        self.sse = sse
        self.call = (event_function, args, kwargs)
        self.task = None
        self.done = False
        self.error = None   # what the handler raised, raised by the body

    def __aiter__(self):
        return self

    async def __anext__(self):
        sse = self.sse
        if self.task is None:
            if self.done:
                raise StopAsyncIteration
            self.task = asyncio.create_task(self._run())
        while True:
            if sse._queue:
                data = b''.join(sse._queue)
                sse._queue = []
                sse._space.set()
                return data
            if self.done:
                if self.error is not None:
                    # the stream ends cut short, and the server logs the
                    # error (the test client raises it, as Microdot's)
                    error, self.error = self.error, None
                    raise error
                raise StopAsyncIteration
            sse._ready.clear()
            interval = sse.keep_alive_interval
            conn = getattr(self.request, 'connection', None)
            if conn is not None:
                conn.state = IDLE   # a server shutdown may end the stream
            try:
                if interval:
                    try:
                        await asyncio.wait_for(sse._ready.wait(), interval)
                    except asyncio.TimeoutError:
                        return _KEEP_ALIVE
                else:
                    await sse._ready.wait()
            finally:
                if conn is not None:
                    conn.state = BUSY

    async def _run(self):
        function, args, kwargs = self.call
        try:
            await function(self.request, self.sse, *args, **kwargs)
        except CancelledError:
            pass    # the client went away
        except Exception as exc:
            if not is_disconnect(exc):
                self.error = exc
        finally:
            self.done = True
            self.sse._ready.set()

    def close(self):
        """End the stream: cancel the handler if it is still running."""
        self.done = True
        self.sse.closed = True
        self.sse._space.set()
        task = self.task
        if task is not None and not task.done():
            task.cancel()

    async def aclose(self):
        self.close()


def sse_response(request, event_function, *args, **kwargs):
    """A streamed response whose events come from
    ``event_function(request, sse, *args, **kwargs)``, started when the
    server begins to send the response."""
    sse = SSE()
    return Response(
        _EventStream(request, sse, event_function, args, kwargs),
        headers={'Content-Type': 'text/event-stream',
                 'Cache-Control': 'no-cache'})


def with_sse(f):
    """Decorator: turn a route handler into an SSE handler, called as
    ``f(request, sse, **route_args)``."""
    async def sse_handler(request, *args, **kwargs):
        return sse_response(request, f, *args, **kwargs)
    return sse_handler
