"""Our stand-in for the ``tests/mock_socket.py`` of Microdot's test suite.

tools/compat.py puts this file in place of Microdot's before the suite
runs. Microdot's version frames the requests it fakes with bare LF line
endings, which our server refuses on the wire (see "bare-lf" in
tools/microdot_compat.txt); this one writes the same requests with CRLF,
so the tests of ``Request.create()`` and ``Response.write()`` that use it
still check everything else they check. Only what those tests use is here:
``get_async_request_fd()`` and ``FakeStreamAsync``.
"""


class FakeStreamAsync:
    """An in-memory stream: reads come from ``data``, writes are kept in
    ``response``."""

    def __init__(self, data=b''):
        self.data = data
        self.position = 0
        self.response = b''

    def _take(self, size):
        end = len(self.data) if size < 0 else self.position + size
        chunk = self.data[self.position:end]
        self.position += len(chunk)
        return chunk

    async def read(self, size=-1):
        return self._take(size)

    async def readexactly(self, size):
        chunk = self._take(size)
        if len(chunk) < size:
            raise EOFError()
        return chunk

    async def readline(self):
        end = self.data.find(b'\n', self.position)
        return self._take(-1 if end < 0 else end + 1 - self.position)

    async def awrite(self, data):
        self.response += data

    async def aclose(self):
        pass

    def get_extra_info(self, name, default=None):
        return name


def get_async_request_fd(method, path, headers=None, body=None):
    """A stream holding one request, framed with CRLF."""
    headers = dict(headers or {})
    if body is not None and 'Content-Length' not in headers:
        headers['Content-Length'] = str(len(body))
    body = body or ''
    headers.setdefault('Host', 'example.com:1234')
    lines = ['{} {} HTTP/1.0'.format(method, path)]
    for name, value in headers.items():
        lines.append('{}: {}'.format(name, value))
    text = '\r\n'.join(lines) + '\r\n\r\n' + body
    return FakeStreamAsync(text.encode())
