"""The built-in server's listening side: start_server() accepts
connections and serves each with microdot.server.serve_connection(), run()
serves until Ctrl-C, shutdown() stops. Loaded when an app starts serving:
an app called through the test client does not hold it."""
import asyncio

from .compat import IS_MICROPYTHON, listen, ticks_ms
from .connection import Connection, IDLE
from .server import check_routes, serve_connection

_SWEEP_SECONDS = 1


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
