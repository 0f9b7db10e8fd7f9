"""An API that pages of https://example.com may call from the browser,
cookies included (the CORS section of the docs).

Run it from the repository root with ``make run APP=examples/cors/cors.py``
(``RUNTIME=cpython`` for CPython). Then a preflight request, as a browser
would send it before a cross-origin POST with a JSON body::

    curl -i -X OPTIONS http://127.0.0.1:5000/api/echo \\
        -H 'Origin: https://example.com' \\
        -H 'Access-Control-Request-Method: POST' \\
        -H 'Access-Control-Request-Headers: Content-Type'

gets the Access-Control-Allow-* headers; the same request from another
origin gets none, and the browser blocks the call.
"""
import os

from microdot import Microdot
from microdot.cors import CORS

app = Microdot()
cors = CORS(app, allowed_origins=['https://example.com'],
            allow_credentials=True)


@app.route('/')
async def index(request):
    return 'Hello, World!'


@app.post('/api/echo')
async def echo(request):
    return {'received': request.json}


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
