"""WebSocket echo: the page at / sends what you type, the server sends it
back (the WebSocket section of the docs).

Run it from the repository root with
``make run APP=examples/websocket/echo.py`` (``RUNTIME=cpython`` for
CPython), then open http://127.0.0.1:5000/ in a browser. On a board, copy
this file and index.html next to each other.
"""
import os

from microdot import Microdot, send_file
from microdot.websocket import with_websocket

app = Microdot()


@app.route('/')
async def index(request):
    return send_file('index.html')


@app.route('/echo')
@with_websocket
async def echo(request, ws):
    while True:
        message = await ws.receive()
        await ws.send(message)


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
