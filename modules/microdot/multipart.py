"""multipart/form-data bodies (RFC 7578): forms with file uploads.

Three layers:

- ``MultipartParser``: the wire format, without I/O. Feed it bytes as they
  arrive, in pieces of any size (a boundary may be split anywhere), and
  take events: ``PART`` (name, filename, content type), ``DATA`` (bytes of
  the current part), ``PART_END``, ``END``, or ``NEED_DATA``. It holds back
  at most one delimiter's worth of bytes, so memory does not grow with the
  body.
- ``FormDataIter``: an async iterator over a request's fields, reading the
  body in ``buffer_size`` pieces. Text fields come as str; files as
  ``FileUpload`` objects that read the part straight from the request, so
  ``await upload.save(path)`` streams an upload of any size to storage.
- ``with_form_data``: a route decorator that reads the whole form into
  ``request.form`` and ``request.files``; files larger than
  ``FileUpload.max_memory_size`` go to temporary files, removed when the
  handler returns.

Limits. ``Request.max_content_length`` bounds the whole body and is checked
by the core before the handler runs (413), so an app that accepts uploads
raises it. Inside that, ``FormDataIter.max_file_size`` bounds each file and
``FormDataIter.max_field_size`` each text field: past either the request
gets a 413 while the body is being read (both are also keyword arguments of
``FormDataIter`` and ``with_form_data``). ``with_form_data`` also keeps at
most ``Request.max_body_length`` bytes of fields and small files in memory:
past it, files go to temporary files and fields get a 413.

A body that ends early or a client that goes away gives a 400 (the app sees
an ``HTTPException``); a malformed body gives a 400 too. Files that
``save()`` was writing are removed then, unless it was called with
``keep_partial=True`` (or given an open file, which the app owns).

Filenames are what the client sent: never use one as a path without
checking it.
"""
import os

from .compat import invoke, is_disconnect
from .connection import AsyncBytesIO
from .http import HTTPException
from .request import Request
from .structures import MultiDict
from .urls import url_decode

# parser events
NEED_DATA = 0
PART = 1
DATA = 2
PART_END = 3
END = 4

# parser states
_PREAMBLE = 0
_DELIMITED = 1     # just after a delimiter: "--" (end) or padding + CRLF
_HEADERS = 2
_BODY = 3
_DONE = 4

_MAX_PADDING = 64  # whitespace allowed after a delimiter (RFC 2046)


class MultipartError(ValueError):
    """The body is not valid multipart: the request gets a 400."""


class MultipartParser:
    """Turns the bytes of a multipart body into events, without I/O.

    ``feed(data)`` adds bytes, ``feed_eof()`` says there are no more, and
    ``next_event()`` returns ``(kind, value)``: ``(PART, (name, filename,
    content_type))`` (filename None for a text field), ``(DATA, bytes)``,
    ``(PART_END, None)``, ``(END, None)`` (and END again after that), or
    ``(NEED_DATA, None)`` when it must be fed first. Malformed input raises
    ``MultipartError``. ``max_head_length`` bounds the headers of one part.
    """

    def __init__(self, boundary, max_head_length=2048):
        if isinstance(boundary, str):
            boundary = boundary.encode()
        self.delimiter = b'\r\n--' + boundary
        self.max_head_length = max_head_length
        # the first delimiter may start the body with no CRLF before it
        self.buffer = b'\r\n'
        self.state = _PREAMBLE
        self.eof = False

    def feed(self, data):
        if self.state != _DONE and data:
            self.buffer += data

    def feed_eof(self):
        self.eof = True

    def next_event(self):
        state = self.state
        if state == _BODY:
            return self._body()
        if state == _DELIMITED:
            return self._after_delimiter()
        if state == _HEADERS:
            return self._headers()
        if state == _PREAMBLE:
            return self._preamble()
        return END, None

    def _need_data(self, what):
        if self.eof:
            raise MultipartError('Body ended in ' + what)
        return NEED_DATA, None

    def _preamble(self):
        buffer = self.buffer
        index = buffer.find(self.delimiter)
        if index < 0:
            # keep what could be the start of the delimiter
            self.buffer = buffer[-len(self.delimiter):]
            return self._need_data('the preamble')
        self.buffer = buffer[index + len(self.delimiter):]
        self.state = _DELIMITED
        return self._after_delimiter()

    def _after_delimiter(self):
        buffer = self.buffer
        if len(buffer) < 2:
            return self._need_data('a delimiter')
        if buffer[:2] == b'--':
            self.state = _DONE
            self.buffer = b''   # the epilogue is ignored
            return END, None
        index = buffer.find(b'\r\n')
        if index < 0:
            if len(buffer) > _MAX_PADDING:
                raise MultipartError('Malformed delimiter')
            return self._need_data('a delimiter')
        if buffer[:index].strip(b' \t'):
            raise MultipartError('Malformed delimiter')
        self.buffer = buffer[index + 2:]
        self.state = _HEADERS
        return self._headers()

    def _headers(self):
        buffer = self.buffer
        if buffer[:2] == b'\r\n':   # a part without headers
            end = 0
            head = b''
        else:
            end = buffer.find(b'\r\n\r\n')
            if end < 0 or end > self.max_head_length:
                if end > self.max_head_length or \
                        len(buffer) > self.max_head_length + 4:
                    raise MultipartError('Part headers too long')
                return self._need_data('part headers')
            head = buffer[:end]
            end += 2
        self.buffer = buffer[end + 2:]
        self.state = _BODY
        return PART, parse_part_head(head)

    def _body(self):
        buffer = self.buffer
        delimiter = self.delimiter
        index = buffer.find(delimiter)
        if index == 0:
            self.buffer = buffer[len(delimiter):]
            self.state = _DELIMITED
            return PART_END, None
        if index < 0:
            # the tail may hold the start of a delimiter split across
            # reads: it begins with CR, so keep from the last CR on
            index = buffer.find(b'\r', max(0, len(buffer) -
                                           len(delimiter) + 1))
            if index < 0:
                index = len(buffer)
            if index == 0:
                return self._need_data('a part')
        self.buffer = buffer[index:]
        return DATA, buffer[:index]


def parse_options(text):
    """``'form-data; name="a"; filename="b.txt"'`` ->
    ``('form-data', {'name': 'a', 'filename': 'b.txt'})``.

    Values may be quoted (``\\"`` and ``\\\\`` are unescaped; any other
    backslash is kept, as browsers send them unescaped) or bare; names are
    lower-cased. An RFC 8187 ``name*=UTF-8''...`` value wins over the plain
    one."""
    value, _, rest = text.partition(';')
    params = {}
    i = 0
    n = len(rest)
    while i < n:
        while i < n and rest[i] in ' \t;':
            i += 1
        equals = rest.find('=', i)
        semicolon = rest.find(';', i)
        if equals < 0:
            break
        if 0 <= semicolon < equals:   # a parameter without a value
            i = semicolon
            continue
        key = rest[i:equals].strip().lower()
        i = equals + 1
        while i < n and rest[i] in ' \t':
            i += 1
        if i < n and rest[i] == '"':
            i += 1
            chars = []
            while i < n and rest[i] != '"':
                if rest[i] == '\\' and i + 1 < n and rest[i + 1] in '"\\':
                    i += 1
                chars.append(rest[i])
                i += 1
            i += 1
            item = ''.join(chars)
        else:
            end = rest.find(';', i)
            if end < 0:
                end = n
            item = rest[i:end].strip()
            i = end
        params[key] = item
    for key in [k for k in params if k.endswith('*')]:
        charset, _, encoded = params.pop(key).partition("'")
        _, _, encoded = encoded.partition("'")
        if charset.lower() in ('utf-8', 'us-ascii'):
            try:
                params[key[:-1]] = url_decode(encoded, False)
            except ValueError:
                pass
    return value.strip().lower(), params


def parse_part_head(head):
    """``(name, filename, content_type)`` from the header block of a part;
    ``filename`` is None for a text field."""
    try:
        text = head.decode()
    except Exception:   # UnicodeError (CPython), ValueError (MicroPython)
        raise MultipartError('Part headers are not UTF-8')
    disposition = None
    content_type = None
    for line in text.split('\r\n'):
        name, colon, value = line.partition(':')
        if not colon:
            raise MultipartError('Malformed part header')
        name = name.strip().lower()
        if name == 'content-disposition':
            disposition = value
        elif name == 'content-type':
            content_type = value.strip()
    if disposition is None:
        raise MultipartError('Part without Content-Disposition')
    kind, params = parse_options(disposition)
    if kind != 'form-data':
        raise MultipartError('Part is not form-data')
    return params.get('name', ''), params.get('filename'), content_type


def boundary_of(content_type):
    """The boundary of a ``multipart/form-data`` content type, or None for
    any other type. A boundary that RFC 2046 does not allow raises
    MultipartError."""
    if not content_type:
        return None
    kind, params = parse_options(content_type)
    if kind != 'multipart/form-data':
        return None
    boundary = params.get('boundary', '')
    if not 0 < len(boundary) <= 70 or boundary.endswith(' '):
        raise MultipartError('Malformed multipart boundary')
    return boundary


def _bad_request(exc):
    return HTTPException(400, 'Malformed multipart body: ' + str(exc))


class FormDataIter:
    """Iterate over the fields of a ``multipart/form-data`` request::

        async for name, value in FormDataIter(request):
            ...

    ``value`` is a str for a text field and a ``FileUpload`` for a file.
    A file must be read (``read()``, ``save()`` or ``copy()``) before the
    next iteration, which skips what is left of it. A request of another
    content type gives no fields.

    ``max_file_size`` and ``max_field_size`` override the class attributes
    of the same names for this request.
    """
    #: Bytes read from the request body at a time.
    buffer_size = 256
    #: Largest text field accepted, in bytes (413 past it).
    max_field_size = 16 * 1024
    #: Largest file accepted, in bytes (413 past it); None: limited only
    #: by ``Request.max_content_length``.
    max_file_size = None

    def __init__(self, request, max_file_size=None, max_field_size=None):
        self.request = request
        if max_file_size is not None:
            self.max_file_size = max_file_size
        if max_field_size is not None:
            self.max_field_size = max_field_size
        self.parser = None
        self.generation = 0      # which part the current FileUpload reads
        self.in_part = False
        self.pending = b''
        self.size = 0            # bytes of the current part so far
        self.limit = None
        try:
            boundary = boundary_of(request.content_type)
        except MultipartError as exc:
            raise _bad_request(exc)
        if boundary is not None:
            self.parser = MultipartParser(boundary)

    @property
    def is_multipart(self):
        return self.parser is not None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.parser is None:
            raise StopAsyncIteration
        self.limit = None
        while self.in_part:   # skip what the app left of the last part
            self.pending = b''
            await self._fill()
        self.generation += 1
        kind, value = await self._next_event()
        if kind == END:
            self.parser = None
            raise StopAsyncIteration
        name, filename, content_type = value
        self.in_part = True
        self.pending = b''
        self.size = 0
        if filename is None:
            self.limit = self.max_field_size
            data = await self._read(-1)
            try:
                return name, data.decode()
            except Exception:
                raise HTTPException(400, 'Form field is not UTF-8')
        self.limit = self.max_file_size
        return name, FileUpload(filename, content_type,
                                self._reader(self.generation))

    def _reader(self, generation):
        async def read(n=-1):
            if generation != self.generation:
                raise ValueError('This upload was skipped: read a file '
                                 'before moving to the next field')
            return await self._read(n)
        return read

    async def _next_event(self):
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except MultipartError as exc:
                raise _bad_request(exc)
            if event[0] != NEED_DATA:
                return event
            try:
                data = await self.request.stream.read(self.buffer_size)
            except Exception as exc:
                if is_disconnect(exc):
                    raise HTTPException(400, 'Body ended early')
                raise
            if data:
                parser.feed(data)
            else:
                parser.feed_eof()

    async def _fill(self):
        """Put the next bytes of the current part in ``pending``; clears
        ``in_part`` at its end."""
        kind, value = await self._next_event()
        if kind == DATA:
            self.size += len(value)
            if self.limit is not None and self.size > self.limit:
                raise HTTPException(413)
            self.pending = value
        else:   # PART_END: a PART or END cannot come before it
            self.in_part = False

    async def _read(self, n):
        parts = []
        wanted = n
        while wanted != 0:
            if not self.pending:
                if not self.in_part:
                    break
                await self._fill()
                continue
            data = self.pending
            if 0 < wanted < len(data):
                data, self.pending = data[:wanted], data[wanted:]
            else:
                self.pending = b''
            parts.append(data)
            if wanted > 0:
                wanted -= len(data)
        return b''.join(parts)


def _random_name():
    return ''.join('{:02x}'.format(b) for b in os.urandom(6))


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _temp_dir():
    directory = FileUpload.temp_dir
    if directory is None:
        try:
            import tempfile
            directory = tempfile.gettempdir()
        except ImportError:   # MicroPython: the current directory
            directory = ''
    return directory


class FileUpload:
    """A file of a multipart form.

    ``filename`` and ``content_type`` are what the client sent; ``read``
    is the async function that reads the file's bytes (given by
    ``FormDataIter``)."""
    #: Files up to this size are copied to memory by ``copy()``; larger
    #: ones go to a temporary file.
    max_memory_size = 1024
    #: Directory of the temporary files made by ``copy()``. None: the
    #: system's temporary directory where there is one (CPython), else the
    #: current directory.
    temp_dir = None

    def __init__(self, filename, content_type, read):
        self.filename = filename
        self.content_type = content_type
        self._read = read
        self._file = None
        self._temp_path = None

    async def read(self, n=-1):
        """Up to ``n`` bytes of the file (fewer only at its end); the rest
        of it when ``n`` is -1. b'' at the end."""
        return await self._read(n)

    async def save(self, path_or_file, keep_partial=False):
        """Write the file to a path or an open binary file, reading
        ``FormDataIter.buffer_size`` bytes at a time.

        A path is written under a temporary name and renamed when the whole
        file has arrived, so a failed upload (client gone, size limit)
        leaves neither a partial file nor a damaged older one. With
        ``keep_partial=True`` it is written in place and what arrived is
        kept."""
        if not isinstance(path_or_file, str):
            await self._copy_to(path_or_file)
            return
        target = path_or_file if keep_partial else \
            path_or_file + '.' + _random_name() + '.part'
        f = open(target, 'wb')
        try:
            await self._copy_to(f)
        except BaseException:
            f.close()
            if not keep_partial:
                _remove(target)
            raise
        f.close()
        if target != path_or_file:
            try:
                os.rename(target, path_or_file)
            except OSError:   # file systems that will not replace a file
                _remove(path_or_file)
                os.rename(target, path_or_file)

    async def _copy_to(self, f):
        size = FormDataIter.buffer_size
        while True:
            data = await self.read(size)
            if not data:
                break
            f.write(data)

    async def copy(self, max_memory_size=None):
        """Read the whole file now, into memory when it has at most
        ``max_memory_size`` bytes (default: the class attribute), else
        into a temporary file, so that the form's later fields can be read.
        Returns this object, whose ``read()`` then reads the copy; call
        ``close()`` to remove a temporary file."""
        if max_memory_size is None:
            max_memory_size = self.max_memory_size
        data = await self.read(max_memory_size + 1) \
            if max_memory_size >= 0 else b''
        if len(data) <= max_memory_size:
            self._read = AsyncBytesIO(data).read
            return self
        directory = _temp_dir()
        while True:
            path = (directory + '/' if directory else '') + \
                'upload-' + _random_name() + '.tmp'
            try:
                os.stat(path)
            except OSError:
                break
        f = open(path, 'wb')
        try:
            f.write(data)
            data = None
            await self._copy_to(f)
        except BaseException:
            f.close()
            _remove(path)
            raise
        f.close()
        self._temp_path = path
        self._file = open(path, 'rb')
        self._read = self._read_copy
        return self

    async def _read_copy(self, n=-1):
        return self._file.read(n) if n >= 0 else self._file.read()

    async def close(self):
        """Remove the temporary file of ``copy()``, if any."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._read = AsyncBytesIO().read
        if self._temp_path is not None:
            _remove(self._temp_path)
            self._temp_path = None


async def _close_all(files):
    for name in list(files.keys()):
        for upload in files.getlist(name):
            await upload.close()


def with_form_data(f=None, max_file_size=None, max_field_size=None,
                   max_memory_size=None):
    """Route decorator: read a multipart form into ``request.form`` (a
    MultiDict of str) and ``request.files`` (a MultiDict of FileUpload)
    before the handler runs; temporary files are removed after it.

    Usable bare (``@with_form_data``) or with limits
    (``@with_form_data(max_file_size=1024 * 1024)``); ``max_memory_size``
    overrides ``FileUpload.max_memory_size``. A request of another content
    type passes through untouched."""
    if f is None:
        def decorator(handler):
            return with_form_data(handler, max_file_size, max_field_size,
                                  max_memory_size)
        return decorator

    async def wrapper(request, *args, **kwargs):
        fields = FormDataIter(request, max_file_size, max_field_size)
        if not fields.is_multipart:
            return await invoke(f, request, *args, **kwargs)
        form = MultiDict()
        files = MultiDict()
        budget = Request.max_body_length   # bytes kept in memory
        memory_size = FileUpload.max_memory_size \
            if max_memory_size is None else max_memory_size
        try:
            async for name, value in fields:
                if isinstance(value, FileUpload):
                    files[name] = value
                    await value.copy(min(memory_size, budget))
                    if value._temp_path is None:   # copied to memory
                        budget -= fields.size
                else:
                    budget -= len(value)
                    if budget < 0:
                        raise HTTPException(413)
                    form[name] = value
        except BaseException:
            await _close_all(files)
            raise
        request.form = form
        request.files = files
        try:
            return await invoke(f, request, *args, **kwargs)
        finally:
            await _close_all(files)
    return wrapper
