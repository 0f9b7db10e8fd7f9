"""WebSocket routes with short deadlines, for host_tests/
test_websocket_deadlines.py, on every runtime: /echo with the default (no
limit between messages), /idle with WebSocket.idle_timeout. The app's
io_timeout comes from IO_TIMEOUT (seconds). /stats says how each handler
ended."""
import os

from microdot import Microdot
from microdot.websocket import (WebSocket, WebSocketError, with_websocket,
                                websocket_wrapper)

app = Microdot()
app.io_timeout = float(os.getenv('IO_TIMEOUT') or '1')
stats = {'ended': []}


class Idle(WebSocket):
    idle_timeout = float(os.getenv('IDLE_TIMEOUT') or '1')


async def echo(request, ws):
    try:
        while True:
            await ws.send(await ws.receive())
    except WebSocketError as exc:
        stats['ended'].append([request.path, exc.code])
        raise


async def idle_upgrade(request):
    ws = Idle(request)
    await ws.handshake()
    return ws


@app.route('/stats')
async def get_stats(request):
    return stats


app.route('/echo')(with_websocket(echo))
app.route('/idle')(websocket_wrapper(echo, idle_upgrade))

app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
