"""Jinja templates loaded from my_templates/ instead of templates/.

Run it from the repository root with
``make run RUNTIME=cpython APP=examples/templates/jinja/custom_dir.py``,
then open http://127.0.0.1:5000/.
"""
import os

from microdot import Microdot, Response
from microdot.jinja import Template, init_templates

init_templates('my_templates')
# Template.initialize('my_templates') is the newer spelling of the same call.

app = Microdot()
Response.default_content_type = 'text/html'


@app.get('/')
async def index(req):
    return Template('index.html').render()


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
