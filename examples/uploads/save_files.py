"""Large uploads written straight to storage, in small buffers.

``FormDataIter`` hands each file over as it arrives and
``FileUpload.save()`` streams it to a file, so an upload may be far larger
than the free memory of the board. Files go to the folder uploads/ (or
UPLOAD_DIR) under a temporary name and are renamed once complete: a client
that leaves mid-upload leaves nothing behind. Files over MAX_FILE_SIZE get
a 413.

Run it from the repository root with
``make run APP=examples/uploads/save_files.py`` (``RUNTIME=cpython`` for
CPython) and open http://127.0.0.1:5000/, or::

    curl -F 'file=@firmware.bin' http://127.0.0.1:5000/upload
"""
import os

from microdot import Microdot, Request, Response, redirect, send_file
from microdot.multipart import FileUpload, FormDataIter

MAX_FILE_SIZE = 4 * 1024 * 1024
getenv = getattr(os, 'getenv', None)    # a board has no environment
UPLOAD_DIR = (getenv('UPLOAD_DIR') if getenv else None) or 'uploads'

app = Microdot()
# the whole request may hold a little more than the file: the form's
# boundaries and headers
Request.max_content_length = MAX_FILE_SIZE + 64 * 1024

PAGE = '''<!doctype html>
<html>
  <head><title>Upload example</title></head>
  <body>
    <h1>Upload files (up to {limit} KiB each)</h1>
    <form method="POST" action="/upload" enctype="multipart/form-data">
      <input name="file" type="file" multiple>
      <button type="submit">Upload</button>
    </form>
    <ul>{files}</ul>
  </body>
</html>'''


def safe_name(filename):
    """The last part of the name the client sent, without anything that
    could lead out of the upload folder."""
    name = filename.replace('\\', '/').rpartition('/')[2]
    name = ''.join(c for c in name if c.isalpha() or c.isdigit() or
                   c in '._- ')
    name = name.strip(' .')
    return name or 'upload'


def stored_files():
    return sorted(name for name in os.listdir(UPLOAD_DIR)
                  if not name.endswith('.part'))


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace(
        '>', '&gt;').replace('"', '&quot;')


@app.get('/')
async def index(request):
    items = ''.join('<li><a href="/files/{0}">{0}</a></li>'.format(
        escape(name)) for name in stored_files())
    return Response(PAGE.format(limit=MAX_FILE_SIZE // 1024, files=items),
                    headers={'Content-Type': 'text/html; charset=UTF-8'})


@app.post('/upload')
async def upload(request):
    saved = []
    async for name, value in FormDataIter(request,
                                          max_file_size=MAX_FILE_SIZE):
        if isinstance(value, FileUpload) and value.filename:
            filename = safe_name(value.filename)
            await value.save(UPLOAD_DIR + '/' + filename)
            saved.append(filename)
    if 'text/html' in request.headers.get('Accept', ''):
        return redirect('/')
    return {'saved': saved}


@app.get('/files/<name>')
async def download(request, name):
    if name not in stored_files():
        return 'Not found', 404
    return send_file(UPLOAD_DIR + '/' + name,
                     content_type='application/octet-stream')


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    try:
        os.mkdir(UPLOAD_DIR)
    except OSError:   # it exists
        pass
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
