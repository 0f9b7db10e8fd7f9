"""Jinja templates rendered in Jinja's async mode (CPython only).

With enable_async=True, render_async() and generate_async() must be used.
Run it from the repository root with
``make run RUNTIME=cpython APP=examples/templates/jinja/async_templates.py``,
then open http://127.0.0.1:5000/.
"""
import os

from microdot import Microdot, Response
from microdot.jinja import Template, init_templates

init_templates(enable_async=True)
# Template.initialize(enable_async=True) is the newer spelling.

app = Microdot()
Response.default_content_type = 'text/html'


@app.get('/')
async def index(req):
    return await Template('index.html').render_async()


@app.get('/count/<int:n>')
async def count(req, n):
    # An async iterator, streamed to the client as it is rendered.
    return Template('count.html').generate_async(
        numbers=range(1, min(n, 1000) + 1))


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
