"""The Response object: body conversions, cookies, files, and writing."""
import json

from .compat import const
from .http import (HTTPException, REASONS, response_head, chunk, LAST_CHUNK)
from .structures import NoCaseDict

_SMALL_BODY = const(1024)  # written in one go with the head below this


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

    def __init__(self, body=b'', status_code=200, headers=None, reason=None):
        self.status_code = status_code
        if reason is not None:
            self.reason = reason
        self.headers = NoCaseDict(headers)
        if isinstance(body, (dict, list)):
            self.body = json.dumps(body).encode()
            if 'Content-Type' not in self.headers:
                self.headers['Content-Type'] = 'application/json'
        elif isinstance(body, str):
            self.body = body.encode()
        elif body is None:
            self.body = b''
        else:
            # bytes, or something to stream: a generator, an async
            # iterator, or a file-like object with read()
            self.body = body

    # --- cookies --------------------------------------------------------
    def set_cookie(self, cookie, value, path=None, domain=None, expires=None,
                   max_age=None, secure=False, http_only=False,
                   partitioned=False):
        """Add a Set-Cookie header. ``expires`` is a str or a datetime."""
        value = str(value)
        for text in (cookie, value, path or '', domain or ''):
            if '\r' in text or '\n' in text or ';' in text:
                raise ValueError('Invalid character in cookie')
        parts = [cookie + '=' + value]
        if path:
            parts.append('Path=' + path)
        if domain:
            parts.append('Domain=' + domain)
        if expires:
            if not isinstance(expires, str):
                expires = expires.strftime('%a, %d %b %Y %H:%M:%S GMT')
            parts.append('Expires=' + expires)
        if max_age is not None:
            parts.append('Max-Age=' + str(int(max_age)))
        if secure:
            parts.append('Secure')
        if http_only:
            parts.append('HttpOnly')
        if partitioned:
            parts.append('Partitioned')
        cookies = self.headers.get('Set-Cookie')
        if cookies is None:
            self.headers['Set-Cookie'] = ['; '.join(parts)]
        elif isinstance(cookies, list):
            cookies.append('; '.join(parts))
        else:
            self.headers['Set-Cookie'] = [cookies, '; '.join(parts)]

    def delete_cookie(self, cookie, **kwargs):
        """Ask the client to forget a cookie."""
        kwargs.pop('expires', None)
        kwargs.pop('max_age', None)
        self.set_cookie(cookie, '', expires='Thu, 01 Jan 1970 00:00:01 GMT',
                        max_age=0, **kwargs)

    # --- writing --------------------------------------------------------
    def _is_streamed(self):
        return not isinstance(self.body, (bytes, bytearray))

    def _allows_body(self):
        code = self.status_code
        return code >= 200 and code != 204 and code != 304

    def complete(self):
        """Fill in the headers the body implies: type and length."""
        headers = self.headers
        if not self._allows_body():
            if self._is_streamed():
                self._close_body()
            self.body = b''
            return
        # NoCaseDict._put spares lowering the names (the headers may have
        # been replaced by another mapping)
        fast = type(headers) is NoCaseDict
        if 'Content-Type' not in headers:
            value = _with_charset(self.default_content_type)
            if fast:
                headers._put('Content-Type', 'content-type', value)
            else:
                headers['Content-Type'] = value
        if not self._is_streamed():
            value = str(len(self.body))
            if fast:
                headers._put('Content-Length', 'content-length', value)
            else:
                headers['Content-Length'] = value
        elif self.chunked and 'Content-Length' not in headers:
            headers['Transfer-Encoding'] = 'chunked'

    async def write(self, stream):
        """Send the whole response through ``stream.awrite()``. A streamed
        body (a file, a generator) is closed whatever happens: also when a
        header is invalid or the client is gone before the head is sent."""
        source = self.body   # complete() drops a body 204/304 cannot have
        streamed = self._is_streamed()
        try:
            self.complete()
            head = response_head(
                self.status_code,
                self.reason or REASONS.get(self.status_code, 'Unknown'),
                self.headers)
            body = self.body
            if self.is_head or not self._allows_body():
                await stream.awrite(head)
            elif not streamed:
                if len(body) <= _SMALL_BODY:
                    await stream.awrite(head + body)
                else:
                    await stream.awrite(head)
                    await stream.awrite(body)
            else:
                await stream.awrite(head)
                chunked = 'Transfer-Encoding' in self.headers
                async for data in self.body_iter():
                    if data:
                        await stream.awrite(chunk(data) if chunked else data)
                if chunked:
                    await stream.awrite(LAST_CHUNK)
        finally:
            if streamed:
                await self._aclose_body(source)

    def body_iter(self):
        """An async iterator over the body as bytes."""
        return _BodyIterator(self.body, self.send_file_buffer_size)

    async def _aclose_body(self, body):
        aclose = getattr(body, 'aclose', None)
        if aclose is not None:
            try:
                await aclose()
            except Exception:
                pass
        else:
            self._close_body(body)

    def _close_body(self, body=None):
        close = getattr(self.body if body is None else body, 'close', None)
        if close is not None:
            try:
                close()
            except Exception:
                pass

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
        if content_type is None:
            extension = filename.rpartition('.')[2].lower()
            content_type = cls.types_map.get(extension,
                                             'application/octet-stream')
        headers = {'Content-Type': content_type}
        if max_age is None:
            max_age = cls.default_send_file_max_age
        if max_age is not None:
            headers['Cache-Control'] = 'max-age=' + str(max_age)
        if compressed:
            headers['Content-Encoding'] = \
                compressed if isinstance(compressed, str) else 'gzip'
        if stream is None:
            path = filename + file_extension
            try:
                stream = open(path, 'rb')
            except OSError:
                raise HTTPException(404)
            size = _file_size(stream, path)
            if size is not None:
                headers['Content-Length'] = str(size)
        return cls(body=stream, status_code=status_code, headers=headers)


_CHARSET = {}


def _with_charset(content_type):
    """A text/ type with its charset, computed once per type."""
    full = _CHARSET.get(content_type)
    if full is None:
        full = content_type
        if content_type.startswith('text/'):
            full += '; charset=UTF-8'
        if len(_CHARSET) < 8:
            _CHARSET[content_type] = full
    return full


def _file_size(stream, path):
    try:
        import os
        return os.stat(path)[6]
    except (OSError, ImportError, IndexError):
        return None


class _BodyIterator:
    """Turns any supported body into an async iterator of bytes."""

    def __init__(self, body, buffer_size):
        self.buffer_size = buffer_size
        self.source = None
        self.reader = None
        if isinstance(body, (bytes, bytearray)):
            self.source = iter((body,))
        elif hasattr(body, 'read'):
            self.reader = body
        elif hasattr(body, '__anext__'):
            self.source = body
        elif hasattr(body, '__aiter__'):
            self.source = body.__aiter__()
        else:
            self.source = iter(body)

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.reader is not None:
            data = self.reader.read(self.buffer_size)
            if hasattr(data, 'send'):   # an async read() of a stream
                data = await data
            if not data:
                raise StopAsyncIteration
        elif hasattr(self.source, '__anext__'):
            data = await self.source.__anext__()
        else:
            try:
                data = next(self.source)
            except StopIteration:
                raise StopAsyncIteration
        if isinstance(data, str):
            data = data.encode()
        return data


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
