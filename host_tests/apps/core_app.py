"""An app exercising the core over real sockets, on every runtime.

Environment: PORT; optional IDLE_TIMEOUT / HEADER_TIMEOUT / IO_TIMEOUT
(seconds), MAX_CONTENT_LENGTH, MAX_BODY_LENGTH, BIG_FILE (a path served at
/big), TLS_CERT / TLS_KEY (serve over TLS).
"""
import os
import sys

from microdot import Microdot, Request, send_file

app = Microdot()
counters = {'streams_closed': 0}


def setting(name, convert=float):
    value = os.getenv(name)
    return None if value is None else convert(value)


for name, attr in (('IDLE_TIMEOUT', 'idle_timeout'),
                   ('HEADER_TIMEOUT', 'header_timeout'),
                   ('IO_TIMEOUT', 'io_timeout')):
    if setting(name) is not None:
        setattr(Microdot, attr, setting(name))
if setting('MAX_CONTENT_LENGTH', int):
    Request.max_content_length = setting('MAX_CONTENT_LENGTH', int)
if setting('MAX_BODY_LENGTH', int):
    Request.max_body_length = setting('MAX_BODY_LENGTH', int)


@app.route('/')
async def index(request):
    return 'Hello, world!'


@app.post('/echo')
async def echo(request):
    if request.content_length == 0 and request.body == b'':
        data = await request.stream.read()
        if data:
            return data
    if request.body:
        return request.body
    parts = []
    while True:
        piece = await request.stream.read(512)
        if not piece:
            break
        parts.append(piece)
    return b''.join(parts)


@app.post('/length')
async def length(request):
    total = len(request.body)
    if total == 0:
        while True:
            piece = await request.stream.read(1024)
            if not piece:
                break
            total += len(piece)
    return str(total)


@app.post('/ignore-body')
async def ignore_body(request):
    return 'ignored'


@app.get('/stream')
async def stream(request):
    count = int(request.args.get('n', '3'))

    def generate():
        try:
            for i in range(count):
                yield 'line {}\n'.format(i)
        finally:
            counters['streams_closed'] += 1

    return generate()


@app.get('/counters')
async def get_counters(request):
    return counters


@app.get('/big')
async def big(request):
    return send_file(os.getenv('BIG_FILE'))


@app.get('/cookie')
async def cookie(request):
    return {'cookies': request.cookies}


@app.get('/error')
async def error(request):
    raise RuntimeError('deliberate failure')


@app.get('/shutdown')
async def shutdown(request):
    request.app.shutdown()
    return 'The server is shutting down...'


ssl_context = None
if os.getenv('TLS_CERT'):
    import ssl
    ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ssl_context.load_cert_chain(os.getenv('TLS_CERT'), os.getenv('TLS_KEY'))

app.run(host='127.0.0.1', port=int(os.getenv('PORT')), ssl=ssl_context)
print('server stopped')
sys.exit(0)
