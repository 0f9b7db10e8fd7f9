"""Hello world as a WSGI application (CPython only).

From this directory, with gunicorn installed (pip install gunicorn):

    PYTHONPATH=../../modules gunicorn hello_wsgi:app

then open http://127.0.0.1:8000/. The page's link stops the server.
`python hello_wsgi.py` serves it with the built-in server on port 5000 (or the
port the environment variable HTTP_PORT names).
"""
import os

from microdot.wsgi import Microdot

app = Microdot()

PAGE = '''<!doctype html>
<html>
  <head><meta charset="utf-8"><title>Microdot under WSGI</title></head>
  <body>
    <h1>Hello from Microdot!</h1>
    <p>This page is served through WSGI.</p>
    <p><a href="/shutdown">Stop the server</a></p>
  </body>
</html>
'''


@app.route('/')
def hello(request):
    return PAGE, 200, {'Content-Type': 'text/html; charset=UTF-8'}


@app.route('/shutdown')
def shutdown(request):
    request.app.shutdown()
    return 'The server is stopping.'


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment())
