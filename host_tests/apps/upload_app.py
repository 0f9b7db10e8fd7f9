"""An app receiving multipart uploads over real sockets, on every runtime.

Environment: PORT; UPLOAD_DIR (where files are saved; also the directory
of with_form_data's temporary files); MAX_CONTENT_LENGTH (bytes, default
2 MiB); MAX_BODY_LENGTH (bytes, default 4096: a small device keeps less of
a body in memory than the core's default); MAX_FILE_SIZE (bytes, for
/limited; default 4096); IO_TIMEOUT (seconds, Microdot.io_timeout).

Routes:
  POST /save      FormDataIter: every file saved to UPLOAD_DIR as it
                  arrives; answers {"files": {name: size}, "fields": {...}}
  POST /keep      the same, saving with keep_partial=True
  POST /limited   the same, with FormDataIter(max_file_size=MAX_FILE_SIZE)
  POST /form      with_form_data: files saved from their copies afterwards
  GET  /files     {"files": sorted names in UPLOAD_DIR}
  GET  /stats     {"finished": upload handlers ended, by success or not}
  GET  /mem       {"free": free heap, "total": heap size} on MicroPython
                  (nulls on CPython)
"""
import gc
import os

from microdot import Microdot, Request
from microdot.multipart import FileUpload, FormDataIter, with_form_data

UPLOAD_DIR = os.getenv('UPLOAD_DIR')
Request.max_content_length = int(os.getenv('MAX_CONTENT_LENGTH') or
                                 2 * 1024 * 1024)
Request.max_body_length = int(os.getenv('MAX_BODY_LENGTH') or 4096)
FileUpload.temp_dir = UPLOAD_DIR
MAX_FILE_SIZE = int(os.getenv('MAX_FILE_SIZE') or 4096)
if os.getenv('IO_TIMEOUT'):
    Microdot.io_timeout = float(os.getenv('IO_TIMEOUT'))

app = Microdot()
stats = {'finished': 0}


def safe_name(filename):
    """The last component of a client's filename, or 'upload'."""
    name = filename.replace('\\', '/').rpartition('/')[2]
    if name in ('', '.', '..'):
        name = 'upload'
    return name


def size_of(path):
    return os.stat(path)[6]


async def receive(request, keep_partial=False, max_file_size=None):
    files = {}
    fields = {}
    try:
        async for name, value in FormDataIter(request,
                                              max_file_size=max_file_size):
            if isinstance(value, FileUpload):
                path = UPLOAD_DIR + '/' + safe_name(value.filename)
                await value.save(path, keep_partial=keep_partial)
                files[name] = size_of(path)
            else:
                fields[name] = value
    finally:
        stats['finished'] += 1
    return {'files': files, 'fields': fields}


@app.post('/save')
async def save(request):
    return await receive(request)


@app.post('/keep')
async def keep(request):
    return await receive(request, keep_partial=True)


@app.post('/limited')
async def limited(request):
    return await receive(request, max_file_size=MAX_FILE_SIZE)


@app.post('/form')
async def form(request):
    try:
        return await form_data(request)
    finally:
        stats['finished'] += 1


@with_form_data
async def form_data(request):
    files = {}
    for name in request.files:
        upload = request.files[name]
        path = UPLOAD_DIR + '/' + safe_name(upload.filename)
        await upload.save(path)
        files[name] = size_of(path)
    return {'files': files, 'fields': dict(request.form.items())}


@app.get('/files')
async def listing(request):
    return {'files': sorted(os.listdir(UPLOAD_DIR))}


@app.get('/stats')
async def get_stats(request):
    return stats


@app.get('/mem')
async def mem(request):
    gc.collect()
    if not hasattr(gc, 'mem_free'):
        return {'free': None, 'total': None}
    return {'free': gc.mem_free(), 'total': gc.mem_free() + gc.mem_alloc()}


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
