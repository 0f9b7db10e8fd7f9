"""The Response object: body conversions, cookies, files, and writing."""
import json

from .compat import const
from .http import HTTPException, plain_head, response_head
from .structures import NoCaseDict

_SMALL_BODY = const(1024)  # written in one go with the head below this
JSON_TYPE = 'application/json; charset=UTF-8'    # Microdot's
# tuples for isinstance(), made once: written in a call, one is built on
# the heap at each call on MicroPython
_JSON_TYPES = (dict, list)
_BYTES_TYPES = (bytes, bytearray)


class Response:
    #: Content type of responses that do not set one.
    default_content_type = 'text/plain'
    #: ``max_age`` used by ``send_file()`` when the caller gives none.
    default_send_file_max_age = None
    #: Bytes read from a file per write by ``send_file()``.
    send_file_buffer_size = 1024
    #: File extension to content type, for ``send_file()``.
    types_map = {
        'css': 'text/css',
        'gif': 'image/gif',
        'html': 'text/html',
        'ico': 'image/x-icon',
        'jpg': 'image/jpeg',
        'jpeg': 'image/jpeg',
        'js': 'application/javascript',
        'json': 'application/json',
        'png': 'image/png',
        'svg': 'image/svg+xml',
        'txt': 'text/plain',
        'wasm': 'application/wasm',
        'webp': 'image/webp',
    }
    #: Set by the server: frame a streamed body with chunked encoding.
    chunked = False
    #: Set by the server for HEAD requests: headers only.
    is_head = False

    #: Returned by handlers that wrote their own response on the socket
    #: (WebSocket); the server then closes the connection.
    already_handled = None

    #: The reason phrase; None for the standard one of the status.
    reason = None

    #: The status; 200 lives here, so that the usual response stores only
    #: its body (on MicroPython a third attribute reallocates the table).
    status_code = 200

    #: Set by the server: the connection closes after this response, which
    #: says so (Connection: close).
    close_connection = False

    # The header fields are made on first use: the usual response has none
    # of its own, and its head is written without them (_small_bytes()).
    _headers = None

    def __init__(self, body=b'', status_code=200, headers=None, reason=None):
        if status_code != 200:
            self.status_code = status_code
        if reason is not None:
            self.reason = reason
        if headers is not None:
            self._headers = NoCaseDict(headers)
        if type(body) is str:   # the usual body, tested first
            self.body = body.encode()
        elif isinstance(body, _JSON_TYPES):
            self.body = json.dumps(body).encode()
            if 'Content-Type' not in self.headers:
                self.headers['Content-Type'] = JSON_TYPE
        elif isinstance(body, str):
            self.body = body.encode()
        elif body is None:
            # what a handler that returns nothing answers, as in Microdot
            self.body = b''
            if status_code == 200:
                self.status_code = 204
        else:
            # bytes, or something to stream: a generator, an async
            # iterator, or a file-like object with read()
            self.body = body

    @property
    def headers(self):
        """The header fields (a NoCaseDict)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = NoCaseDict()
        return headers

    @headers.setter
    def headers(self, value):
        self._headers = value

    # --- cookies --------------------------------------------------------
    def set_cookie(self, cookie, value, path=None, domain=None, expires=None,
                   max_age=None, secure=False, http_only=False,
                   partitioned=False):
        """Add a Set-Cookie header. ``expires`` is a str or a datetime."""
        from .cookies import set_cookie_value
        field = set_cookie_value(cookie, value, path, domain, expires,
                                 max_age, secure, http_only, partitioned)
        cookies = self.headers.get('Set-Cookie')
        if cookies is None:
            self.headers['Set-Cookie'] = [field]
        elif isinstance(cookies, list):
            cookies.append(field)
        else:
            self.headers['Set-Cookie'] = [cookies, field]

    def delete_cookie(self, cookie, **kwargs):
        """Ask the client to forget a cookie."""
        kwargs.pop('expires', None)
        kwargs.pop('max_age', None)
        self.set_cookie(cookie, '', expires='Thu, 01 Jan 1970 00:00:01 GMT',
                        max_age=0, **kwargs)

    # --- writing --------------------------------------------------------
    def _is_streamed(self):
        return not isinstance(self.body, _BYTES_TYPES)

    def _allows_body(self):
        code = self.status_code
        return code >= 200 and code != 204 and code != 304

    def complete(self):
        """Fill in the headers the body and the server imply: type, length,
        chunked framing, Connection: close."""
        headers = self.headers
        if self.close_connection and 'Connection' not in headers:
            headers['Connection'] = 'close'
        if not self._allows_body():
            if self._is_streamed():
                from .streaming import close_body
                close_body(self.body)
            self.body = b''
            return
        if not headers and not self._is_streamed():
            # the usual case; no other spelling of these names to look for
            headers.add_new('Content-Type',
                            _with_charset(self.default_content_type))
            headers.add_new('Content-Length', str(len(self.body)))
            return
        if 'Content-Type' not in headers:
            headers['Content-Type'] = _with_charset(self.default_content_type)
        if not self._is_streamed():
            headers['Content-Length'] = str(len(self.body))
        elif self.chunked and 'Content-Length' not in headers:
            headers['Transfer-Encoding'] = 'chunked'

    def _small_bytes(self):
        """The whole response as one bytes object when it is small and not
        streamed (the usual case), after complete(); else None, and
        write() sends it. The server sends these bytes itself: no
        coroutine for write() on MicroPython."""
        body = self.body
        if type(body) is bytes and len(body) <= _SMALL_BODY and \
                self._allows_body():
            content_type = self._plain_type()
            if content_type is not None:
                # the usual response (text, or JSON): a head made once, its
                # length, its body
                return b''.join((
                    plain_head(self.status_code, self.reason, content_type,
                               self.close_connection),
                    b'%d\r\n\r\n' % len(body),
                    b'' if self.is_head else body))
        if self._is_streamed():
            return None
        self.complete()
        body = self.body
        if self.is_head or not body:
            return response_head(self.status_code, self.reason, self.headers)
        if len(body) > _SMALL_BODY:
            return None
        return response_head(self.status_code, self.reason,
                             self.headers) + body

    def _plain_type(self):
        # The content type of a response whose only header field is its
        # Content-Type (a JSON answer), or that has none (the default's);
        # None for any other, which complete() fills in.
        headers = self._headers
        if not headers:
            return _with_charset(self.default_content_type)
        if len(headers) == 1:
            for name in headers:    # the one, spelled as the app spelled it
                if name == 'Content-Type':
                    value = headers[name]
                    if type(value) is str:
                        return value
        return None

    async def write(self, stream):
        """Send the whole response through ``stream.awrite()``. A streamed
        body (a file, a generator) is closed whatever happens: also when a
        header is invalid or the client is gone before the head is sent."""
        data = self._small_bytes()
        if data is not None:
            await stream.awrite(data)
            return
        if not self._is_streamed():     # large: complete() has run
            await stream.awrite(response_head(self.status_code, self.reason,
                                              self.headers))
            await stream.awrite(self.body)     # as it is, not copied
            return
        source = self.body   # complete() drops a body 204/304 cannot have
        try:
            self.complete()
            await stream.awrite(response_head(self.status_code, self.reason,
                                              self.headers))
            if not self.is_head and self._allows_body():
                from .streaming import write_body
                await write_body(self, stream)
        finally:
            from .streaming import aclose_body
            await aclose_body(source)

    def body_iter(self):
        """An async iterator over the body as bytes."""
        from .streaming import body_iter
        return body_iter(self)

    # --- helpers that build responses -------------------------------
    @classmethod
    def redirect(cls, location, status_code=302):
        """A response that sends the client to ``location``."""
        if '\r' in location or '\n' in location:
            raise ValueError('Invalid character in redirect location')
        return cls(status_code=status_code, headers={'Location': location})

    @classmethod
    def send_file(cls, filename, status_code=200, content_type=None,
                  stream=None, max_age=None, compressed=False,
                  file_extension=''):
        """A response that streams a file from storage in small buffers.

        ``compressed`` (True for gzip, or an encoding name) marks a file
        stored pre-compressed, whose name is ``filename + file_extension``.
        A file that does not exist gives a 404."""
        from .streaming import send_file
        return send_file(cls, filename, status_code, content_type, stream,
                         max_age, compressed, file_extension)


_CHARSET = {}


def _with_charset(content_type):
    """The default content type with a charset (UTF-8 unless it names
    one), computed once per type."""
    full = _CHARSET.get(content_type)
    if full is None:
        full = content_type
        if 'charset=' not in content_type:
            full += '; charset=UTF-8'
        if len(_CHARSET) < 8:
            _CHARSET[content_type] = full
    return full


Response.already_handled = Response()


def redirect(location, status_code=302):
    return Response.redirect(location, status_code)


def send_file(filename, status_code=200, content_type=None, stream=None,
              max_age=None, compressed=False, file_extension=''):
    return Response.send_file(filename, status_code, content_type, stream,
                              max_age, compressed, file_extension)


def abort(status_code, reason=None):
    """Stop handling the request and answer with an error status."""
    raise HTTPException(status_code, reason)
