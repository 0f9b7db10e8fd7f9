"""Smallest app for the harness tests: says which runtime and which
microdot files serve it."""

import os
import sys

import microdot
from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'hello from ' + sys.implementation.name


@app.route('/whoami')
async def whoami(request):
    return {'runtime': sys.implementation.name,
            'microdot_file': getattr(microdot, '__file__', None)}


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
