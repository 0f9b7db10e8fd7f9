"""WebSocket echo served through WSGI (CPython only).

WebSocket needs a server that hands the client's socket to the app, as
gunicorn does. The threaded worker keeps the connection past gunicorn's
worker timeout. From this directory, with gunicorn installed:

    PYTHONPATH=../../modules gunicorn -k gthread --threads 10 echo_wsgi:app

then open http://127.0.0.1:8000/ and type. `python echo_wsgi.py` serves
the same app with the built-in server on port 5000
(or the port the environment variable HTTP_PORT names).
"""
import os

from microdot.wsgi import Microdot, send_file, with_websocket

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
