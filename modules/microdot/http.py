"""HTTP/1.1 wire format, free of I/O.

Parsing takes bytes that have already been read and returns plain values;
serialising turns values into bytes. Nothing here touches a socket, so the
parser can be fed hostile input in tests on every runtime.

Rules enforced on requests (RFC 9112):
- lines end with CRLF; a bare LF in the head is a 400;
- the request line is ``METHOD SP TARGET SP HTTP/x.y``: a 400 otherwise, a
  505 for a version other than 1.0 or 1.1;
- header names are tokens with no space before the colon; folded lines,
  a doubled or malformed Content-Length, and Content-Length together with
  Transfer-Encoding are 400s; a transfer coding other than chunked is a 501.
"""
from .compat import const, decode_utf8


def byte_table(chars):
    """A table of the 256 byte values, 1 for those of the ASCII ``chars``.

    Untrusted text is checked byte by byte through such tables: on
    MicroPython, iterating a str, indexing it or chr() interns each new
    character for good (a qstr: some 20 bytes), so a client sending
    characters never seen before could make the heap grow without end."""
    table = bytearray(256)
    for byte in chars.encode():
        table[byte] = 1
    return table


_TOKEN = byte_table("!#$%&'*+-.^_`|~0123456789"
                    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')

# Reason phrases, a line each: one str costs less memory than a dict.
_REASONS = """
100 Continue
101 Switching Protocols
200 OK
201 Created
202 Accepted
204 No Content
206 Partial Content
301 Moved Permanently
302 Found
303 See Other
304 Not Modified
307 Temporary Redirect
308 Permanent Redirect
400 Bad Request
401 Unauthorized
403 Forbidden
404 Not Found
405 Method Not Allowed
406 Not Acceptable
408 Request Timeout
409 Conflict
410 Gone
411 Length Required
412 Precondition Failed
413 Content Too Large
414 URI Too Long
415 Unsupported Media Type
422 Unprocessable Content
429 Too Many Requests
431 Request Header Fields Too Large
500 Internal Server Error
501 Not Implemented
502 Bad Gateway
503 Service Unavailable
505 HTTP Version Not Supported
"""


def reason_phrase(status_code, default='Unknown'):
    """The standard reason phrase of ``status_code`` (``default`` for a
    status this table does not know)."""
    key = '\n' + str(status_code) + ' '
    start = _REASONS.find(key)
    if start < 0:
        return default
    start += len(key)
    return _REASONS[start:_REASONS.find('\n', start)]


#: The text of a 413 answer, as in Microdot.
TOO_LARGE = 'Payload too large'


class HTTPException(Exception):
    """An HTTP error status, raised by ``abort()`` or by the parser.

    ``reason`` (None when not given) is the text of the answer; without
    one, an error answer says ``N/A``, as Microdot's does."""
    def __init__(self, status_code, reason=None):
        super().__init__(status_code, reason)
        self.status_code = status_code
        self.reason = reason

    def __repr__(self):  # pragma: no cover
        return 'HTTPException: {}'.format(self.status_code)


class ProtocolError(HTTPException):
    """The client broke the protocol: answer, then close the connection.
    Without a ``reason``, the answer says the status's standard phrase."""
    def __init__(self, status_code, reason=None):
        super().__init__(status_code, reason or reason_phrase(status_code))


def _is_token(text):
    if not text:
        return False
    for byte in text.encode():
        if not _TOKEN[byte]:
            return False
    return True


def find_head_end(buffer, start=0):
    """Index of the CRLFCRLF that ends a request head in ``buffer``, or -1.

    Raises ProtocolError when the client ends its head with bare LFs, so that
    such a request is refused at once instead of waiting for a timeout."""
    end = buffer.find(b'\r\n\r\n', start)
    if end < 0 and buffer.find(b'\n\n', start) >= 0:
        raise ProtocolError(400, 'Bare LF in request head')
    return end


# The usual methods, and the versions as the str they parse to.
_METHODS = ('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')
_VERSIONS = {'HTTP/1.1': '1.1', 'HTTP/1.0': '1.0'}
_DIGITS = '0123456789'


def check_head(data, end, max_line):
    """Check what the request head ``data[:end]`` needs checked as a whole:
    the request line's length (414) and line end, and that it is UTF-8.
    parse_request_head() then parses it."""
    line_end = data.find(b'\r\n', 0, end)
    if line_end < 0:
        line_end = end
    if data.find(b'\n', 0, line_end) >= 0:
        raise ProtocolError(400, 'Bare LF in request line')
    if line_end > max_line:
        raise ProtocolError(414)
    if end != len(data) and (end + 4 != len(data) or
                             not data.endswith(b'\r\n\r\n')):
        data = data[:end]   # (a head with its blank line is decoded whole)
    _check_head_utf8(data)


def _check_head_utf8(data):
    # (apart from check_head(): a try block would make its frame too large
    # for MicroPython to keep on the C stack)
    try:
        decode_utf8(data)
    except ValueError:
        raise ProtocolError(400, 'Request head is not valid UTF-8')


def parse_request_line(line, max_length):
    """Split ``'GET /x HTTP/1.1'`` (str or bytes) into
    ``('GET', '/x', '1.1')``."""
    if len(line) > max_length:
        raise ProtocolError(414)
    if not isinstance(line, str):
        try:
            line = decode_utf8(line)
        except ValueError:
            raise ProtocolError(400, 'Request line is not valid UTF-8')
    parts = line.split(' ')
    if len(parts) != 3:
        raise ProtocolError(400, 'Malformed request line')
    method, target, version = parts
    if method not in _METHODS and not _is_token(method):
        raise ProtocolError(400, 'Malformed method')
    known = _VERSIONS.get(version)
    if known is None:
        # (slices, not indexes: see byte_table)
        if len(version) != 8 or not version.startswith('HTTP/') or \
                version[6:7] != '.' or version[5:6] not in _DIGITS or \
                version[7:] not in _DIGITS:
            raise ProtocolError(400, 'Malformed HTTP version')
        raise ProtocolError(505)
    if not target or '\x00' in target or '\r' in target or '\t' in target:
        raise ProtocolError(400, 'Malformed target')
    if not target.startswith('/'):
        if target == '*':
            pass
        elif target.startswith('http://') or target.startswith('https://'):
            # absolute form: keep path and query only
            slash = target.find('/', target.find('//') + 2)
            target = target[slash:] if slash >= 0 else '/'
        else:
            raise ProtocolError(400, 'Malformed target')
    return method, target, known


# Request lines parsed so far with their result, and header names seen so
# far with their str and lowercase forms (by length), both bounded: a device
# serves a handful of URLs to a handful of clients, and a known line or name
# is recognised with startswith(), which allocates nothing.
_LINES = []
_NAMES = {}
_names_count = 0


def _new_request_line(line, max_line):
    parsed = parse_request_line(line, max_line)
    if len(_LINES) < 8 and len(line) <= 64:
        _LINES.append((line, parsed))
    return parsed


# The fields the parser acts on, by lowercase name: their kind.
_OTHER = const(0)
_LENGTH = const(1)
_CODING = const(2)
_HOST = const(3)
_CONNECTION = const(4)
_EXPECT = const(5)
_COOKIE = const(6)
_KINDS = {'content-length': _LENGTH, 'transfer-encoding': _CODING,
          'host': _HOST, 'connection': _CONNECTION, 'expect': _EXPECT,
          'cookie': _COOKIE}


def _new_field_name(raw):
    """(bytes, name, kind, lowercase name) for a field name not seen
    before."""
    global _names_count
    name = raw.decode()
    if not _is_token(name):
        raise ProtocolError(400, 'Malformed header name')
    lower = name.lower()
    known = (raw, name, _KINDS.get(lower, _OTHER), lower)
    if _names_count < 32 and len(raw) <= 24:
        _names_count += 1
        same_length = _NAMES.get(len(raw))
        if same_length is None:
            _NAMES[len(raw)] = [known]
        else:
            same_length.append(known)
    return known


def parse_head(data, end, max_line, max_headers, headers):
    """Check and parse the request head in ``data[:end]`` (bytes; CRLFs, no
    final blank line) into (method, target, version), storing its header
    fields in ``headers``. See parse_request_head()."""
    check_head(data, end, max_line)
    return parse_request_head(data, end, max_line, max_headers, headers)[:3]


def parse_request_head(data, end, max_line, max_headers, headers=None):
    """Parse the request head ``data[:end]`` (bytes) that check_head()
    passed.

    Returns (method, target, version, content_length, transfer_encoding,
    connection, expect, cookie): the last five are the values (str) of the
    fields the server acts on, or None (the Cookie field's spares a second
    parse to apps that read cookies, sessions first). With ``headers`` (a
    NoCaseDict, empty: it needs ``add_new()``) every field is also stored
    there under its given name; repeated fields are joined with commas as
    RFC 9110 allows (cookies with '; '), except Content-Length,
    Transfer-Encoding and Host, which are a 400.

    It scans bytes: on MicroPython every position given to a str method
    costs a walk from the start of the str (its index counts characters of
    UTF-8), which makes a parser over a str quadratic in the head's length
    (a browser's 766-byte head: 137 us as a str, 55 us as bytes, on the
    unix port). Only the values kept become str."""
    line_end = data.find(b'\r\n', 0, end)
    if line_end < 0:
        line_end = end
    parsed = None
    for line, parsed in _LINES:
        if len(line) == line_end and data.startswith(line):
            break
        parsed = None
    if parsed is None:
        parsed = _new_request_line(data[:line_end], max_line)
    method, target, version = parsed
    length = coding = connection = expect = cookie = None
    host = False
    count = 0
    if headers is not None:
        seen = []
    pos = line_end + 2
    # no NUL in any value (the request line passed this check already)
    if pos < end and data.find(b'\x00', pos, end) >= 0:
        raise ProtocolError(400, 'Malformed header value')
    while pos < end:
        # a field line ends at its CR, which must come with its LF: no CR
        # or LF anywhere else
        line_end = data.find(b'\r', pos, end)
        if line_end < 0:
            line_end = end
        if data.find(b'\n', pos, end) != \
                (line_end + 1 if line_end < end else -1):
            raise ProtocolError(400, 'Malformed header value')
        if line_end - pos > max_line:
            raise ProtocolError(431)
        count += 1
        if count > max_headers:
            raise ProtocolError(431)
        colon = data.find(b':', pos, line_end)
        if colon <= pos:
            raise ProtocolError(400, 'Malformed header')
        # a known name is recognised in place; only a new one is sliced
        # and checked (no call per field: on MicroPython a call whose
        # frame is this large allocates it on the heap)
        name = None
        known = _NAMES.get(colon - pos)
        if known is not None:
            for raw, name, kind, lower in known:
                if data.startswith(raw, pos):
                    break
                name = None
        if name is None:
            raw, name, kind, lower = _new_field_name(data[pos:colon])
        first = colon + 1       # the value, without spaces and tabs around
        while data.startswith(b' ', first) or data.startswith(b'\t', first):
            first += 1
        stop = line_end
        while stop > first and data[stop - 1] in b' \t':
            stop -= 1
        pos = line_end + 2
        value = None
        if kind == _OTHER:
            pass
        elif kind == _COOKIE:
            value = data[first:stop].decode()
            cookie = value if cookie is None else cookie + '; ' + value
        elif kind == _LENGTH:
            if length is not None:
                raise ProtocolError(400, 'Repeated ' + name)
            value = length = data[first:stop].decode()
        elif kind == _CODING:
            if coding is not None:
                raise ProtocolError(400, 'Repeated ' + name)
            value = coding = data[first:stop].decode()
        elif kind == _HOST:
            if host:
                raise ProtocolError(400, 'Repeated ' + name)
            host = True
        elif kind == _CONNECTION:
            value = data[first:stop].decode()
            connection = value if connection is None else \
                connection + ', ' + value
        else:   # _EXPECT
            value = data[first:stop].decode()
            expect = value if expect is None else expect + ', ' + value
        if headers is None:
            continue
        if value is None:
            value = data[first:stop].decode()
        # a name new to this head is stored without the lookups of another
        # spelling that NoCaseDict makes in Python (a scan of its keys
        # each): the lowercase names seen so far are compared in C
        if lower not in seen:
            seen.append(lower)
            headers.add_new(name, value)
        else:
            headers[name] = headers[name] + \
                ('; ' if kind == _COOKIE else ', ') + value
    return (method, target, version, length, coding, connection, expect,
            cookie)


def parse_content_length(value):
    """A Content-Length field as an int; ASCII digits only, else a 400
    (str.isdigit() would also take other scripts' digits on CPython)."""
    if not value or len(value) > 15 or value.strip('0123456789'):
        raise ProtocolError(400, 'Malformed Content-Length')
    return int(value)


# Status lines with the standard reason phrase made so far, by status code
# (bounded).
_STATUS_LINES = {}


def response_head(status_code, reason, headers):
    """Serialise the status line and header fields of a response; a
    ``reason`` of None stands for the status's standard phrase.

    A header value that is a list becomes one field per item (Set-Cookie).
    CR or LF in a value would let a caller inject headers: it is refused."""
    # the list of parts is made at its final size: grown by append() it
    # would be reallocated four times for a response of three fields
    parts = [None] * (_field_count(headers) * 4 + 2)
    parts[0] = _status_line(status_code, reason)
    index = 1
    for name in headers:
        value = headers[name]
        if isinstance(value, list):
            for item in value:
                index = _add_field(parts, index, name, item)
        else:
            index = _add_field(parts, index, name, value)
    parts[index] = '\r\n'
    return ''.join(parts).encode()


# Heads of plain responses made so far (see plain_head()): by content
# type, then by status code and whether the connection closes, a (reason,
# head) pair. Bounded: at most 4 types of 8 heads each; when full, it
# starts again with what is answered now.
_PLAIN_HEADS = {}


def plain_head(status_code, reason, content_type, closing):
    """The head of the usual response, whose only header fields are
    Content-Type, Content-Length and, when ``closing``, ``Connection:
    close``, up to the length's value: made once for each status and
    content type (JSON and text answers alternate without making them
    again)."""
    heads = _PLAIN_HEADS.get(content_type)
    known = None if heads is None else \
        heads.get(status_code * 2 + (1 if closing else 0))
    if known is None or known[0] != reason:
        known = _new_plain_head(status_code, reason, content_type, closing)
    return known[1]


def _new_plain_head(status_code, reason, content_type, closing):
    # (apart from plain_head(), whose frame then stays small enough for
    # MicroPython to keep it on the C stack instead of allocating it; the
    # key is computed again here, as one more argument would not fit)
    fields = {'Content-Type': content_type}
    if closing:
        fields['Connection'] = 'close'
    # response_head() checks the fields; its blank line goes
    head = response_head(status_code, reason, fields)[:-2] + \
        b'Content-Length: '
    known = (reason, head)
    heads = _PLAIN_HEADS.get(content_type)
    if heads is None:
        if len(_PLAIN_HEADS) >= 4:
            _PLAIN_HEADS.clear()    # full: the types answered now win
        heads = _PLAIN_HEADS[content_type] = {}
    elif len(heads) >= 8:
        heads.clear()
    heads[status_code * 2 + (1 if closing else 0)] = known
    return known


def _field_count(headers):
    count = len(headers)
    for value in headers.values():
        if isinstance(value, list):
            count += len(value) - 1
    return count


def _status_line(status_code, reason):
    if reason is not None:
        # a reason of the app's own: not kept, lest it stand for the standard
        return 'HTTP/1.1 ' + str(status_code) + ' ' + reason + '\r\n'
    line = _STATUS_LINES.get(status_code)
    if line is None:
        line = _status_line(status_code, reason_phrase(status_code))
        if len(_STATUS_LINES) < 16:
            _STATUS_LINES[status_code] = line
    return line


def _add_field(parts, index, name, value):
    if not isinstance(value, str):
        value = str(value)
    if '\n' in value or '\r' in value or '\n' in name or '\r' in name:
        raise ValueError('CR or LF in header ' + name)
    parts[index] = name
    parts[index + 1] = ': '
    parts[index + 2] = value
    parts[index + 3] = '\r\n'
    return index + 4


def chunk(data):
    """Frame ``data`` as one chunk of a chunked body."""
    return b'%x\r\n' % len(data) + data + b'\r\n'


LAST_CHUNK = b'0\r\n\r\n'


def add_vary(headers, name):
    """Add ``name`` to the Vary field of ``headers`` unless it is listed
    (or the field is ``*``)."""
    current = headers.get('Vary')
    if not current:
        headers['Vary'] = name
        return
    listed = [field.strip().lower() for field in current.split(',')]
    if name.lower() not in listed and '*' not in listed:
        headers['Vary'] = current + ', ' + name


def vary_on(request, name):
    """Say that the answer to ``request`` depends on its header field
    ``name``: dispatch adds it to the response's Vary field. The names are
    kept where Microdot keeps them, in ``request.g._vary``."""
    g = request.g
    names = getattr(g, '_vary', None)
    if names is None:
        names = g._vary = set()
    names.add(name)
