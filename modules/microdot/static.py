"""Serving a folder of static files under a URL prefix.

::

    from microdot.static import static_files

    static_files(app, '/static', 'static', max_age=86400)

answers ``GET`` and ``HEAD`` for ``/static/<path>`` with the file
``static/<path>``, streamed by ``send_file()`` (so its content type comes
from ``Response.types_map``), and ``/static/`` with ``static/index.html``.
When the client accepts gzip and ``<file>.gz`` exists next to the file, the
compressed variant is sent instead (``Content-Encoding: gzip``).

A request never reaches a file outside the folder. The path arrives
percent-decoded (and ``%c0%ae``-style overlong forms are a 400 before
routing); it is refused with a 404 if any of its segments is empty, is
``.`` or ``..``, starts with a dot (hidden files such as ``.env`` are never
served), or holds a backslash, a NUL or another control character. Where the
runtime can resolve symbolic links (CPython), the file's real path must lie
in the folder's real path too; MicroPython has no way to resolve them, and
the filesystems of boards have none.
"""
import os

from .response import Response, redirect

try:
    from os.path import realpath
except ImportError:   # MicroPython: no os.path
    realpath = None

_DIRECTORY = 0o040000
_REGULAR = 0o100000
_FILE_TYPE = 0o170000


def static_files(app, url_prefix='/static', directory='static', max_age=None,
                 index='index.html', gzip=True):
    """Serve the files under ``directory`` at ``url_prefix``.

    ``max_age`` (seconds) sets ``Cache-Control`` (default:
    ``Response.default_send_file_max_age``); ``index`` is the file sent for
    a folder (None: folders are a 404); ``gzip=False`` ignores ``.gz``
    variants. Registers its routes on ``app`` and returns the handler."""
    prefix = url_prefix.rstrip('/')
    root = directory.rstrip('/') or '/'

    async def serve_static(request, path=''):
        return _respond(request, root, path, max_age, index, gzip)

    app.route(prefix + '/<path:path>')(serve_static)
    app.route(prefix + '/')(serve_static)
    if prefix:
        @app.route(prefix)
        async def add_slash(request):
            return redirect(_with_slash(request.url))
    return serve_static


def _respond(request, root, path, max_age, index, gzip):
    segments = path.split('/')
    folder_wanted = segments[-1] == ''
    if folder_wanted:
        segments.pop()
    for segment in segments:
        if not _is_safe(segment):
            return 404
    filename = root + '/' + '/'.join(segments) if segments else root
    kind = _kind(filename)
    if kind == _DIRECTORY:
        if not index:
            return 404
        if not folder_wanted:
            return redirect(_with_slash(request.url))
        filename = filename + '/' + index
        kind = _kind(filename)
    elif folder_wanted:
        return 404   # a file asked for as a folder
    # only regular files: not folders, and not devices or pipes, which
    # could block the server on open()
    has_gz = gzip and _kind(filename + '.gz') == _REGULAR
    served = filename
    if has_gz and _accepts_gzip(request):
        served = filename + '.gz'
    elif kind != _REGULAR:
        return 404
    if not _is_inside(root, served):
        return 404
    if served != filename:
        res = Response.send_file(filename, max_age=max_age, compressed=True,
                                 file_extension='.gz')
    else:
        res = Response.send_file(filename, max_age=max_age)
    if has_gz:
        res.headers['Vary'] = 'Accept-Encoding'
    return res


def _is_safe(segment):
    if not segment or segment.startswith('.'):
        return False     # '', '.', '..', and hidden files
    for byte in segment.encode():   # (bytes: see http.byte_table)
        if byte < 32 or byte == 92 or byte == 127:     # 92: backslash
            return False
    return True


def _kind(filename):
    """The file-type bits of ``filename``, or None if it does not exist."""
    try:
        return os.stat(filename)[0] & _FILE_TYPE
    except (OSError, ValueError):   # ValueError: a NUL, on CPython
        return None


def _is_inside(root, filename):
    if realpath is None:
        return True    # nothing to resolve: the segment checks suffice
    real_root = realpath(root)
    real = realpath(filename)
    return real.startswith(real_root.rstrip('/') + '/')


def _accepts_gzip(request):
    """True if the request's Accept-Encoding allows gzip (``q=0``
    refuses it; ``*`` allows it unless gzip is listed)."""
    header = request.headers.get('Accept-Encoding')
    if not header:
        return False
    star = False
    for item in header.split(','):
        coding, _, params = item.partition(';')
        coding = coding.strip().lower()
        if coding not in ('gzip', 'x-gzip', '*'):
            continue
        allowed = True
        for param in params.split(';'):
            name, _, value = param.partition('=')
            if name.strip().lower() == 'q':
                try:
                    allowed = float(value) > 0
                except ValueError:
                    allowed = False
        if coding == '*':
            star = allowed
        else:
            return allowed
    return star


def _with_slash(url):
    path, question, query = url.partition('?')
    return path + '/' + question + query
