"""The app that hostile-input, slow-client, fuzz and soak tests attack.

Runs on every runtime. Environment: PORT; optional IDLE_TIMEOUT,
HEADER_TIMEOUT, IO_TIMEOUT (seconds), MAX_CONNECTIONS, MAX_CONTENT_LENGTH,
STATIC_ROOT (a folder served under /static by microdot.static).

Routes report what the attacks must leave unchanged: ``/stats`` gives the
open connections, file descriptors, asyncio tasks (CPython) and the live
heap after a collection (MicroPython; CPython reports None).
"""
import gc
import os
import sys

from microdot import (Microdot, Request, Response, abort, redirect,
                      send_file)

app = Microdot()
HERE = __file__.rpartition('/')[0] or '.'
counters = {'streams_started': 0, 'streams_closed': 0, 'files_opened': 0}


def setting(name, convert=float):
    value = os.getenv(name)
    return None if value is None else convert(value)


for name, attr in (('IDLE_TIMEOUT', 'idle_timeout'),
                   ('HEADER_TIMEOUT', 'header_timeout'),
                   ('IO_TIMEOUT', 'io_timeout')):
    if setting(name) is not None:
        setattr(Microdot, attr, setting(name))
if setting('MAX_CONNECTIONS', int) is not None:
    Microdot.max_connections = setting('MAX_CONNECTIONS', int)
if setting('MAX_CONTENT_LENGTH', int) is not None:
    Request.max_content_length = setting('MAX_CONTENT_LENGTH', int)
if os.getenv('STATIC_ROOT'):
    from microdot.static import static_files
    static_files(app, '/static', os.getenv('STATIC_ROOT'), max_age=60)


@app.route('/')
async def index(request):
    return 'Hello, world!'


@app.route('/sync')
def sync_index(request):
    return 'Hello, sync!'


@app.post('/echo')
async def echo(request):
    if request.body:
        return request.body
    parts = []
    while True:
        piece = await request.stream.read(512)
        if not piece:
            break
        parts.append(piece)
    return b''.join(parts)


@app.post('/form')
async def form(request):
    values = request.form
    if values is None:
        return {'form': None}
    return {'form': {name: values.getlist(name) for name in values}}


@app.post('/json')
async def post_json(request):
    return {'json': request.json}


@app.get('/query')
async def query(request):
    args = request.args
    return {'args': {name: args.getlist(name) for name in args},
            'path': request.path}


@app.get('/cookies')
async def cookies(request):
    return {'cookies': request.cookies}


@app.get('/users/<int:user_id>')
async def user(request, user_id):
    return {'user': user_id}


def number(request, name, default):
    try:
        return int(request.args.get(name, default))
    except ValueError:
        abort(400)


@app.get('/stream')
async def stream(request):
    # bounded, so that a fuzzed number cannot ask for an endless response
    size = max(1, min(number(request, 'size', 6), 1000))
    count = min(number(request, 'n', 3), 20000000 // size, 100000)

    def generate():
        counters['streams_started'] += 1
        try:
            line = b'x' * (size - 1) + b'\n'
            for _ in range(count):
                yield line
        finally:
            counters['streams_closed'] += 1

    return generate()


class CountingFile:
    """A file whose close() is counted, to prove none is left open."""

    def __init__(self, path):
        self.file = open(path, 'rb')
        counters['files_opened'] += 1

    def read(self, size):
        return self.file.read(size)

    def close(self):
        if self.file is not None:
            self.file.close()
            self.file = None
            counters['files_closed'] = counters.get('files_closed', 0) + 1


@app.get('/file')
async def file(request):
    path = os.getenv('BIG_FILE') or (HERE + '/hostile_app.py')
    return send_file(path, stream=CountingFile(path),
                     content_type='application/octet-stream')


@app.get('/header')
async def header(request):
    # reflects a query value into a header: the core must refuse CR/LF
    return 'ok', {'X-Reflected': request.args.get('v', '')}


@app.get('/redirect')
async def go(request):
    return redirect(request.args.get('to', '/'))


@app.get('/set-cookie')
async def set_cookie(request):
    res = Response('cookie set')
    res.set_cookie('c', request.args.get('v', ''))
    return res


@app.get('/stats')
async def stats(request):
    gc.collect()
    heap = gc.mem_alloc() if hasattr(gc, 'mem_alloc') else None
    try:
        fds = len(os.listdir('/proc/self/fd'))
    except (OSError, AttributeError):
        fds = None
    tasks = None
    if sys.implementation.name == 'cpython':
        import asyncio
        tasks = len(asyncio.all_tasks())
    # this request's own connection is counted: report the others
    return {'connections': len(request.app.connections) - 1, 'fds': fds,
            'heap': heap, 'tasks': tasks, 'counters': counters}


@app.get('/shutdown')
async def shutdown(request):
    request.app.shutdown()
    return 'shutting down'


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
