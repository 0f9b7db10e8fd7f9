"""Pages rendered with utemplate, on MicroPython or CPython.

Run it from the repository root with
``make run APP=examples/templates/utemplate/hello.py`` (``RUNTIME=cpython``
for CPython), then open http://127.0.0.1:5000/ and
http://127.0.0.1:5000/count/5. Templates are looked up in templates/ under
the working directory, and `make run` runs the app from its own folder.
The first request for a page compiles its template into
templates/<name>_html.py.
"""
import os

from microdot import Microdot, Response
from microdot.utemplate import Template

app = Microdot()
Response.default_content_type = 'text/html'


@app.get('/')
async def index(req):
    return Template('index.html').render()


@app.get('/count/<int:n>')
async def count(req, n):
    # generate() streams the page piece by piece: the whole page is never
    # held in memory.
    return Template('count.html').generate(range(1, min(n, 1000) + 1))


@app.get('/async/')
async def index_async(req):
    return await Template('index.html').render_async()


@app.get('/async/count/<int:n>')
async def count_async(req, n):
    return Template('count.html').generate_async(range(1, min(n, 1000) + 1))


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
