"""Says which of the package's modules are loaded, before and after
requests that need more than the serving core."""

import os
import sys

import microdot  # noqa: F401  (only the package, first)

AT_IMPORT = sorted(name for name in sys.modules
                   if name.startswith('microdot'))

from microdot import Microdot  # noqa: E402  (after AT_IMPORT on purpose)

app = Microdot()


def loaded():
    return sorted(name for name in sys.modules if name.startswith('microdot'))


@app.route('/')
async def index(request):
    return 'hello'


@app.route('/modules')
async def modules(request):
    return {'at_import': AT_IMPORT, 'now': loaded()}


@app.route('/fail')
async def fail(request):
    raise ValueError('on purpose')


@app.route('/query')
async def query(request):
    return request.args.get('a', '')


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
