"""Whole exchanges with the server's loop over in-memory streams, for the
tests of limits and parsing rules on every runtime: the bytes a client
sends go through microdot.server.serve_connection() (head reading,
parsing, body framing, dispatch, response writing) exactly as from a
socket, and what the server wrote comes back parsed."""
from microdot import AsyncBytesIO
from microdot.connection import Connection
from microdot.server import serve_connection


class Client(AsyncBytesIO):
    """Both ends of a client's socket: the server reads ``data`` (at most
    the next of ``sizes`` bytes per read, cycling, as a network cuts a
    stream), writes into it, and closes it."""

    def __init__(self, data, sizes=None):
        AsyncBytesIO.__init__(self, data)
        self.sizes = sizes
        self.reads = 0
        self.closed = False

    async def read(self, n=-1):
        if self.sizes:
            size = self.sizes[self.reads % len(self.sizes)]
            self.reads += 1
            if n < 0 or n > size:
                n = size
        return await AsyncBytesIO.read(self, n)

    async def aclose(self):
        self.closed = True


def prepared(app):
    """``app`` set up as start_server() sets it up."""
    app.connections = set()
    app.shutting_down = False
    app.debug = False
    return app


async def written(app, data, sizes=None):
    """What the server wrote (bytes) for ``data``, until it closed the
    connection or the client's data ran out."""
    client = Client(data, sizes)
    await serve_connection(prepared(app),
                           Connection(client, client, ('127.0.0.1', 1)),
                           'http')
    return client.getvalue()


async def exchange(app, data, sizes=None):
    """The responses (see responses()) the server wrote for ``data``."""
    return responses(await written(app, data, sizes))


async def status_of(app, data, sizes=None):
    """The status of the only response to ``data``."""
    answers = await exchange(app, data, sizes)
    assert len(answers) == 1, answers
    return answers[0].status


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers    # lowercase name: value
        self.body = body

    def __repr__(self):
        return '<Answer {} {!r}>'.format(self.status, self.body[:40])


def responses(data):
    """The responses in ``data``, one after another (Content-Length or
    chunked bodies, or none for 1xx, 204, 304)."""
    answers = []
    while data:
        end = data.find(b'\r\n\r\n')
        assert end > 0, data
        lines = data[:end].decode().split('\r\n')
        data = data[end + 4:]
        status = int(lines[0].split(' ')[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        body = b''
        if 'content-length' in headers:
            size = int(headers['content-length'])
            body, data = data[:size], data[size:]
        elif headers.get('transfer-encoding') == 'chunked':
            body, data = _dechunk(data)
        if status != 100:
            answers.append(Answer(status, headers, body))
    return answers


def _dechunk(data):
    body = b''
    while True:
        end = data.find(b'\r\n')
        size = int(data[:end], 16)
        data = data[end + 2:]
        if size == 0:
            return body, data[2:]
        body += data[:size]
        data = data[size + 2:]
