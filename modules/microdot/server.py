"""The built-in asyncio server: accepts connections and serves requests
on each, one after another, for as long as the client keeps it open.

Timeouts cost nothing per request: each Connection records a deadline
while it waits on the network, and one sweeper task per server cancels
connections whose deadline has passed."""
import asyncio

from .compat import (CancelledError, IS_MICROPYTHON, listen, is_disconnect,
                     memory_ran_out, print_exception, ticks_ms)
from .connection import Connection, READ_SIZE, ms, BUSY, IDLE, STARTED
from .http import HTTPException, reason_phrase
from .request import Request
from .response import Response

_SWEEP_SECONDS = 1
_BUSY = b'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n' \
    b'Content-Length: 19\r\nConnection: close\r\n\r\nService Unavailable'


def check_routes(app):
    """Refuse, naming it, a route no request path can match: one whose
    pattern does not start with '/'. Checked when the app is served, not
    when the route is made: a sub-app's 'users' serves under a mount
    prefix that ends with '/' (as in Microdot), and its '' route at the
    prefix itself."""
    for route in app.url_map:
        if not route[1].url_pattern.startswith('/'):
            from .mistakes import explain
            raise ValueError(explain('no leading slash',
                                     route[1].url_pattern))


async def start_server(app, host, port, debug, ssl, start_serving):
    check_routes(app)
    app.debug = debug
    app.shutting_down = False
    app.connections = set()

    scheme = 'http' if ssl is None else 'https'
    try:
        # (a MemoryError making the Connection drops that client: listen()
        # closes its socket)
        app.server = await listen(
            host, port, app.backlog, ssl,
            lambda reader, writer, peer: serve_connection(
                app, Connection(reader, writer, peer), scheme))
    except OSError as exc:
        from .mistakes import explain
        raise explain('cannot listen there', exc, host, port) from None
    app.sweeper = asyncio.create_task(_sweep(app))
    if debug:
        print('Serving on {}:{}{}'.format(host, port, ' (TLS)' if ssl else ''))
    if start_serving:
        await wait_closed(app)
    return app.server


async def wait_closed(app):
    """Wait until the server has shut down and its connections ended."""
    await app.server.wait_closed()
    while app.connections:
        await asyncio.sleep(0.05)
    app.sweeper.cancel()


def run(app, host, port, debug, ssl):
    try:
        asyncio.run(start_server(app, host, port, debug, ssl, True))
    except KeyboardInterrupt:
        # Ctrl-C stopped the loop where it was: no task will close the
        # listening socket or the connections, and left open the port
        # stays taken until the process ends (on a board, until a reset):
        # the app could not run again from the REPL. MicroPython's
        # listener keeps its socket, closed here, as are its connections'
        # sockets; CPython's Server.close() works on the closed loop, and
        # asyncio.run() has closed the connections (their close() raises).
        listener = app.server
        for item in [getattr(listener, 'sock', listener)] + \
                [conn.writer for conn in app.connections or ()]:
            try:
                item.close()
            except Exception:   # (closed, never opened, loop closed)
                pass
    finally:
        if IS_MICROPYTHON:
            asyncio.new_event_loop()  # leave a clean loop for a later run


def shutdown(app):
    app.shutting_down = True
    if app.server is not None:
        app.server.close()
    for conn in list(app.connections or ()):
        if conn.state == IDLE and conn.task is not None:
            conn.task.cancel()


async def _sweep(app):
    while True:
        await asyncio.sleep(_SWEEP_SECONDS)
        try:
            _end_late_connections(app.connections)
        except MemoryError:     # the heap is full for now: sweep later
            pass


def _end_late_connections(connections):
    now = ticks_ms()
    for conn in list(connections):
        conn.end_if_late(now)


async def serve_connection(app, conn, scheme, once=False):
    """Read, dispatch and answer the requests that come on ``conn`` until
    either side closes it, then close it.

    With ``once`` (the test client's mode), serve one request and leave
    the rest to the caller: no closing, no registration, errors raised.

    One coroutine serves the whole connection: on MicroPython each
    coroutine call allocates its frame, so the loop awaits only what does
    I/O, and no second coroutine wraps it for the connection's life."""
    try:
        if not once:
            conn.task = asyncio.current_task()
            if app.max_connections is not None and \
                    len(app.connections) >= app.max_connections:
                await conn.awrite(_BUSY)
                return
            app.connections.add(conn)
            if app.io_timeout:
                conn.io_timeout = ms(app.io_timeout)
        idle_ms = ms(app.idle_timeout)
        head_ms = ms(app.header_timeout)
        max_head = Request.max_head_length
        while not app.shutting_down:
            try:
                # conn.read_head(), inline
                conn.start_head(idle_ms, head_ms)
                try:
                    # (most often nothing is buffered: the client waited
                    # for the last response before it sent this request)
                    head = conn.take_head(max_head) if conn.buffer else None
                    while head is None:
                        data = await conn.reader.read(READ_SIZE)
                        if not conn.add_head_bytes(data, head_ms):
                            return
                        head = conn.take_head(max_head)
                finally:
                    conn.end_head()
                req = Request._from_head(app, conn, head, scheme)
                if req._framing is not None:
                    await req._start_body()
                conn.state = BUSY
            except HTTPException as exc:
                await _send_error(conn, exc.status_code, exc.reason)
                return
            res = await app.dispatch_request(req)
            if res is Response.already_handled:
                return
            keep_alive = _frame_response(app, conn, req, res)
            try:
                data = res._small_bytes()
                if data is not None:
                    await conn.awrite(data)
                else:
                    await res.write(conn)
            except ValueError as exc:   # an invalid header value: nothing sent
                print_exception(exc)
                await _send_error(conn, 500)
                return
            if app.debug:
                print('{} {} {}'.format(req.method, req.path, res.status_code))
            if keep_alive and req._stream is not None:  # a body left to skip
                keep_alive = await req.finish_body()
            if once or not keep_alive:
                return
    except CancelledError:
        if conn.timed_out and conn.state == STARTED:
            await _send_error(conn, 408)
    except Exception as exc:    # MemoryError too
        if once:
            raise
        _report(exc)
    finally:
        if not once:
            try:
                # still listed, so that the sweeper can end a close that
                # stalls (aclose() raises nothing else)
                await conn.aclose()
            except CancelledError:
                pass
            finally:
                app.connections.discard(conn)


def _report(exc):
    if isinstance(exc, MemoryError):
        memory_ran_out()
    elif is_disconnect(exc):
        return
    print_exception(exc)


def _frame_response(app, conn, req, res):
    """Decide whether the connection stays open after ``res``, and set
    what that implies on it (Connection: close, chunked, HEAD)."""
    keep_alive = req.keep_alive and not conn.must_close and \
        not app.shutting_down
    headers = res._headers
    if headers:     # (most responses have none yet: no lookups then)
        connection = headers.get('Connection')
        if connection is not None and 'close' in connection.lower():
            keep_alive = False
    if res._is_streamed() and not (headers and 'Content-Length' in headers):
        if keep_alive and req.method != 'HEAD':
            res.chunked = True
        elif req.method != 'HEAD':
            keep_alive = False
    if req.method == 'HEAD':
        res.is_head = True
    if not keep_alive:
        res.close_connection = True
    return keep_alive


async def _send_error(conn, status_code, reason=None):
    """Answer a request that could not be parsed, then let it close."""
    body = (reason or reason_phrase(status_code, 'Error')).encode()
    head = 'HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=UTF-8\r\n' \
        'Content-Length: {}\r\nConnection: close\r\n\r\n'.format(
            status_code, reason_phrase(status_code, 'Error'), len(body))
    try:
        await conn.awrite(head.encode() + body)
    except Exception:
        pass
