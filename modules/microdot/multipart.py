"""multipart/form-data bodies (RFC 7578): forms with file uploads.

Three layers:

- ``MultipartParser``: the wire format, without I/O. Feed it bytes as they
  arrive, in pieces of any size (a boundary may be split anywhere), and
  take events: ``PART`` (name, filename, content type), ``DATA`` (bytes of
  the current part), ``PART_END``, ``END``, or ``NEED_DATA``. It holds back
  at most one delimiter's worth of bytes (or one part's headers), so
  memory does not grow with the body.
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

Memory. A file is written as it arrives, each piece the connection reads
(``buffer_size`` bytes) handed to the file as it is: the parser finds the
delimiters inside it and copies nothing but a delimiter or headers cut by
the end of a piece, into one small buffer. So an upload allocates little
more than the pieces the connection reads (a 1 MiB upload on a 32-bit
build: 1.54 MB left for the GC, of which 1.52 MB by the reads), and holds
no reference to a piece once it is written: on a small heap a piece still
referenced while the next one is read would take a block of its size that
the read needs.

Filenames are what the client sent: never use one as a path without
checking it.
"""
import os

from .compat import invoke, is_disconnect
from .bytesio import AsyncBytesIO
from .http import TOO_LARGE, HTTPException
from .request import Request
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
_PULL = 128        # bytes moved at a time into the parser's window


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

    Memory: a fed piece is parsed where it is, and a DATA that is all of
    it is the piece itself, so a file streams through without a copy. Only
    what spans two pieces (the start of a delimiter or part headers cut
    by the end of a piece) is copied, into the parser's one small
    bytearray, its window, which grows only for part headers longer than
    it is.
    """

    def __init__(self, boundary, max_head_length=2048):
        if isinstance(boundary, str):
            boundary = boundary.encode()
        self.delimiter = b'\r\n--' + boundary
        self.max_head_length = max_head_length
        self.window = bytearray(2 * len(self.delimiter))
        self.wview = memoryview(self.window)
        # window[wstart:wend] comes first, then piece[pstart:]; the first
        # delimiter may start the body with no CRLF before it
        self.window[0:2] = b'\r\n'
        self.wstart = 0
        self.wend = 2
        self.piece = b''
        self.pview = None    # memoryview(piece), made when needed
        self.pstart = 0
        self.state = _PREAMBLE
        self.eof = False
        self.value = None    # of the last PART or DATA event of _next()

    @property
    def buffer(self):
        """The bytes held and not parsed yet (a copy)."""
        return bytes(self.wview[self.wstart:self.wend]) + \
            self.piece[self.pstart:]

    def feed(self, data):
        if self.state == _DONE or not data:
            return
        if self.pstart < len(self.piece):   # fed before it needed data
            self._keep(len(self.piece))
        self.piece = data
        self.pview = None
        self.pstart = 0

    def feed_eof(self):
        self.eof = True

    def _piece_view(self):
        if self.pview is None:
            self.pview = memoryview(self.piece)
        return self.pview

    def _room(self, size):
        """Make room for ``size`` bytes after the window's; returns where
        they go."""
        start = self.wstart
        end = self.wend
        window = self.window
        if end + size <= len(window):
            return end
        held = end - start
        if held + size > len(window):   # long part headers
            window = bytearray(held + size + _PULL)
            window[0:held] = self.wview[start:end]
            self.window = window
            self.wview = memoryview(window)
        elif start < held:   # overlapping: copy from a copy
            window[0:held] = window[start:end]
        elif held:
            window[0:held] = self.wview[start:end]
        self.wstart = 0
        self.wend = held
        return held

    def _keep(self, end):
        """Move piece[pstart:end] to the end of the window."""
        size = end - self.pstart
        if size > 0:
            at = self._room(size)
            self.wview[at:at + size] = self._piece_view()[self.pstart:end]
            self.wend = at + size
            self.pstart = end

    def next_event(self):
        kind = self._next()
        if kind == DATA:
            return kind, bytes(self.value)
        return kind, self.value if kind == PART else None

    def _next(self):
        """The kind of the next event, without a tuple: the value of a PART
        or DATA is in ``value``; a DATA's (the piece fed, or a memoryview
        of it or of the window) is valid until the next call."""
        while True:
            state = self.state
            if state == _BODY:
                kind = self._body()
            elif state == _DELIMITED:
                kind = self._after_delimiter()
            elif state == _HEADERS:
                kind = self._headers()
            elif state == _PREAMBLE:
                # parsed as a part's data, which is dropped, up to the
                # first delimiter (PART_END)
                kind = self._body()
                if kind == DATA or kind == PART_END:
                    kind = None
            else:
                return END
            if kind is not None:   # None: parse again
                return kind

    # The states but the body parse ``_bytes()``: the window while it holds
    # bytes, else the piece; ``_skip_to`` consumes up to an index of it.

    def _bytes(self):
        if self.wstart < self.wend:
            return self.window, self.wstart, self.wend
        return self.piece, self.pstart, len(self.piece)

    def _skip_to(self, index):
        if self.wstart < self.wend:
            self.wstart = index
        else:
            self.pstart = index

    def _more(self, what):
        """Not enough bytes to go on: the rest of the piece goes to the
        window, part by part (None: parse again), and then the parser
        needs data."""
        if self.wstart == self.wend:
            self._keep(len(self.piece))
        elif self.pstart < len(self.piece):
            self._keep(min(len(self.piece), self.pstart + _PULL))
            return None
        if self.eof:
            raise MultipartError('Body ended in ' + (what or (
                'the preamble' if self.state == _PREAMBLE else 'a part')))
        # let the piece go before the next one is read: kept, it would be
        # one more block of the heap in use while that one is allocated
        self.piece = b''
        self.pview = None
        self.pstart = 0
        self.value = None
        return NEED_DATA

    def _after_delimiter(self):
        buffer, start, end = self._bytes()
        if end - start < 2:
            return self._more('a delimiter')
        if buffer[start] == 45 and buffer[start + 1] == 45:   # --
            self.state = _DONE
            self.wstart = self.wend = 0   # the epilogue is ignored
            self.piece = b''
            self.pview = None
            self.pstart = 0
            return END
        index = buffer.find(b'\r\n', start, end)
        # the padding may be all there but for the LF of its CRLF
        if index < 0 and end - start <= _MAX_PADDING + 1:
            return self._more('a delimiter')
        if index < 0 or index - start > _MAX_PADDING:
            raise MultipartError('Malformed delimiter')
        for i in range(start, index):
            if buffer[i] != 32 and buffer[i] != 9:   # space, tab
                raise MultipartError('Malformed delimiter')
        self._skip_to(index + 2)
        self.state = _HEADERS
        return None

    def _headers(self):
        buffer, start, end = self._bytes()
        if end - start >= 2 and buffer[start] == 13 and \
                buffer[start + 1] == 10:   # a part without headers
            head = b''
            self._skip_to(start + 2)
        else:
            index = buffer.find(b'\r\n\r\n', start, end)
            if index < 0 or index - start > self.max_head_length:
                # (max_head_length + 4 bytes without a CRLF CRLF: none can
                # end in time)
                if index - start > self.max_head_length or \
                        end - start >= self.max_head_length + 4:
                    raise MultipartError('Part headers too long')
                return self._more('part headers')
            head = bytes(buffer[start:index])
            self._skip_to(index + 4)
        self.state = _BODY
        self.value = parse_part_head(head)
        return PART

    def _body(self):
        if self.wstart < self.wend:
            return self._body_window()
        delimiter = self.delimiter
        piece = self.piece
        start = self.pstart
        end = len(piece)
        index = piece.find(delimiter, start)
        if index == start:
            self.pstart = start + len(delimiter)
            self.state = _DELIMITED
            return PART_END
        tail = False
        if index < 0:
            # the end may be the start of a delimiter that the next piece
            # completes: it begins with CR, so from the first CR among the
            # last len(delimiter) - 1 bytes on, it waits in the window
            index = piece.find(b'\r', max(start, end - len(delimiter) + 1))
            if index < 0:
                index = end
            else:
                tail = True
            if index == start:
                return self._more(None)
        if start == 0 and index == end:
            self.value = piece
        else:
            self.value = self._piece_view()[start:index]
        self.pstart = index
        if tail:
            self._keep(end)
        return DATA

    def _body_window(self):
        """The body, where it starts in the window: the window's bytes and
        the first ones of the piece (copied behind them, not consumed) tell
        whether a delimiter starts in the window."""
        delimiter = self.delimiter
        size = len(delimiter)
        peek = min(size - 1, len(self.piece) - self.pstart)
        at = self._room(peek)
        start = self.wstart
        if peek:
            self.wview[at:at + peek] = \
                self._piece_view()[self.pstart:self.pstart + peek]
        index = self.window.find(delimiter, start, at + peek)
        if index == start:
            # the delimiter ends in the window or in the piece
            if start + size >= at:
                self.pstart += start + size - at
                self.wstart = self.wend = 0
            else:
                self.wstart = start + size
            self.state = _DELIMITED
            return PART_END
        if index < 0 or index >= at:
            index = self.window.find(b'\r', max(start, at + peek - size + 1),
                                     at + peek)
            if index == start:
                # too few bytes to tell: the piece is used up
                self.wend = at + peek
                self.pstart += peek
                return self._more(None)
            if index < 0 or index >= at:
                index = at   # all of the window is data
        self.value = self.wview[start:index]
        if index == at:
            self.wstart = self.wend = 0
        else:
            self.wstart = index
        return DATA


def _skip_chars(text, i, chars):
    """The index of the first character from ``i`` on not in ``chars``."""
    while i < len(text) and text[i:i + 1] in chars:
        i += 1
    return i


def _quoted(text, i):
    """(the value, the index after it) of a quoted string whose opening
    quote is before ``i``: ``\\"`` and ``\\\\`` are escapes, any other
    backslash is kept."""
    pieces = []
    while True:
        quote = text.find('"', i)
        if quote < 0:
            quote = len(text)
        backslash = text.find('\\', i, quote)
        if backslash < 0:
            pieces.append(text[i:quote])
            return ''.join(pieces), quote + 1
        pieces.append(text[i:backslash])
        following = text[backslash + 1:backslash + 2]
        if following == '"' or following == '\\':
            pieces.append(following)
            i = backslash + 2
        else:
            pieces.append('\\')
            i = backslash + 1


def parse_options(text):
    """``'form-data; name="a"; filename="b.txt"'`` ->
    ``('form-data', {'name': 'a', 'filename': 'b.txt'})``.

    Values may be quoted (``\\"`` and ``\\\\`` are unescaped; any other
    backslash is kept, as browsers send them unescaped) or bare; names are
    lower-cased. An RFC 8187 ``name*=UTF-8''...`` value wins over the plain
    one."""
    # (slices of the text, never one character by index: see
    # http.byte_table)
    value, _, rest = text.partition(';')
    params = {}
    i = 0
    n = len(rest)
    while i < n:
        i = _skip_chars(rest, i, ' \t;')
        equals = rest.find('=', i)
        semicolon = rest.find(';', i)
        if equals < 0:
            break
        if 0 <= semicolon < equals:   # a parameter without a value
            i = semicolon
            continue
        key = rest[i:equals].strip().lower()
        i = _skip_chars(rest, equals + 1, ' \t')
        if rest[i:i + 1] == '"':
            item, i = _quoted(rest, i + 1)
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
                # (strict: RFC 8187's value-chars are pct-encoded bytes)
                params[key[:-1]] = url_decode(encoded, False, True)
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
    #: Bytes read from the request body at a time (Microdot's default; the
    #: connection reads at least 1 KiB from the socket, so 1024 spares a
    #: copy per read where the heap allows it).
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
        # the current part's bytes not read yet (a DATA of the parser),
        # used up before the parser is fed again: pending[pending_at:]
        self.pending = b''
        self.pending_at = 0
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
        self.pending = b''
        self.pending_at = 0
        if self.in_part:   # skip what the app left of the last part
            await self._event(_skip)
        self.generation += 1
        if await self._event() == END:
            self.parser = None
            raise StopAsyncIteration
        name, filename, content_type = self.parser.value
        self.in_part = True
        self.size = 0
        if filename is None:
            self.limit = self.max_field_size
            data = await self._read(-1)
            try:
                return name, data.decode()
            except Exception:
                raise HTTPException(400, 'Form field is not UTF-8')
        self.limit = self.max_file_size
        upload = FileUpload(filename, content_type,
                            self._reader(self.generation))
        upload._part = (self, self.generation)
        return name, upload

    def _check(self, generation):
        if generation != self.generation:
            raise ValueError('This upload was skipped: read a file before '
                             'moving to the next field')

    def _reader(self, generation):
        # returns _read()'s coroutine, for the caller to await: a coroutine
        # of its own would be one more allocation per read
        def read(n=-1):
            self._check(generation)
            return self._read(n)
        return read

    async def _event(self, write=None):
        """The parser's next event but NEED_DATA, reading the body as it
        needs; DATA is counted against the part's limit. Given ``write``,
        each DATA of the current part goes to it instead, and the event is
        the PART_END."""
        # Pieces are handled in _step and _feed, never in this frame: a
        # suspended coroutine's frame is scanned whole by the GC, stale
        # slots of its stack included, and would keep the last piece (a
        # block of 1 KiB) in use while the next one is allocated.
        while True:
            kind = self._step(write)
            if kind == NEED_DATA:
                try:
                    self._feed(await self.request.stream.read(
                        self.buffer_size))
                except Exception as exc:
                    if is_disconnect(exc):
                        raise HTTPException(400, 'Body ended early')
                    raise
            elif kind is not None:
                return kind

    def _step(self, write):
        """The parser's next event; None for a DATA given to ``write``."""
        parser = self.parser
        try:
            kind = parser._next()
        except MultipartError as exc:
            raise _bad_request(exc)
        if kind == DATA:
            self.size += len(parser.value)
            if self.limit is not None and self.size > self.limit:
                raise HTTPException(413, TOO_LARGE)
            if write is not None:
                write(parser.value)
                return None
        elif kind == PART_END:
            self.in_part = False
        return kind

    def _feed(self, data):
        if data:
            self.parser.feed(data)
        else:
            self.parser.feed_eof()

    async def _fill(self):
        """Put the next bytes of the current part in ``pending``; clears
        ``in_part`` at its end."""
        if await self._event() == DATA:
            self.pending = self.parser.value

    async def _read(self, n):
        # small, for its coroutine is allocated at each read: bytes that
        # are there already are taken at once, the rest read by _gather()
        if 0 < n <= len(self.pending) - self.pending_at:
            return self._take(n)
        return await self._gather(n)

    async def _gather(self, n):
        data = None
        parts = None     # only when the bytes come from more than one DATA
        wanted = n
        while wanted != 0:
            if not len(self.pending):
                if not self.in_part:
                    break
                await self._fill()
                continue
            piece = self._take(wanted)
            if wanted > 0:
                wanted -= len(piece)
            if data is None:
                data = piece
            elif parts is None:
                parts = [data, piece]
            else:
                parts.append(piece)
        if parts is not None:
            return b''.join(parts)
        return b'' if data is None else data

    def _take(self, wanted):
        """Up to ``wanted`` bytes of ``pending`` (all if < 0), as bytes.
        Only what is taken is copied (cutting the rest off at each read
        copied it again and again), and nothing when it is all of a bytes
        DATA."""
        data = self.pending
        at = self.pending_at
        end = len(data)
        if 0 < wanted < end - at:
            end = at + wanted
            self.pending_at = end
        else:
            self.pending = b''
            self.pending_at = 0
        if at or end < len(data):
            data = data[at:end]
        return bytes(data)

    def _rest(self):
        """What is left of ``pending``, taken (a view when it is part)."""
        data = self.pending
        if self.pending_at:
            data = memoryview(data)[self.pending_at:]
            self.pending_at = 0
        self.pending = b''
        return data

    async def _write_part(self, write, generation):
        """Give the rest of the current part to ``write``."""
        self._check(generation)
        if len(self.pending):
            write(self._rest())
        if self.in_part:
            await self._event(write)


def _skip(data):
    pass


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
        # (FormDataIter, generation) while the file is read from the request
        self._part = None

    async def read(self, n=-1):
        """Up to ``n`` bytes of the file (fewer only at its end); the rest
        of it when ``n`` is -1. b'' at the end."""
        return await self._read(n)

    async def save(self, path_or_file, keep_partial=False):
        """Write the file to a path or an open binary file, in pieces of at
        most ``FormDataIter.buffer_size`` bytes, each written as it arrives
        (a file gets memoryviews: anything with a ``write()`` that takes a
        bytes-like object will do).

        A path is written under a temporary name and renamed when the whole
        file has arrived, so a failed upload (client gone, size limit)
        leaves neither a partial file nor a damaged older one. With
        ``keep_partial=True`` it is written in place and what arrived is
        kept."""
        if not isinstance(path_or_file, str):
            await self._copy_to(path_or_file.write)
            return
        target = path_or_file if keep_partial else \
            path_or_file + '.' + _random_name() + '.part'
        f = open(target, 'wb')
        try:
            await self._copy_to(f.write)
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

    async def _copy_to(self, write):
        if self._part is not None:
            form, generation = self._part
            await form._write_part(write, generation)
            return
        size = FormDataIter.buffer_size
        # each piece only in _put: see FormDataIter._event
        while self._put(write, await self.read(size)):
            pass

    def _put(self, write, data):
        if data:
            write(data)
            return True
        return False

    async def copy(self, max_memory_size=None):
        """Read the whole file now, into memory when it has at most
        ``max_memory_size`` bytes (default: the class attribute), else
        into a temporary file, so that the form's later fields can be read.
        Returns this object, whose ``read()`` then reads the copy; call
        ``close()`` to remove a temporary file."""
        if self._file is not None:   # copied to a file already
            return self
        if max_memory_size is None:
            max_memory_size = self.max_memory_size
        self._kept = []   # copies of the pieces while they fit in memory
        self._limit = max_memory_size
        try:
            if self._part is None:
                await self._copy_to(self._spool)
            else:   # what does not fit goes to the file straight
                form, generation = self._part
                form._check(generation)
                while self._gather(form):
                    await form._fill()
                if self._file is not None and form.in_part:
                    await form._write_part(self._file.write, generation)
        except BaseException:
            self._kept = None
            if self._file is not None:
                self._file.close()
                self._file = None
                _remove(self._temp_path)
                self._temp_path = None
            raise
        if self._file is None:
            kept = self._kept
            self._read = AsyncBytesIO(kept[0] if len(kept) == 1 else
                                      b''.join(kept)).read
        else:
            self._file.close()
            self._file = open(self._temp_path, 'rb')
            self._read = self._read_copy
        self._kept = None
        self._part = None
        return self

    def _gather(self, form):
        """copy(): give what the form has read of the file to _spool; False
        when the file has ended or gone to a temporary file."""
        if len(form.pending):
            self._spool(form._rest())
            return self._file is None
        return form.in_part

    def _spool(self, data):
        """copy()'s ``write``: keeps copies in memory up to the limit, then
        moves them to a new temporary file and writes there."""
        if self._file is None:
            self._limit -= len(data)
            if self._limit >= 0:
                self._kept.append(bytes(data))
                return
            directory = _temp_dir()
            while True:
                path = (directory + '/' if directory else '') + \
                    'upload-' + _random_name() + '.tmp'
                try:
                    os.stat(path)
                except OSError:
                    break
            self._file = open(path, 'wb')
            self._temp_path = path
            for piece in self._kept:
                self._file.write(piece)
            self._kept = None
        self._file.write(data)

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


async def _close_all(uploads):
    for upload in uploads:
        await upload.close()


def with_form_data(f=None, max_file_size=None, max_field_size=None,
                   max_memory_size=None):
    """Route decorator: read a multipart form into ``request.form`` (a
    dict of str) and ``request.files`` (a dict of FileUpload) before the
    handler runs; temporary files are removed after it. They are plain
    dicts, as in Microdot: a name sent more than once keeps its last value
    (read such forms with FormDataIter).

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
        form = {}
        files = {}
        budget = Request.max_body_length   # bytes kept in memory
        memory_size = FileUpload.max_memory_size \
            if max_memory_size is None else max_memory_size
        try:
            async for name, value in fields:
                if isinstance(value, FileUpload):
                    replaced = files.get(name)
                    files[name] = value
                    if replaced is not None:    # out of the handler's reach
                        await replaced.close()
                    await value.copy(min(memory_size, budget))
                    if value._temp_path is None:   # copied to memory
                        budget -= fields.size
                else:
                    budget -= len(value)
                    if budget < 0:
                        raise HTTPException(413, TOO_LARGE)
                    form[name] = value
        except BaseException:
            await _close_all(files.values())
            raise
        request.form = form
        request.files = files
        try:
            return await invoke(f, request, *args, **kwargs)
        finally:
            await _close_all(files.values())
    return wrapper
