"""Server-Sent Events: the page at / shows a counter the server pushes once
a second, then an "end" event (the SSE section of the docs).

Run it from the repository root with ``make run APP=examples/sse/counter.py``
(``RUNTIME=cpython`` for CPython), then open http://127.0.0.1:5000/ in a
browser, or watch the raw stream with ``curl -N http://127.0.0.1:5000/events``.
On a board, copy this file and index.html next to each other.
"""
import asyncio
import os

from microdot import Microdot, send_file
from microdot.sse import with_sse

app = Microdot()


@app.route('/')
async def index(request):
    return send_file('index.html')


@app.route('/events')
@with_sse
async def events(request, sse):
    for i in range(10):
        await asyncio.sleep(1)
        await sse.send({'counter': i})  # unnamed event
    await sse.send('end', event='comment')  # named event


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
