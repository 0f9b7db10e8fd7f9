"""WebSocket routes for host_tests/test_websocket_server.py, on every runtime.

/stats tells how many WebSocket handlers started and ended, and how each
ended, so a test can see that a client leaving ends its handler."""
import os

from microdot import Microdot
from microdot.websocket import WebSocket, WebSocketError, with_websocket

WebSocket.max_message_length = 64 * 1024
app = Microdot()
app.io_timeout = 5
stats = {'started': 0, 'ended': 0, 'closed_by_client': [], 'errors': 0}


@app.route('/stats')
async def get_stats(request):
    return stats


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    stats['started'] += 1
    try:
        while True:
            message = await ws.receive()
            await ws.send(message)
    except WebSocketError as exc:
        stats['closed_by_client'].append(exc.code)
        raise
    finally:
        stats['ended'] += 1


@app.route('/types')
@with_websocket
async def types(request, ws):
    # says what type each message arrived as
    while True:
        message = await ws.receive()
        await ws.send(type(message).__name__ + ':' + str(len(message)))


@app.route('/bye')
@with_websocket
async def bye(request, ws):
    await ws.send('bye')


@app.route('/broken')
@with_websocket
async def broken(request, ws):
    await ws.receive()
    stats['errors'] += 1
    raise RuntimeError('handler failure expected by the test')


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
