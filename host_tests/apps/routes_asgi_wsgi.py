"""Routes shared by app_asgi.py and app_wsgi.py: one set of handlers,
served unchanged by uvicorn, gunicorn and the built-in server.

STATE is what the tests observe from outside: the lifespan hooks and the
clean-up of streamed bodies write to it, GET /state reads it.
"""
import asyncio
import hashlib
import os

from microdot import Request, Response, abort, send_file
from microdot.sse import with_sse
from microdot.websocket import WebSocket

# big enough that uploads above max_body_length stream
Request.max_content_length = 8 * 1024 * 1024
# one limit for every WebSocket class (the ASGI one inherits it)
WebSocket.max_message_length = 100 * 1024

STATE = {'startup': 0, 'shutdown': 0, 'closed': [], 'ws_ended': 0}
DATA_DIR = os.environ.get('APP_DATA', '.')


def mark(event):
    """Record an event in STATE and in $APP_DATA/events (which outlives
    the process, for the shutdown hook)."""
    with open(os.path.join(DATA_DIR, 'events'), 'a') as f:
        f.write(event + '\n')


async def startup(scope):
    if os.path.exists(os.path.join(DATA_DIR, 'fail-startup')):
        raise RuntimeError('startup refused on purpose')
    STATE['startup'] += 1
    mark('startup ' + scope['type'])


def shutdown(scope):     # a sync hook: both kinds work
    STATE['shutdown'] += 1
    mark('shutdown')


def add_routes(app, with_websocket):
    @app.before_request
    async def before(req):
        req.g.started = True

    @app.after_request
    def after(req, res):
        res.headers['X-After'] = 'yes'
        return res

    @app.route('/')
    async def index(req):
        return 'hello'

    @app.route('/state')
    async def state(req):
        return STATE

    @app.route('/shutdown')
    async def stop(req):
        req.app.shutdown()
        return 'stopping'

    @app.route('/info', methods=['GET', 'POST', 'PUT'])
    async def info(req):
        return {
            'method': req.method, 'url': req.url, 'path': req.path,
            'query': req.query_string, 'args': req.args.getlist('a'),
            'client': req.client_addr[0], 'scheme': req.scheme,
            'version': req.http_version, 'g': req.g.started,
            'test_header': req.headers.get('X-Test'),
            'content_type': req.content_type,
            'asgi': getattr(req, 'asgi_scope', {}).get('type'),
            'wsgi': getattr(req, 'environ', {}).get('REQUEST_METHOD'),
        }

    @app.route('/sync')
    def sync_handler(req):
        return {'sync': True, 'args': req.args.get('x')}

    @app.route('/path/<path:rest>')
    async def path(req, rest):
        return rest

    @app.route('/number/<int:n>')
    async def number(req, n):
        return {'n': n}

    @app.post('/json')
    async def json_echo(req):
        return {'got': req.json}

    @app.post('/form')
    def form_echo(req):
        return {'name': req.form.get('name'), 'all': req.form.getlist('n')}

    @app.post('/upload')
    async def upload(req):
        digest = hashlib.sha256()
        size = 0
        streamed = req.stream is not None and not req.body
        while True:
            data = await req.stream.read(10000)
            if not data:
                break
            size += len(data)
            digest.update(data)
        return {'size': size, 'sha256': digest.hexdigest(),
                'streamed': streamed, 'in_memory': len(req.body)}

    @app.route('/cookies')
    async def cookies(req):
        res = Response({'cookies': req.cookies})
        res.set_cookie('a', '1', http_only=True)
        res.set_cookie('b', '2', path='/')
        res.delete_cookie('old')
        return res

    @app.route('/status')
    async def status(req):
        return 'made', 201, {'X-Custom': 'value'}

    @app.route('/redirect')
    async def go(req):
        return Response.redirect('/')

    @app.route('/empty')
    async def empty(req):
        return '', 204

    @app.route('/abort')
    async def forbidden(req):
        abort(403)

    @app.route('/crash')
    async def crash(req):
        raise RuntimeError('this handler fails on purpose')

    @app.route('/divide')
    def divide(req):
        return 1 / 0

    @app.errorhandler(ZeroDivisionError)
    def on_zero(req, exc):
        return {'error': 'division'}, 418

    @app.errorhandler(404)
    async def not_found(req):
        return {'error': 'not here'}, 404

    @app.route('/stream/sync')
    def stream_sync(req):
        def lines():
            for i in range(5):
                yield 'line {}\n'.format(i)
        return lines()

    @app.route('/stream/async')
    async def stream_async(req):
        async def lines():
            for i in range(5):
                await asyncio.sleep(0.01)
                yield 'async {}\n'.format(i).encode()
        return lines(), 200, {'Content-Type': 'text/plain'}

    @app.route('/stream/forever/<name>')
    async def stream_forever(req, name):
        async def ticks():
            try:
                while True:
                    yield b'tick\n'
                    await asyncio.sleep(0.02)
            finally:
                STATE['closed'].append(name)

        def chunks():
            try:
                while True:
                    yield b'x' * 4096
            finally:
                STATE['closed'].append(name)
        return ticks() if name.startswith('async') else chunks()

    @app.route('/sse/three')
    @with_sse
    async def three_events(req, sse):
        for i in range(3):
            await sse.send({'i': i}, event='tick', event_id=i)

    @app.route('/sse/forever/<name>')
    @with_sse
    async def endless_events(req, sse, name):
        try:
            while True:
                await sse.send('ping')
                await asyncio.sleep(0.02)
        finally:
            await asyncio.sleep(0.01)   # a clean-up that takes some time
            STATE['closed'].append(name)

    @app.route('/file')
    async def big_file(req):
        return send_file(os.path.join(DATA_DIR, 'big.bin'))

    @app.route('/file.txt')
    async def text_file(req):
        return send_file(os.path.join(DATA_DIR, 'small.txt'), max_age=60)

    @app.route('/bad-header')
    async def bad_header(req):
        return 'x', 200, {'X-Bad': 'a\r\nInjected: yes'}

    if with_websocket is None:
        return

    @app.route('/ws/echo')
    @with_websocket
    async def ws_echo(req, ws):
        try:
            while True:
                data = await ws.receive()
                await ws.send(data)
        finally:
            STATE['ws_ended'] += 1

    @app.route('/ws/hello')
    @with_websocket
    async def ws_hello(req, ws):
        name = await ws.receive()
        await ws.send('hello ' + name)
        await ws.send(b'\x00\x01bytes')
