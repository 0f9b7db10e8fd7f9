"""Pages rendered with Jinja (CPython only).

Run it from the repository root with
``make run RUNTIME=cpython APP=examples/templates/jinja/hello.py`` (the
.venv has Jinja2; elsewhere pip install Jinja2), then open
http://127.0.0.1:5000/. Templates are looked up in templates/ under the
working directory, and `make run` runs the app from its own folder.
"""
import os

from microdot import Microdot, Response
from microdot.jinja import Template

app = Microdot()
Response.default_content_type = 'text/html'


@app.get('/')
async def index(req):
    return Template('index.html').render()


@app.get('/count/<int:n>')
async def count(req, n):
    # generate() streams the page piece by piece.
    return Template('count.html').generate(numbers=range(1, min(n, 1000) + 1))


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
