"""TestClient: send requests into an app without a network.

Requests go through the same code as the built-in server (the request
parser, dispatch, response framing), over in-memory streams, and the bytes
the app writes are parsed back, so what a test sees is what a client would.
"""
import json

from .bytesio import AsyncBytesIO
from .http import reason_phrase
from .connection import Connection
from .server import check_routes, serve_connection
from .structures import NoCaseDict
from .urls import url_encode

_ALLOWED_IN_TARGET = '/?&=%:@!$\'()*+,;~'


class TestResponse:
    """What the app answered: status, headers and the whole body.

    ``body`` is None when the answer has no body by its nature (HEAD, a
    WebSocket handshake, a response the handler sent itself); ``reason``
    is None unless the app gave its own; ``events`` lists the events of a
    ``text/event-stream`` body, as dicts with ``data`` (bytes),
    ``data_json``, ``event``, ``event_id`` and ``retry`` (seconds), as in
    Microdot."""

    def __init__(self):
        self.status_code = None
        self.reason = None
        self.headers = NoCaseDict()
        self.body = None
        self.text = None
        self.json = None
        self.events = None

    @classmethod
    def create(cls, raw, head_only=False):
        """Parse the bytes of one HTTP response (none: nothing was sent)."""
        res = cls()
        if not raw:
            return res
        head, _, body = raw.partition(b'\r\n\r\n')
        lines = head.decode().split('\r\n')
        _, code, reason = (lines[0].split(' ', 2) + [''])[:3]
        res.status_code = int(code)
        if reason != reason_phrase(res.status_code, None):
            res.reason = reason
        for line in lines[1:]:
            name, _, value = line.partition(':')
            value = value.strip()
            if name.lower() == 'set-cookie':
                res.headers.setdefault(name, []).append(value)
            else:
                res.headers[name] = value
        if head_only or res.status_code == 101:
            return res
        if res.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            body = _decode_chunked(body)
        res.body = body
        res._decode_body()
        return res

    def _decode_body(self):
        try:
            self.text = self.body.decode()
        except ValueError:
            return
        content_type = self.headers.get('Content-Type', '')
        if content_type.startswith('application/json'):
            self.json = json.loads(self.text)
        elif content_type.startswith('text/event-stream'):
            from .test_client_extras import parse_events
            self.events = parse_events(self.body)


def _decode_chunked(body):
    parts = []
    while body:
        size_line, _, body = body.partition(b'\r\n')
        size = int(size_line.split(b';')[0], 16)
        if size == 0:
            break
        parts.append(body[:size])
        body = body[size + 2:]
    return b''.join(parts)


class TestClient:
    """Drives an app like a browser would, cookies included.

    ``cookies`` seeds the cookie jar, where a cookie is kept as its value,
    or as ``(value, path)`` when its Path is not ``/`` (Microdot's way);
    ``scheme`` and ``host`` set what the app sees as the request's scheme
    and Host header."""

    __test__ = False  # not a pytest test class

    def __init__(self, app, cookies=None, scheme=None, host=None):
        check_routes(app)
        self.app = app
        self.cookies = dict(cookies or {})
        self.scheme = scheme or 'http'
        self.host = host or 'example.com:1234'

    def _request_bytes(self, method, path, headers, body):
        headers = NoCaseDict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault('Content-Type', 'application/json')
        if isinstance(body, str):
            body = body.encode()
        body = body or b''
        headers.setdefault('Host', self.host)
        if body or method in ('POST', 'PUT', 'PATCH', 'QUERY'):
            headers.setdefault('Content-Length', str(len(body)))
        cookies = None
        if self.cookies:
            from .test_client_extras import cookies_for
            cookies = cookies_for(self.cookies, path)
        if cookies:
            given = headers.get('Cookie')
            headers['Cookie'] = given + '; ' + cookies if given else cookies
        lines = [method + ' ' + url_encode(path, _ALLOWED_IN_TARGET) +
                 ' HTTP/1.1']
        for name, value in headers.items():
            lines.append(name + ': ' + _field_value(name, value))
        return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body

    async def request(self, method, path, headers=None, body=None,
                      sock=None):
        """Send one request and return its TestResponse."""
        raw = self._request_bytes(method, path, headers, body)
        if sock is not None:
            reader, writer = sock
            reader.data = raw + reader.data
        else:
            reader, writer = AsyncBytesIO(raw), AsyncBytesIO()
        conn = Connection(reader, writer, ('127.0.0.1', 1234))
        await serve_connection(self.app, conn, self.scheme, once=True)
        res = TestResponse.create(writer.getvalue(), method == 'HEAD')
        if 'Set-Cookie' in res.headers:
            from .test_client_extras import update_cookies
            update_cookies(self.cookies, res)
        return res

    async def get(self, path, headers=None):
        return await self.request('GET', path, headers=headers)

    async def post(self, path, headers=None, body=None):
        return await self.request('POST', path, headers, body)

    async def put(self, path, headers=None, body=None):
        return await self.request('PUT', path, headers, body)

    async def patch(self, path, headers=None, body=None):
        return await self.request('PATCH', path, headers, body)

    async def delete(self, path, headers=None):
        return await self.request('DELETE', path, headers=headers)

    async def query(self, path, headers=None, body=None):
        return await self.request('QUERY', path, headers, body)

    async def websocket(self, path, client, headers=None):
        """Open a WebSocket on ``path`` and let ``client`` talk over it.

        ``client`` is a generator function (``async def`` too on CPython):
        each value it yields is sent as a message (str as text, bytes as
        binary), and each ``yield`` returns the next message the app sent.
        When it returns, the client closes the connection. The result is
        the response to the handshake (101, or the app's refusal)."""
        headers = NoCaseDict(headers or {})
        headers.setdefault('Upgrade', 'websocket')
        headers.setdefault('Connection', 'Upgrade')
        headers.setdefault('Sec-WebSocket-Key', 'dGVzdC1jbGllbnQta2V5IQ==')
        headers.setdefault('Sec-WebSocket-Version', '13')
        from .test_client_extras import WebSocketPeer
        peer = WebSocketPeer(client())
        peer.data = self._request_bytes('GET', path, headers, None)
        conn = Connection(peer, peer, ('127.0.0.1', 1234))
        await serve_connection(self.app, conn, self.scheme, once=True)
        return TestResponse.create(peer.head or peer.buffer)


def _field_value(name, value):
    # what a client library would send: surrounding white space dropped
    # (binascii.b2a_base64() ends credentials with a newline), and no line
    # break inside, which would start a header field of its own
    value = str(value).strip()
    if '\r' in value or '\n' in value:
        raise ValueError('Line break in the value of header ' + name)
    return value
