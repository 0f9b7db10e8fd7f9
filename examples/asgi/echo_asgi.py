"""WebSocket echo served through ASGI (CPython only).

From this directory, with uvicorn and websockets installed:

    PYTHONPATH=../../modules uvicorn echo_asgi:app

then open http://127.0.0.1:8000/ and type. `python echo_asgi.py` serves
the same app with the built-in server on port 5000
(or the port the environment variable HTTP_PORT names).
"""
import os

from microdot.asgi import Microdot, send_file, with_websocket

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
    app.run(host='127.0.0.1', port=port_from_environment())
