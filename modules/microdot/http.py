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
from .compat import decode_utf8

_TOKEN_CHARS = set(
    b"!#$%&'*+-.^_`|~0123456789"
    b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')

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


class HTTPException(Exception):
    """An HTTP error status, raised by ``abort()`` or by the parser."""
    def __init__(self, status_code, reason=None):
        super().__init__(status_code, reason)
        self.status_code = status_code
        self.reason = reason or reason_phrase(status_code, 'Error')

    def __repr__(self):  # pragma: no cover
        return 'HTTPException: {}'.format(self.status_code)


class ProtocolError(HTTPException):
    """The client broke the protocol: answer, then close the connection."""


def _is_token(data):
    if not data:
        return False
    for byte in data:
        if byte not in _TOKEN_CHARS:
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


# The usual methods and versions as the str they parse to, so that the
# common request line costs no token scan and no decoding.
_METHODS = {b'GET': 'GET', b'POST': 'POST', b'HEAD': 'HEAD', b'PUT': 'PUT',
            b'DELETE': 'DELETE', b'PATCH': 'PATCH', b'OPTIONS': 'OPTIONS'}
_VERSIONS = {b'HTTP/1.1': '1.1', b'HTTP/1.0': '1.0'}


def parse_request_line(line, max_length):
    """Split ``b'GET /x HTTP/1.1'`` into ``('GET', '/x', '1.1')``."""
    if len(line) > max_length:
        raise ProtocolError(414)
    parts = line.split(b' ')
    if len(parts) != 3:
        raise ProtocolError(400, 'Malformed request line')
    method, target, version = parts
    known = _METHODS.get(method)
    if known is None and not _is_token(method):
        raise ProtocolError(400, 'Malformed method')
    if version not in _VERSIONS:
        if not version.startswith(b'HTTP/') or len(version) != 8 or \
                version[6] != 46 or not (48 <= version[5] <= 57) or \
                not (48 <= version[7] <= 57):
            raise ProtocolError(400, 'Malformed HTTP version')
        raise ProtocolError(505)
    if not target or b'\x00' in target or b'\r' in target or \
            b'\t' in target:
        raise ProtocolError(400, 'Malformed target')
    first = target[0]
    if first != 47:  # '/'
        if target == b'*':
            pass
        elif target.startswith(b'http://') or target.startswith(b'https://'):
            # absolute form: keep path and query only
            slash = target.find(b'/', target.find(b'//') + 2)
            target = target[slash:] if slash >= 0 else b'/'
        else:
            raise ProtocolError(400, 'Malformed target')
    try:
        target = decode_utf8(target)
    except ValueError:
        raise ProtocolError(400, 'Target is not valid UTF-8')
    return known or method.decode(), target, _VERSIONS[version]


# The last few short request lines parsed (a device serves a handful of
# URLs): parsing is a pure function of the line, so its result is reused.
_LINES = {}


def parse_head(data, end, max_line, max_headers, headers):
    """Parse the request head in ``data[:end]`` (CRLFs, no final blank line).

    Header fields are stored in ``headers`` (a NoCaseDict) under their
    given names; repeated fields are joined with commas as RFC 9110 allows,
    except the ones that must not repeat. Returns (method, target, version).
    """
    line_end = data.find(b'\r\n', 0, end)
    if line_end < 0:
        line_end = end
    if data.find(b'\n', 0, line_end) >= 0:
        raise ProtocolError(400, 'Bare LF in request line')
    if line_end > max_line:
        raise ProtocolError(414)
    line = data[:line_end]
    parsed = _LINES.get(line)
    if parsed is None:
        parsed = parse_request_line(line, max_line)
        if len(_LINES) < 8 and line_end <= 64:
            _LINES[line] = parsed
    method, target, version = parsed
    count = 0
    pos = line_end + 2
    while pos < end:
        line_end = data.find(b'\r\n', pos, end)
        if line_end < 0:
            line_end = end
        if line_end - pos > max_line:
            raise ProtocolError(431)
        count += 1
        if count > max_headers:
            raise ProtocolError(431)
        _parse_field(data, pos, line_end, headers)
        pos = line_end + 2
    return method, target, version


# Header names seen so far, as bytes -> checked str (bounded in count and
# length): the same few names come in every request, and this spares
# their token scan and decoding.
_NAMES = {}


def _parse_field(data, start, stop, headers):
    # the field in data[start:stop], parsed in place: no slice of the line
    colon = data.find(b':', start, stop)
    if colon <= start:
        raise ProtocolError(400, 'Malformed header')
    raw = data[start:colon]
    name = _NAMES.get(raw)
    if name is None:
        if not _is_token(raw):
            raise ProtocolError(400, 'Malformed header name')
        name = raw.decode()
        if len(_NAMES) < 32 and len(raw) <= 24:
            _NAMES[raw] = name
    first = colon + 1           # the value, without spaces and tabs around
    while first < stop and (data[first] == 32 or data[first] == 9):
        first += 1
    while stop > first and (data[stop - 1] == 32 or data[stop - 1] == 9):
        stop -= 1
    if data.find(b'\n', first, stop) >= 0 or \
            data.find(b'\r', first, stop) >= 0 or \
            data.find(b'\x00', first, stop) >= 0:
        raise ProtocolError(400, 'Malformed header value')
    try:
        value = decode_utf8(data[first:stop])
    except ValueError:
        raise ProtocolError(400, 'Header value is not valid UTF-8')
    old = headers.get(name)
    if old is None:
        headers[name] = value
        return
    lower = name.lower()
    if lower == 'content-length' or lower == 'host' or \
            lower == 'transfer-encoding':
        raise ProtocolError(400, 'Repeated ' + name)
    headers[name] = old + ('; ' if lower == 'cookie' else ', ') + value


def parse_content_length(value):
    """A Content-Length field as an int; ASCII digits only, else a 400
    (str.isdigit() would also take other scripts' digits on CPython)."""
    if not value or len(value) > 15 or value.strip('0123456789'):
        raise ProtocolError(400, 'Malformed Content-Length')
    return int(value)


# Status lines made so far, by status code (bounded).
_STATUS_LINES = {}


def response_head(status_code, reason, headers):
    """Serialise the status line and header fields of a response.

    A header value that is a list becomes one field per item (Set-Cookie).
    CR or LF in a value would let a caller inject headers: it is refused."""
    known = _STATUS_LINES.get(status_code)    # (reason, status line)
    if known is not None and known[0] == reason:
        status = known[1]
    else:
        status = 'HTTP/1.1 ' + str(status_code) + ' ' + reason + '\r\n'
        if len(_STATUS_LINES) < 16:
            _STATUS_LINES[status_code] = (reason, status)
    parts = [status]
    for name, value in headers.items():
        if isinstance(value, list):
            for item in value:
                _add_field(parts, name, item)
            continue
        if not isinstance(value, str):
            value = str(value)
        if '\n' in value or '\r' in value or '\n' in name or '\r' in name:
            raise ValueError('CR or LF in header ' + name)
        parts.append(name)
        parts.append(': ')
        parts.append(value)
        parts.append('\r\n')
    parts.append('\r\n')
    return ''.join(parts).encode()


def _add_field(parts, name, value):
    value = str(value)
    if '\n' in value or '\r' in value or '\n' in name or '\r' in name:
        raise ValueError('CR or LF in header ' + name)
    parts.append(name)
    parts.append(': ')
    parts.append(value)
    parts.append('\r\n')


def chunk(data):
    """Frame ``data`` as one chunk of a chunked body."""
    return b'%x\r\n' % len(data) + data + b'\r\n'


LAST_CHUNK = b'0\r\n\r\n'
