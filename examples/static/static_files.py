"""Static files: a page with its style sheet, script and logo, served from
the static/ folder; gzip-compressed copies go to clients that accept them.

Run it from the repository root with
``make run APP=examples/static/static_files.py`` (``RUNTIME=cpython`` for
CPython), then open http://127.0.0.1:5000/, or compare::

    curl -si http://127.0.0.1:5000/static/style.css
    curl -si -H 'Accept-Encoding: gzip' http://127.0.0.1:5000/static/style.css

The .gz files are made once, on your computer, not on the board:
``gzip -9 -k -n static/style.css``. On a board, copy this file and the
static/ folder next to each other (``mpremote cp -r static :``).
"""
import os

from microdot import Microdot, abort, send_file

app = Microdot()
FOLDER = 'static/'


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


@app.get('/')
async def index(request):
    return send_file(FOLDER + 'index.html')


@app.get('/static/<path:path>')
async def static(request, path):
    # A URL must never reach outside the folder: no "..", no "//", no "\".
    if '..' in path.split('/') or '' in path.split('/') or '\\' in path:
        abort(404)
    filename = FOLDER + path
    if 'gzip' in request.headers.get('Accept-Encoding', '') and \
            exists(filename + '.gz'):
        # The type comes from the name without .gz: text/css, not gzip.
        response = send_file(filename, compressed=True, file_extension='.gz',
                             max_age=3600)
    else:
        response = send_file(filename, max_age=3600)
    response.headers['Vary'] = 'Accept-Encoding'   # for caches on the way
    return response


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
