"""ASGI: the same app served by an ASGI server (uvicorn). CPython only.

    from microdot.asgi import Microdot
    app = Microdot()          # then: uvicorn module:app

Each HTTP request is built from the ASGI scope and dispatched by the core,
exactly as under the built-in server; the response goes back as ASGI
messages, streamed ones chunk by chunk. WebSocket routes use this module's
``with_websocket``, which speaks ASGI's websocket messages under an ASGI
server and the core's protocol under ``run()``.

While a streamed response is being sent, one task waits for the server's
``http.disconnect``; when it comes, the body stops and is closed (a
generator's ``finally`` runs) and nothing is logged.
"""
import asyncio
import os
import signal
import sys

from . import *  # noqa: F401,F403  (Response, send_file... for the apps)
from .app import Microdot as BaseMicrodot
from .compat import invoke, print_exception
from .http import (TOO_LARGE, HTTPException, ProtocolError, reason_phrase,
                   parse_content_length)
from .body import _BodyReader
from .request import Request
from .response import Response
from .structures import NoCaseDict
from .urls import _SAFE, url_encode
from .websocket import (WebSocket as BaseWebSocket, WebSocketError,
                        websocket_upgrade as _base_upgrade,
                        websocket_wrapper)

# what a URL keeps as is when it is percent-encoded again: raw_path and the
# query string are still encoded, `path` is not (then '%' is encoded too)
_URL_SAFE = "/!$&'()*+,;=:@"
_LIFESPAN_SCOPE = {'type': 'lifespan', 'asgi': {'version': '3.0'}}


class Microdot(BaseMicrodot):
    """A Microdot app that is also an ASGI application."""

    def __init__(self, lifespan_startup=None, lifespan_shutdown=None):
        super().__init__()
        #: Called (sync or async) with the lifespan scope when the server
        #: starts and when it stops.
        self.lifespan_startup = lifespan_startup
        self.lifespan_shutdown = lifespan_shutdown
        #: True while ``run()`` serves the app with the built-in server.
        self.embedded_server = False

    async def __call__(self, scope, receive, send):
        await self.asgi_app(scope, receive, send)

    async def asgi_app(self, scope, receive, send):
        """The ASGI application: lifespan, http and websocket scopes."""
        kind = scope['type']
        if kind == 'lifespan':
            return await self.handle_lifespan(scope, receive, send)
        if kind == 'http':
            prefix = 'http.response.'
        elif kind == 'websocket':
            if 'websocket.http.response' not in scope.get('extensions', ()):
                prefix = None     # the server cannot send an HTTP answer
            else:
                prefix = 'websocket.http.response.'
        else:
            return
        source = None
        try:
            req, source = await self._make_request(scope, receive, send,
                                                   kind == 'http')
        except EOFError:
            return                # the client left while sending its body
        except HTTPException as exc:
            req = None
            res = Response(exc.reason, exc.status_code)
        if req is not None:
            res = await self.dispatch_request(req)
            if res is Response.already_handled:
                return
        if prefix is None:        # refuse the websocket: the server says 403
            await send({'type': 'websocket.close', 'code': 1008})
            return
        head_only = scope.get('method') == 'HEAD'
        await _send_response(res, send, prefix, source, head_only,
                             receive if kind == 'http' else None)

    async def _make_request(self, scope, receive, send, http):
        """The Request for ``scope``, and the _ReceivedBody its body comes
        from (None when it has none, or under a websocket scope)."""
        headers = _scope_headers(scope.get('headers', ()))
        url = _raw_url(scope)
        version = scope.get('http_version', '1.1')
        length = dict.get(headers, 'Content-Length')
        length = parse_content_length(length) if length else None
        body = b''
        stream = None
        source = None
        too_large = length is not None and \
            length > Request.max_content_length
        # HTTP/1 frames a body with Content-Length or Transfer-Encoding:
        # without either there is none, and nothing to receive for it
        if http and length != 0 and not too_large and (
                length is not None or version[0] != '1' or
                dict.get(headers, 'Transfer-Encoding') is not None):
            # a body of unknown length (chunked) or a big one is read up
            # to the in-memory limit; the rest streams through `stream`
            source = _ReceivedBody(receive, Request.max_content_length)
            try:
                ended = await source.prefetch(Request.max_body_length + 1)
            except HTTPException:         # over max_content_length
                too_large = True
            else:
                if ended:
                    body = source.take()
                else:
                    stream = source
        scheme = scope.get('scheme', 'http')
        if scheme == 'ws' or scheme == 'wss':
            scheme = 'http' + scheme[2:]
        client = scope.get('client')
        # the headers are given after construction, with the length found
        # above: Request would look Content-Length up again (a miss, which
        # searches a NoCaseDict, for every request without a body)
        req = Request(self, tuple(client) if client else None,
                      scope.get('method', 'GET'), url, 'HTTP/' + version, None,
                      body=body, stream=stream, sock=(receive, send),
                      scheme=scheme)
        req.headers = headers
        if length:
            req.content_length = length
        req.asgi_scope = scope
        if too_large:
            req.error = 413
        return req, source

    async def handle_lifespan(self, scope, receive, send):
        """Run the startup and shutdown hooks when the server says so."""
        while True:
            message = await receive()
            kind = message['type']
            if kind == 'lifespan.startup':
                hook = self.lifespan_startup
            elif kind == 'lifespan.shutdown':
                hook = self.lifespan_shutdown
            else:
                continue
            try:
                if hook is not None:
                    await invoke(hook, scope)
            except Exception as exc:
                print_exception(exc)
                await send({'type': kind + '.failed', 'message': repr(exc)})
            else:
                await send({'type': kind + '.complete'})
            # after a failed startup the server may still ask for the
            # shutdown, which is then run and answered too
            if kind == 'lifespan.shutdown':
                return

    def run(self, host='0.0.0.0', port=5000, debug=False, **options):
        """Serve with the built-in server (for development), running the
        lifespan hooks around it; in production, start an ASGI server
        with this app instead."""
        self.embedded_server = True

        async def serve():
            scope = dict(_LIFESPAN_SCOPE, state={})
            if self.lifespan_startup is not None:
                await invoke(self.lifespan_startup, scope)
            try:
                await self.start_server(host, port, debug, **options)
            finally:
                if self.lifespan_shutdown is not None:
                    await invoke(self.lifespan_shutdown, scope)

        try:
            asyncio.run(serve())
        except KeyboardInterrupt:
            pass
        finally:
            self.embedded_server = False

    def shutdown(self):
        """Stop the server: the built-in one under ``run()``, else the
        ASGI server process (SIGTERM, which it handles gracefully)."""
        if self.embedded_server:
            super().shutdown()
        else:
            os.kill(server_pid(), signal.SIGTERM)


def server_pid():
    """The process that stops the whole server when sent SIGTERM: the
    parent of a worker that gunicorn forked or that uvicorn's supervisor
    (--workers, --reload) spawned, else this process."""
    if 'gunicorn.arbiter' in sys.modules:
        return os.getppid()
    import multiprocessing
    target = getattr(multiprocessing.current_process(), '_target', None)
    if getattr(target, '__module__', '').startswith('uvicorn.'):
        return os.getppid()
    return os.getpid()


# Header names as the scope spells them (bytes) -> the Title-Case str the
# request's headers use, and response header names -> the lowercase bytes
# ASGI wants: the same few names come in every request (bounded caches).
_NAMES_IN = {}
_NAMES_OUT = {}


def _scope_headers(fields):
    """The scope's header list as a NoCaseDict. Keys are stored in
    Title-Case, the one spelling of a name in any case (header names are
    ASCII tokens), so the dict is filled directly, without the
    case-insensitive search of each new key; repeated fields are joined."""
    headers = NoCaseDict()
    names = _NAMES_IN
    for name, value in fields:
        key = names.get(name)
        if key is None:
            key = name.decode('latin-1').title()
            if len(names) < 64 and len(name) <= 40:
                names[bytes(name)] = key
        try:
            value = value.decode()
        except ValueError:
            value = value.decode('latin-1')
        old = dict.get(headers, key)
        if old is None:
            dict.__setitem__(headers, key, value)
        else:
            dict.__setitem__(headers, key, old + (
                '; ' if key == 'Cookie' else ', ') + value)
    return headers


# bytes.translate() deletes these in one C pass: what is left of a path or
# query string after it must be percent-encoded (rare)
_KEEP_PATH = bytes(sorted(set(_SAFE + (_URL_SAFE + '%').encode())))
_KEEP_QUERY = bytes(sorted(set(_SAFE + (_URL_SAFE + '%?').encode())))


def _raw_url(scope):
    """The request target, percent-encoded as the core's Request expects."""
    raw = scope.get('raw_path')
    if raw:
        if raw.translate(None, _KEEP_PATH):
            url = url_encode(raw, _URL_SAFE + '%')
        else:
            url = raw.decode('ascii')
    else:
        url = url_encode(scope['path'].encode(), _URL_SAFE)
    query = scope.get('query_string')
    if query:
        if query.translate(None, _KEEP_QUERY):
            query = url_encode(query, _URL_SAFE + '%?')
        else:
            query = query.decode('ascii')
        url += '?' + query
    return url


def _response_headers(res):
    """The header list of an ASGI response start message."""
    pairs = []
    names = _NAMES_OUT
    for name, value in res.headers.items():
        key = names.get(name)
        if key is None:
            if '\r' in name or '\n' in name:
                raise ValueError('CR or LF in header ' + name)
            key = name.lower().encode()
            if len(names) < 64 and len(name) <= 40:
                names[name] = key
        if isinstance(value, list):
            for item in value:
                pairs.append((key, _header_value(name, item)))
        else:
            pairs.append((key, _header_value(name, value)))
    return pairs


def _header_value(name, value):
    if type(value) is not str:
        value = str(value)
    if '\r' in value or '\n' in value:
        raise ValueError('CR or LF in header ' + name)
    return value.encode()


async def _send_response(res, send, prefix, source, head_only, receive):
    try:
        res.complete()
        headers = _response_headers(res)
    except ValueError as exc:   # a header that would break the response
        print_exception(exc)
        if res._is_streamed():
            await _aclose(res.body)
        res = Response(reason_phrase(500), 500)
        res.complete()
        headers = _response_headers(res)
    await send({'type': prefix + 'start', 'status': res.status_code,
                'headers': headers})
    body = res.body
    if not res._is_streamed():
        if head_only:
            body = b''
        elif type(body) is not bytes:
            body = bytes(body)
        await send({'type': prefix + 'body', 'body': body})
        return
    if head_only:
        await _aclose(body)
        await send({'type': prefix + 'body', 'body': b''})
        return
    if source is None and receive is not None:
        # the disconnect watcher's channel (http only)
        source = _ReceivedBody(receive, Request.max_content_length)
    await _stream(res, send, prefix, source)


async def _stream(res, send, prefix, source):
    """Send a streamed body; stop quietly if the client goes away."""
    body = res.body
    chunks = res.body_iter()
    # An async iterator may wait a long time between chunks (events): race
    # it against the disconnect. Files and generators never wait, so they
    # just check between chunks.
    racing = not hasattr(body, 'read') and \
        (hasattr(body, '__anext__') or hasattr(body, '__aiter__'))
    monitor = asyncio.ensure_future(source.wait_disconnect()) \
        if source is not None else None
    kind = prefix + 'body'
    try:
        while True:
            if racing and monitor is not None:
                step = asyncio.ensure_future(chunks.__anext__())
                await asyncio.wait((step, monitor),
                                   return_when=asyncio.FIRST_COMPLETED)
                if not step.done():
                    step.cancel()
                    await asyncio.wait((step,))
                if step.cancelled():
                    return
                if step.exception() is not None:
                    if isinstance(step.exception(), StopAsyncIteration):
                        break
                    raise step.exception()
                data = step.result()
            else:
                if monitor is not None and monitor.done():
                    return
                try:
                    data = await chunks.__anext__()
                except StopAsyncIteration:
                    break
            if data:
                await send({'type': kind, 'body': data, 'more_body': True})
            if not racing:
                # let the server notice a disconnect between chunks
                await asyncio.sleep(0)
        if monitor is None or not monitor.done():
            await send({'type': kind, 'body': b''})
    finally:
        if monitor is not None:
            if monitor.done() and not monitor.cancelled():
                monitor.exception()   # retrieved: the client has gone
            monitor.cancel()
        await _aclose(body)


async def _aclose(body):
    """Close a streamed body, async iterators with aclose() included."""
    try:
        if hasattr(body, 'aclose'):
            await body.aclose()
        else:
            _close_sync(body)
    except Exception as exc:
        print_exception(exc)


def _close_sync(body):
    close = getattr(body, 'close', None)
    if close is not None:
        close()


class _ReceivedBody(_BodyReader):
    """A request body arriving as ASGI ``http.request`` messages, with the
    file-like async API of the core's body readers.

    It also watches for ``http.disconnect`` while a response streams
    (``wait_disconnect``). Both uses share one ``receive`` channel, so the
    watcher keeps the body bytes it receives for the reader, up to
    ``Request.max_body_length`` (then it waits for the reader)."""

    def __init__(self, receive, limit):
        self.receive = receive
        self.limit = limit        # most body bytes accepted: 413 past it
        self.total = 0
        # unread bytes: buffer[start:]; reads advance `start` instead of
        # copying what remains of a big message each time
        self.buffer = b''
        self.start = 0
        self.done = False         # the last body message has arrived
        self.disconnected = False
        self.lock = asyncio.Lock()
        self.drained = None       # an Event, made by wait_disconnect()

    async def _pull(self, reading):
        """Receive one message; a reader returns at once if the other
        user already filled the buffer."""
        async with self.lock:
            if reading and (self.start < len(self.buffer) or self.done):
                return
            message = await self.receive()
            if message['type'] == 'http.disconnect':
                self.disconnected = True
                self.done = True
                return
            if message['type'] != 'http.request' or self.done:
                return
            data = message.get('body', b'')
            self.total += len(data)
            if self.total > self.limit:
                self.done = True
                raise ProtocolError(413, TOO_LARGE)
            if data:
                start = self.start
                if start < len(self.buffer):
                    self.buffer = self.buffer[start:] + data
                else:
                    self.buffer = data
                self.start = 0
            self.done = not message.get('more_body', False)

    async def prefetch(self, size):
        """Receive until ``size`` bytes are buffered or the body ends;
        True when it ended (all of it is in the buffer)."""
        while len(self.buffer) - self.start < size and not self.done:
            await self._pull(False)
        if self.disconnected:
            raise EOFError('Client disconnected')
        return self.done

    def take(self, n=-1):
        data = self.buffer
        start = self.start
        if 0 <= n < len(data) - start:
            self.start = start + n
            data = data[start:start + n]
        else:
            if start:
                data = data[start:]
            self.buffer = b''
            self.start = 0
        if self.drained is not None:
            self.drained.set()
        return data

    async def read(self, n=-1):
        if n < 0:
            while not self.done:
                await self._pull(False)
        else:
            while self.start >= len(self.buffer) and not self.done:
                await self._pull(True)
        if self.disconnected and self.start >= len(self.buffer):
            raise EOFError('Client disconnected')
        return self.take(n)

    async def wait_disconnect(self):
        """Return once the client has disconnected."""
        cap = Request.max_body_length
        while not self.disconnected:
            if not self.done and len(self.buffer) - self.start >= cap:
                if self.drained is None:
                    self.drained = asyncio.Event()
                self.drained.clear()
                await self.drained.wait()
            else:
                try:
                    await self._pull(False)
                except HTTPException:   # over the limit: nobody reads it
                    pass


# --- WebSocket over ASGI ----------------------------------------------------
class WebSocket(BaseWebSocket):
    """A WebSocket carried by ASGI ``websocket.*`` messages: the server
    does the framing, pings and the close handshake; this class gives
    handlers the core's API (``receive``, ``send``, ``close``, and
    ``WebSocketError`` once the connection is closed).

    ``idle_timeout`` holds as under the built-in server (1001 when no
    message came in time), with one difference: the server answers pings
    without telling the app, so only messages count as signs of life. A
    frame begun and left unfinished is the server's to bound (uvicorn:
    its ping timeout); the app sees nothing of it, so it counts as idle.
    """

    async def handshake(self):
        message = await self.rsock()
        if message['type'] != 'websocket.connect':
            raise HTTPException(400, 'No WebSocket connect message')
        await self.wsock({'type': 'websocket.accept'})

    async def receive(self):
        if self.closed:
            raise WebSocketError('WebSocket connection closed',
                                 self.close_code)
        while True:
            idle = self.idle_timeout
            if idle is None:
                message = await self.rsock()
            else:
                message = await self._receive_within(idle)
                if message is None:
                    await self.close(1001, 'Idle timeout')
                    raise WebSocketError('Idle timeout', 1001)
            kind = message['type']
            if kind == 'websocket.disconnect':
                self.closed = True
                self.close_code = message.get('code', 1005)
                raise WebSocketError('WebSocket connection closed',
                                     self.close_code)
            if kind != 'websocket.receive':
                continue
            data = message.get('text')
            if data is None:
                data = message.get('bytes') or b''
            limit = self.message_limit()
            if 0 <= limit < len(data):
                await self.close(1009, 'Message too long')
                raise WebSocketError('Message too long', 1009)
            return data

    async def _receive_within(self, seconds):
        """The server's next message, or None if none came within
        ``seconds``: a timer cancels the task that waits (a TimerHandle
        per message, only when idle_timeout is set). A message that comes
        in the very turn of the loop the timer fires in is dropped: the
        connection is closed as idle then."""
        task = asyncio.current_task()
        expired = []
        timer = asyncio.get_running_loop().call_later(
            seconds, _expire, task, expired)
        try:
            return await self.rsock()
        except asyncio.CancelledError:
            if not expired:
                raise       # not ours: a shutdown, the handler's own
            uncancel = getattr(task, 'uncancel', None)
            if uncancel is not None:    # Python 3.11+: the cancel is spent
                uncancel()
            return None
        finally:
            timer.cancel()

    async def send(self, data, opcode=None):
        if self.closed:
            raise WebSocketError('WebSocket connection closed',
                                 self.close_code)
        if opcode == self.CLOSE:
            return await self.close()
        if opcode == self.PING or opcode == self.PONG:
            return                # the server answers pings itself
        if opcode == self.TEXT and not isinstance(data, str):
            data = bytes(data).decode()
        elif opcode == self.BINARY and isinstance(data, str):
            data = data.encode()
        key = 'text' if isinstance(data, str) else 'bytes'
        try:
            await self.wsock({'type': 'websocket.send', key: data})
        except OSError:           # the ASGI way to say "client gone"
            self.closed = True
            self.close_code = 1006
            raise WebSocketError('WebSocket connection lost', 1006)

    async def close(self, code=1000, reason=''):
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        try:
            await self.wsock({'type': 'websocket.close', 'code': code,
                              'reason': reason})
        except Exception:         # the client has gone already
            pass


def _expire(task, expired):
    expired.append(True)
    task.cancel()


def _already_handled(request, response):
    return Response.already_handled


async def websocket_upgrade(request):
    """Accept the WebSocket of this request and return it (for handlers
    that check something first; ``with_websocket`` calls it). Under
    ``run()``, the built-in server's upgrade is used instead."""
    scope = getattr(request, 'asgi_scope', None)
    if scope is None:
        return await _base_upgrade(request)
    if scope['type'] != 'websocket':
        raise HTTPException(400, 'Not a WebSocket upgrade request')
    ws = WebSocket(request)
    await ws.handshake()
    request.after_request(_already_handled)
    return ws


def with_websocket(f):
    """Decorator: a WebSocket route, as with the core's
    ``with_websocket``, under an ASGI server or ``run()``."""
    return websocket_wrapper(f, websocket_upgrade)
