"""SSE routes for host_tests/test_sse_server.py, on every runtime.

/stats tells how many /forever handlers run and how many were cancelled,
so a test can see that a client leaving ends its handler."""
import asyncio
import os

from microdot import Microdot
from microdot.sse import SSE, with_sse

SSE.keep_alive_interval = float(os.getenv('KEEP_ALIVE', '0.3'))
app = Microdot()
stats = {'active': 0, 'cancelled': 0, 'finished': 0, 'idle_cancelled': 0}


@app.route('/stats')
async def get_stats(request):
    return stats


@app.route('/events')
@with_sse
async def events(request, sse):
    start = int(request.headers.get('Last-Event-ID', '-1')) + 1
    count = int(request.args.get('count', '3'))
    await sse.send('welcome', retry=2.5, comment=True)
    for i in range(start, start + count):
        await sse.send({'counter': i}, event_id=i)
    await sse.send('two\nlines', event='multi')
    await sse.send('end', event='comment')


@app.route('/quiet')
@with_sse
async def quiet(request, sse):
    await asyncio.sleep(1)
    await sse.send('finally')


@app.route('/forever')
@with_sse
async def forever(request, sse):
    stats['active'] += 1
    try:
        i = 0
        while True:
            await sse.send(i, event='tick')
            i += 1
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        stats['cancelled'] += 1
        raise
    finally:
        stats['active'] -= 1
        stats['finished'] += 1


@app.route('/idle')
@with_sse
async def idle(request, sse):
    # sends nothing: only the keep-alive comments can notice the client
    # leaving
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        stats['idle_cancelled'] += 1
        raise


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
