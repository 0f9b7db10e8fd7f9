"""The server's loop on one connection, over in-memory streams: it answers
request after request on it, and whatever ends it (the client, a broken
socket, no memory, a full server) leaves it closed and no longer listed.
The test client's ``once`` mode serves one request and leaves the rest to
its caller, errors included."""
from support import hello_app, raises

from microdot import AsyncBytesIO
from microdot.connection import Connection
from microdot.server import serve_connection

HELLO = b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'


class Stream(AsyncBytesIO):
    """Both ends of a client's socket: reads ``data``, then raises
    ``fails_with`` if given (else end of stream); records its closing."""

    def __init__(self, data, fails_with=None):
        AsyncBytesIO.__init__(self, data)
        self.fails_with = fails_with
        self.closed = False

    async def read(self, n=-1):
        data = await AsyncBytesIO.read(self, n)
        if not data and self.fails_with is not None:
            raise self.fails_with
        return data

    async def aclose(self):
        self.closed = True


def answers(stream):
    return stream.getvalue().count(b'HTTP/1.1 200 OK\r\n')


async def serve(app, stream, once=False):
    conn = Connection(stream, stream, ('127.0.0.1', 1234))
    await serve_connection(app, conn, 'http', once)
    return conn


async def test_requests_one_after_another_then_the_client_closes():
    app = hello_app('Hello')
    stream = Stream(HELLO * 3)
    await serve(app, stream)
    assert answers(stream) == 3
    assert stream.closed
    assert not app.connections


async def test_a_broken_socket_or_no_memory_ends_that_connection_only():
    for error in (OSError(104, 'ECONNRESET'),
                  MemoryError('memory allocation failed')):
        app = hello_app('Hello')
        stream = Stream(HELLO, error)
        await serve(app, stream)    # nothing raised: the server serves on
        assert answers(stream) == 1, error
        assert stream.closed, error
        assert not app.connections, error


async def test_a_full_server_answers_503_and_closes():
    app = hello_app('Hello')
    app.max_connections = 1
    app.connections.add(object())   # the one connection allowed
    stream = Stream(HELLO)
    await serve(app, stream)
    assert stream.getvalue().startswith(b'HTTP/1.1 503 ')
    assert stream.closed
    assert len(app.connections) == 1


async def test_once_serves_one_request_and_leaves_the_connection_open():
    app = hello_app('Hello')
    stream = Stream(HELLO * 2)
    conn = await serve(app, stream, once=True)
    assert answers(stream) == 1
    assert not stream.closed
    assert not app.connections
    assert conn.buffer[conn.at:] == HELLO   # the next request, unread


async def test_once_lets_errors_through():
    app = hello_app('Hello')
    stream = Stream(b'GET / HT', OSError(104, 'ECONNRESET'))
    with raises(OSError):
        await serve(app, stream, once=True)
    assert not stream.closed


def test_connection_has_no_property():
    # On MicroPython a class with a property looks itself up before every
    # attribute store to its instances, and the server stores on the
    # connection several times per request: keep it a plain class.
    assert [name for name, value in Connection.__dict__.items()
            if isinstance(value, property)] == []


async def test_a_request_from_a_connection_has_it_as_its_sock():
    app = hello_app('hi')
    seen = []

    @app.route('/sock')
    async def sock(req):
        seen.append((req.sock, req.connection))
        return 'ok'

    stream = Stream(b'GET /sock HTTP/1.1\r\nHost: x\r\n\r\n')
    await serve(app, stream)
    (reader, writer), conn = seen[0]
    assert reader is conn and writer is conn
    assert isinstance(conn, Connection)
