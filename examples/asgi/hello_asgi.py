"""Hello world as an ASGI application (CPython only).

From this directory, with uvicorn installed (pip install uvicorn):

    PYTHONPATH=../../modules uvicorn hello_asgi:app

then open http://127.0.0.1:8000/. The page's link stops the server.
`python hello_asgi.py` serves it with the built-in server on port 5000 (or the
port the environment variable HTTP_PORT names).
"""
import os

from microdot.asgi import Microdot

app = Microdot()

PAGE = '''<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Microdot under ASGI</title></head>
  <body>
    <h1>Hello from Microdot!</h1>
    <p>This page is served through ASGI.</p>
    <p><a href="/shutdown">Stop the server</a></p>
  </body>
</html>
'''


@app.route('/')
async def hello(request):
    return PAGE, 200, {'Content-Type': 'text/html; charset=UTF-8'}


@app.route('/shutdown')
async def shutdown(request):
    request.app.shutdown()
    return 'The server is stopping.'


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment())
