"""A form rendered with utemplate, served through ASGI (CPython only).

Templates are found in templates/ under the working directory. From this
directory, with uvicorn installed:

    PYTHONPATH=../../../modules:../../../deps uvicorn hello_asgi:app

(`make deps` puts utemplate in deps/), then open http://127.0.0.1:8000/.
`python hello_asgi.py` serves it with the built-in server on port 5000
(or the port the environment variable HTTP_PORT names).
"""
import os

from microdot.asgi import Microdot, Response
from microdot.utemplate import Template

app = Microdot()
Response.default_content_type = 'text/html'


@app.route('/', methods=['GET', 'POST'])
async def index(req):
    name = None
    if req.method == 'POST':
        name = req.form.get('name')
    return Template('index.html').render(name=name)


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment())
