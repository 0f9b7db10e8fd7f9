"""WSGI: the same app served by a WSGI server (gunicorn). CPython only.

    from microdot.wsgi import Microdot
    app = Microdot()          # then: gunicorn module:app

WSGI is synchronous and the core is asyncio: each server thread gets its
own event loop, which runs the core's dispatch for the requests of that
thread (``def`` handlers still go to a worker thread, as in the core) and
then steps through a streamed body one chunk per ``next()``. Files are
handed to the server's ``wsgi.file_wrapper`` (gunicorn sends them with
sendfile). Handlers see the WSGI environ as ``request.environ``.

WebSocket needs the client's socket, which gunicorn hands over in
``environ['gunicorn.socket']``: for an upgrade request it is wrapped in a
core Connection on the thread's loop, so the core's WebSocket runs
unchanged; afterwards the socket is shut down, and what gunicorn still
tries to write there fails quietly (EPIPE, which it ignores). The
WebSocket's deadlines (``io_timeout`` for a frame begun and for each write,
``WebSocket.idle_timeout`` between messages) hold as under the built-in
server: while the WebSocket lasts, a task on the thread's loop does what
the server's sweeper does, once a second, so a client that stalls frees
its thread.
"""
import asyncio
import os
import signal
import socket
import threading

from . import *  # noqa: F401,F403  (Response, send_file... for the apps)
from .app import Microdot as BaseMicrodot
from .asgi import server_pid
from .compat import CancelledError, StreamWriter, print_exception, ticks_ms
from .connection import Connection, ms
from .http import (TOO_LARGE, HTTPException, ProtocolError, reason_phrase,
                   parse_content_length)
from .body import _BodyReader
from .request import Request
from .response import Response
from .structures import NoCaseDict
from .urls import url_encode
from .websocket import (WebSocket, WebSocketError,  # noqa: F401
                        websocket_upgrade, with_websocket)

#: errno values of a client that went away (Microdot's name for them).
MUTED_SOCKET_ERRORS = [32, 54, 104, 128]

# what a path may keep as is when it is percent-encoded again (PATH_INFO
# is decoded; the core's Request decodes the URL itself)
_URL_SAFE = "/!$&'()*+,;=:@"
# PEP 3333 leaves these to the server
_HOP_BY_HOP = ('connection', 'keep-alive', 'proxy-authenticate',
               'proxy-authorization', 'te', 'trailers', 'transfer-encoding',
               'upgrade')


class Microdot(BaseMicrodot):
    """A Microdot app that is also a WSGI application."""

    def __init__(self):
        super().__init__()
        #: True while ``run()`` serves the app with the built-in server.
        self.embedded_server = False
        self._threads = threading.local()

    def __call__(self, environ, start_response):
        return self.wsgi_app(environ, start_response)

    def _loop(self):
        holder = getattr(self._threads, 'holder', None)
        if holder is None:
            holder = self._threads.holder = _ThreadLoop()
        return holder.loop

    def wsgi_app(self, environ, start_response):
        """The WSGI application callable."""
        loop = self._loop()
        res = None
        try:
            req = self._make_request(environ)
        except EOFError:          # the client left while sending its body
            req = None
            res = Response(reason_phrase(400), 400)
        except HTTPException as exc:
            req = None
            res = Response(exc.reason, exc.status_code)
        if req is not None:
            if _wants_websocket(req) and 'gunicorn.socket' in environ:
                res = loop.run_until_complete(
                    self._dispatch_upgrade(environ, req))
            else:
                res = loop.run_until_complete(self.dispatch_request(req))
            if res is Response.already_handled:
                # the handler spoke on the socket, which is now shut down
                start_response('101 Switching Protocols', [])
                return []
        return _respond(res, environ, start_response, loop,
                        environ.get('REQUEST_METHOD') == 'HEAD')

    async def _dispatch_upgrade(self, environ, req):
        """Dispatch a WebSocket upgrade request on a Connection over the
        client's socket, with the built-in server's deadlines: this task
        is the connection's task, and a sweeper cancels it (or the task
        a WebSocket read deadline names) once ``conn.deadline`` passes."""
        conn = await _open_connection(environ, req)
        conn.task = asyncio.current_task()
        conn.io_timeout = ms(self.io_timeout)
        req.sock = conn, conn
        req.connection = conn
        sweeper = asyncio.ensure_future(_sweep(conn))
        res = Response.already_handled
        try:
            try:
                res = await self.dispatch_request(req)
            except CancelledError:
                # a deadline passed outside the WebSocket's own handling
                # (the 101 could not be written): the socket is given up
                pass
            try:
                await _release(conn, environ, res is Response.already_handled)
            except CancelledError:  # closing stalled past io_timeout
                pass
        finally:
            sweeper.cancel()
        return res

    def _make_request(self, environ):
        headers = NoCaseDict()
        for key, value in environ.items():
            if key.startswith('HTTP_'):
                name = '-'.join(part.title() for part in key[5:].split('_'))
                headers[name] = _text(value)
        if environ.get('CONTENT_TYPE'):
            headers['Content-Type'] = _text(environ['CONTENT_TYPE'])
        length = environ.get('CONTENT_LENGTH')
        if length:
            headers['Content-Length'] = length
            length = parse_content_length(length)
        else:
            length = None
        path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
        url = url_encode(path.encode('latin-1'), _URL_SAFE) or '/'
        if environ.get('QUERY_STRING'):
            url += '?' + _text(environ['QUERY_STRING'])
        # as the server gives it ('HTTP/1.1'), as in Microdot
        version = environ.get('SERVER_PROTOCOL', 'HTTP/1.1')
        body = b''
        stream = None
        too_large = length is not None and \
            length > Request.max_content_length
        if not too_large and (length or (
                length is None and environ.get('wsgi.input_terminated') and
                'Upgrade' not in headers)):
            # a body of unknown length (chunked) or a big one is read up to
            # the in-memory limit; the rest streams through `stream`
            source = _InputBody(environ['wsgi.input'], length,
                                Request.max_content_length)
            try:
                if source.prefetch(Request.max_body_length + 1):
                    body = source.take()
                else:
                    stream = source
            except HTTPException:
                too_large = True
        port = environ.get('REMOTE_PORT')
        req = Request(self, (environ.get('REMOTE_ADDR'),
                             int(port) if port else 0),
                      environ.get('REQUEST_METHOD', 'GET'), url, version,
                      headers, body=body, stream=stream, sock=(None, None),
                      scheme=environ.get('wsgi.url_scheme'))
        req.environ = environ
        if too_large:
            req.error = 413
        return req

    def run(self, host='0.0.0.0', port=5000, debug=False, **options):
        """Serve with the built-in server (for development); in
        production, start a WSGI server with this app instead."""
        self.embedded_server = True
        try:
            super().run(host, port, debug, **options)
        finally:
            self.embedded_server = False

    def shutdown(self):
        """Stop the server: the built-in one under ``run()``, else the
        WSGI server (SIGTERM to its master process: a graceful stop)."""
        if self.embedded_server:
            super().shutdown()
        else:
            os.kill(server_pid(), signal.SIGTERM)


class _ThreadLoop:
    """The event loop of one server thread; closed when the thread ends
    (threading.local drops it then)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()

    def __del__(self):
        try:
            self.loop.close()
        except Exception:
            pass


def _text(value):
    """A WSGI str (bytes as latin-1, PEP 3333) as the UTF-8 text it
    carries, like the core's parser gives."""
    try:
        return value.encode('latin-1').decode()
    except ValueError:
        return value


def _wants_websocket(req):
    upgrade = req.headers.get('Upgrade')
    return upgrade is not None and upgrade.lower() == 'websocket'


async def _open_connection(environ, req):
    """The client's socket (a duplicate of gunicorn's) as a Connection on
    this thread's loop."""
    sock = environ['gunicorn.socket'].dup()
    reader, writer = await asyncio.open_connection(sock=sock)
    return Connection(reader, StreamWriter(writer), req.client_addr)


async def _sweep(conn):
    """The built-in server's sweeper for one connection: once a second,
    end the wait that ``conn.deadline`` bounds if it has passed."""
    while True:
        await asyncio.sleep(1)
        conn.end_if_late(ticks_ms())


async def _release(conn, environ, handled):
    """Done with the duplicate socket. After a WebSocket, shut the
    connection down; else give gunicorn back its blocking socket for the
    response. (Also when the close is cancelled: it stalled.)"""
    try:
        await conn.aclose()
    finally:
        sock = environ['gunicorn.socket']
        if handled:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            sock.setblocking(True)


def _respond(res, environ, start_response, loop, head_only):
    try:
        res.complete()
        headers = _response_headers(res)
    except ValueError as exc:   # a header that would break the response
        print_exception(exc)
        _close_body(res.body, loop)
        res = Response(reason_phrase(500), 500)
        res.complete()
        headers = _response_headers(res)
    start_response('{} {}'.format(
        res.status_code,
        res.reason or reason_phrase(res.status_code, 'Unknown')), headers)
    body = res.body
    if not res._is_streamed():
        return [] if head_only or not body else [bytes(body)]
    if head_only:
        _close_body(body, loop)
        return []
    wrapper = environ.get('wsgi.file_wrapper')
    read = getattr(body, 'read', None)
    if wrapper is not None and read is not None and \
            not asyncio.iscoroutinefunction(read):
        return wrapper(body, res.send_file_buffer_size)
    return _StreamedBody(res, loop)


def _response_headers(res):
    pairs = []
    for name, value in res.headers.items():
        if name.lower() in _HOP_BY_HOP:
            continue
        for item in (value if isinstance(value, list) else (value,)):
            item = str(item)
            if '\r' in item or '\n' in item or '\r' in name or '\n' in name:
                raise ValueError('CR or LF in header ' + name)
            pairs.append((name, item))
    return pairs


def _close_body(body, loop):
    try:
        if hasattr(body, 'aclose'):
            loop.run_until_complete(body.aclose())
        elif hasattr(body, 'close'):
            body.close()
        # A task that closing cancelled (an SSE handler) runs its clean-up
        # now, not whenever this thread serves its next request.
        cancelled = [task for task in asyncio.all_tasks(loop)
                     if _cancelling(task)]
        if cancelled:
            loop.run_until_complete(asyncio.wait(cancelled, timeout=1))
    except Exception as exc:
        print_exception(exc)


def _cancelling(task):
    if task.done():
        return False
    cancelling = getattr(task, 'cancelling', None)   # Python 3.11+
    return cancelling is None or cancelling() > 0


class _StreamedBody:
    """The WSGI iterable of a streamed body: each ``next()`` runs the
    body's async iterator one step on the thread's loop. The server calls
    ``close()`` when done or when the client went away."""

    def __init__(self, res, loop):
        self.body = res.body
        self.chunks = res.body_iter()
        self.loop = loop

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.loop.run_until_complete(self.chunks.__anext__())
        except StopAsyncIteration:
            raise StopIteration

    def close(self):
        _close_body(self.body, self.loop)


class _InputBody(_BodyReader):
    """``wsgi.input`` with the file-like async API of the core's body
    readers. Reads never pass a known Content-Length (PEP 3333); a body of
    unknown length is held to ``limit`` bytes (413 past it)."""

    def __init__(self, wsgi_input, length, limit):
        self.input = wsgi_input
        self.remaining = length   # None: read until the server says end
        self.limit = limit
        self.total = 0
        self.buffer = b''
        self.done = False

    def _pull(self, n):
        if self.remaining is not None:
            n = min(n, self.remaining)
        data = self.input.read(n) if n > 0 else b''
        if not data:
            self.done = True
            if self.remaining:
                raise EOFError('Body ended early')
            return b''
        if self.remaining is not None:
            self.remaining -= len(data)
            self.done = self.remaining == 0
        self.total += len(data)
        if self.total > self.limit:
            self.done = True
            raise ProtocolError(413, TOO_LARGE)
        return data

    def prefetch(self, size):
        """Read until ``size`` bytes are buffered or the body ends; True
        when it ended (all of it is in the buffer)."""
        while len(self.buffer) < size and not self.done:
            self.buffer += self._pull(size - len(self.buffer))
        return self.done

    def take(self, n=-1):
        data = self.buffer
        if 0 <= n < len(data):
            self.buffer = data[n:]
            return data[:n]
        self.buffer = b''
        return data

    async def read(self, n=-1):
        if n == 0:
            return b''
        if self.buffer:
            if n > 0 or self.done:
                return self.take(n)
            return self.take() + await self.read()
        if n > 0:
            return b'' if self.done else self._pull(n)
        parts = []
        while not self.done:
            parts.append(self._pull(65536))
        return b''.join(parts)
