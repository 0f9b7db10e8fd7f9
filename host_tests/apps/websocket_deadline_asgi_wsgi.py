"""WebSocket deadlines under an ASGI or WSGI server, for host_tests/
test_websocket_asgi_wsgi.py: `uvicorn websocket_deadline_asgi_wsgi:app`
with APP_KIND=asgi, `gunicorn websocket_deadline_asgi_wsgi:app` with
APP_KIND=wsgi. The app's io_timeout comes from IO_TIMEOUT (seconds); with
IDLE_TIMEOUT set, every WebSocket gets that idle_timeout (set on the core
class, which the ASGI one inherits). /stats says how each handler ended;
/ answers plain HTTP."""
import os

from microdot.websocket import WebSocket, WebSocketError

if os.environ['APP_KIND'] == 'wsgi':
    from microdot.wsgi import Microdot, with_websocket
else:
    from microdot.asgi import Microdot, with_websocket

app = Microdot()
app.io_timeout = float(os.getenv('IO_TIMEOUT') or '1')
if os.getenv('IDLE_TIMEOUT'):
    WebSocket.idle_timeout = float(os.environ['IDLE_TIMEOUT'])
stats = {'ended': []}


@app.route('/')
async def index(request):
    return 'hello'


@app.route('/stats')
async def get_stats(request):
    return stats


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    try:
        while True:
            await ws.send(await ws.receive())
    except WebSocketError as exc:
        stats['ended'].append([request.path, exc.code])
        raise


@app.route('/flood')
@with_websocket
async def flood(request, ws):
    # sends until a write stalls past io_timeout (a client not reading)
    chunk = b'f' * 65536
    try:
        while True:
            await ws.send(chunk)
    finally:
        stats['ended'].append([request.path, 'flood'])
