"""The on-chip benchmark, run on the emulated Pico by bench/pico.py, the same
for our framework and for the reference (whichever `microdot` the board
has: frozen into its firmware, or .mpy files in /lib).

main.py measures the free heap first thing after boot, then calls run().
run() prints one line, "PROBE <json>", with:

- heap: free heap (gc.mem_free() after gc.collect()) after boot, after
  `from microdot import Microdot`, after building the app of
  bench/apps/app.py (hello, JSON, a URL parameter, a form), after 1,000
  requests through the test client (imported then) with the client and
  the last response still referenced, and after dropping them;
- server: simulated microseconds per request of the server path, for
  each case: the same raw request bytes handed to the framework's own
  in-process handling of one connection (ours: server.serve_connection on
  a Connection over an in-memory stream; the reference: its
  Microdot.handle_request with in-memory reader and writer), REPEAT times
  after one warm-up request. The test clients are not used there: ours
  runs the real server loop and parses the response bytes, the
  reference's builds its response object directly.

The emulator counts every instruction at 125 MHz, so a simulated
microsecond is 125 cycles.
"""
import asyncio
import gc
import json
import time

REPEAT = 50
REQUESTS = 1000
FORM = b'name=ada&lang=python&n=3'
CASES = (
    ('hello', b'GET / HTTP/1.1\r\nHost: pico\r\n\r\n'),
    ('json', b'GET /json HTTP/1.1\r\nHost: pico\r\n\r\n'),
    ('param', b'GET /user/ada HTTP/1.1\r\nHost: pico\r\n\r\n'),
    ('form', b'POST /form HTTP/1.1\r\nHost: pico\r\nContent-Type: '
             b'application/x-www-form-urlencoded\r\nContent-Length: ' +
     str(len(FORM)).encode() + b'\r\n\r\n' + FORM),
    ('404', b'GET /missing HTTP/1.1\r\nHost: pico\r\n\r\n'),
)
FORM_FIELDS = ('name', 'lang', 'n')


def free():
    gc.collect()
    return gc.mem_free()


def create_app(Microdot):
    app = Microdot()

    @app.route('/')
    async def hello(req):
        return 'Hello, world!'

    @app.route('/json')
    async def as_json(req):
        return {'hello': 'world', 'n': 42, 'items': [1, 2, 3]}

    @app.route('/user/<name>')
    async def user(req, name):
        return 'Hello, ' + name + '!'

    @app.route('/form', methods=['POST'])
    async def form(req):
        return ' '.join([req.form.get(key, '') for key in FORM_FIELDS])

    return app


class Stream:
    """Both ends of one connection in memory: reads the request, keeps
    what is written. It has the methods either framework calls."""

    def __init__(self, data):
        self.data = data
        self.at = 0
        self.written = 0

    async def read(self, n=-1):
        at = self.at
        end = len(self.data) if n < 0 else min(len(self.data), at + n)
        self.at = end
        return self.data[at:end]

    async def readline(self):
        at = self.at
        end = self.data.find(b'\n', at)
        end = len(self.data) if end < 0 else end + 1
        self.at = end
        return self.data[at:end]

    async def readexactly(self, n):
        return await self.read(n)

    async def awrite(self, data):
        self.written += len(data)

    def write(self, data):
        self.written += len(data)

    async def drain(self):
        pass

    async def aclose(self):
        pass

    def close(self):
        pass

    async def wait_closed(self):
        pass

    def get_extra_info(self, name):
        return ('127.0.0.1', 1234)


def server_path(app):
    """(one connection's handler, name) of the framework we run on."""
    try:
        from microdot.server import serve_connection
        from microdot.connection import Connection
    except ImportError:
        async def handle(data):
            stream = Stream(data)
            await app.handle_request(stream, stream)
            return stream.written
        return handle, 'reference: Microdot.handle_request'
    app.connections = set()
    app.shutting_down = False
    app.debug = False

    async def handle(data):
        stream = Stream(data)
        await serve_connection(app, Connection(stream, stream,
                                               ('127.0.0.1', 1234)), 'http')
        return stream.written
    return handle, 'ours: server.serve_connection'


async def through_test_client(app, TestClient, heap):
    client = TestClient(app)
    res = None
    for i in range(REQUESTS):
        kind = i % 5
        if kind == 0:
            res = await client.get('/')
        elif kind == 1:
            res = await client.get('/json')
        elif kind == 2:
            res = await client.get('/user/ada')
        elif kind == 3:
            res = await client.post('/form', body=FORM, headers={
                'Content-Type': 'application/x-www-form-urlencoded'})
        else:
            res = await client.get('/missing')
    heap['requests_referenced'] = free()
    assert res.status_code == 404, res.status_code
    return client


async def measure_server(handle):
    figures = {}
    for name, data in CASES:
        written = await handle(data)          # warm-up: first-use imports
        assert written > 0, name
        gc.collect()
        started = time.ticks_us()
        for _ in range(REPEAT):
            await handle(data)
        elapsed = time.ticks_diff(time.ticks_us(), started)
        figures[name] = elapsed / REPEAT
    return figures


def run(boot):
    heap = {'boot': boot}
    from microdot import Microdot
    heap['imported'] = free()
    app = create_app(Microdot)
    heap['app'] = free()
    from microdot.test_client import TestClient
    # the client it returns is dropped at once
    asyncio.run(through_test_client(app, TestClient, heap))
    heap['requests_collected'] = free()
    import microdot
    where = getattr(microdot, '__path__', None) or microdot.__file__
    handle, path = server_path(app)
    server = asyncio.run(measure_server(handle))
    print('PROBE ' + json.dumps({'heap': heap, 'server_us': server,
                                 'server_path': path, 'where': where,
                                 'repeat': REPEAT, 'requests': REQUESTS}))
