"""WebSocket routes with short deadlines, for host_tests/
test_websocket_deadlines.py, on every runtime: /echo with the default (no
limit between messages), /idle with WebSocket.idle_timeout, /child and
/child-idle the same with the receives in a task of their own. The app's
io_timeout comes from IO_TIMEOUT (seconds). /stats says how each handler
ended."""
import asyncio
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


async def child_echo(request, ws):
    # receives in a child task, which hands each message (or the error
    # that ended it) to the handler's task
    got = []
    ready = asyncio.Event()

    async def receiver():
        try:
            while True:
                got.append(await ws.receive())
                ready.set()
        except WebSocketError as exc:
            got.append(exc)
            ready.set()

    asyncio.create_task(receiver())
    while True:
        await ready.wait()
        ready.clear()
        while got:
            item = got.pop(0)
            if isinstance(item, WebSocketError):
                stats['ended'].append([request.path, item.code])
                raise item
            await ws.send(item)


async def idle_upgrade(request):
    ws = Idle(request)
    await ws.handshake()
    return ws


@app.route('/stats')
async def get_stats(request):
    return stats


app.route('/echo')(with_websocket(echo))
app.route('/idle')(websocket_wrapper(echo, idle_upgrade))
app.route('/child')(with_websocket(child_echo))
app.route('/child-idle')(websocket_wrapper(child_echo, idle_upgrade))

app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
