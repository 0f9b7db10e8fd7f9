"""A form with text fields and files, read with ``@with_form_data``.

The handler finds the text fields in ``request.form`` and the files in
``request.files``, two dicts by field name (a name sent twice keeps its
last value, as in Microdot: for ``<input type="file" multiple>``, read the
form with ``FormDataIter``, as save_files.py does); files larger than
``FileUpload.max_memory_size`` wait in temporary files, removed when the
handler returns.

Run it from the repository root with
``make run APP=examples/uploads/formdata.py`` (``RUNTIME=cpython`` for
CPython) and open http://127.0.0.1:5000/, or::

    curl -F name=Ada -F 'photo=@README.md' http://127.0.0.1:5000/
"""
import os

from microdot import Microdot, Request, Response
from microdot.multipart import with_form_data

app = Microdot()
Request.max_content_length = 1024 * 1024   # the whole form: 1 MiB at most
Response.default_content_type = 'text/html'

PAGE = '''<!doctype html>
<html>
  <head><title>Multipart form example</title></head>
  <body>
    <h1>Send a form with files</h1>
    <form method="POST" enctype="multipart/form-data">
      <p><input name="name" placeholder="your name"></p>
      <p>A photo: <input name="photo" type="file"></p>
      <p>A document: <input name="document" type="file"></p>
      <button type="submit">Send</button>
    </form>
    {}
  </body>
</html>'''


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace(
        '>', '&gt;').replace('"', '&quot;')


async def size_of(upload):
    size = 0
    while True:
        data = await upload.read(512)
        if not data:
            return size
        size += len(data)


@app.route('/', methods=['GET', 'POST'])
@with_form_data
async def index(request):
    if request.method == 'GET':
        return PAGE.format('')
    lines = ['<h2>Received</h2>', '<ul>']
    form = request.form or {}
    files = request.files or {}
    for name, value in form.items():
        lines.append('<li>field {}: {}</li>'.format(
            escape(name), escape(value)))
    for name, upload in files.items():
        lines.append('<li>file {}: {} ({}, {} bytes)</li>'.format(
            escape(name), escape(upload.filename),
            escape(upload.content_type or 'no type'),
            await size_of(upload)))
    lines.append('</ul>')
    return PAGE.format('\n    '.join(lines))


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
