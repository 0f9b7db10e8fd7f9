"""A page whose handler raises, served with debug=True when DEBUG=1."""

import os

from microdot import Microdot, Response

app = Microdot()
Response.default_content_type = 'text/html'     # as many apps set it


@app.route('/')
async def index(request):
    return '<a href="/broken">broken</a>'


@app.route('/broken')
async def broken(request):
    # markup in the message: the debug page must show it, not render it
    raise ValueError('<b id="injected">the answer is 42</b>')


app.run(host='127.0.0.1', port=int(os.getenv('PORT')),
        debug=os.getenv('DEBUG') == '1')
