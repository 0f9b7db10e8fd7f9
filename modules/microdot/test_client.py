"""TestClient: send requests into an app without a network.

Requests go through the same code as the built-in server (the request
parser, dispatch, response framing), over in-memory streams, and the bytes
the app writes are parsed back, so what a test sees is what a client would.
"""
import json

from .compat import unix_time
from .bytesio import AsyncBytesIO
from .http import reason_phrase
from .connection import Connection
from .server import check_routes, serve_connection
from .structures import NoCaseDict
from .urls import url_encode

_ALLOWED_IN_TARGET = '/?&=%:@!$\'()*+,;~'
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
           'Oct', 'Nov', 'Dec')


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
            self.events = _parse_events(self.body)


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


def _parse_events(body):
    events = []
    for block in body.replace(b'\r\n', b'\n').split(b'\n\n'):
        event = {'data': None, 'data_json': None, 'event': None,
                 'event_id': None, 'retry': None}
        data = []
        for line in block.split(b'\n'):
            if not line or line.startswith(b':'):
                continue
            field, _, value = line.partition(b':')
            if value.startswith(b' '):
                value = value[1:]
            if field == b'data':
                data.append(value)
            elif field == b'event':
                event['event'] = value.decode()
            elif field == b'id':
                event['event_id'] = value.decode()
            elif field == b'retry' and value.isdigit():
                event['retry'] = int(value) / 1000
        if not data:
            continue
        event['data'] = b'\n'.join(data)
        try:
            event['data_json'] = json.loads(event['data'])
        except ValueError:
            pass
        events.append(event)
    return events


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
        cookies = self._cookies_for(path)
        if cookies:
            given = headers.get('Cookie')
            headers['Cookie'] = given + '; ' + cookies if given else cookies
        lines = [method + ' ' + url_encode(path, _ALLOWED_IN_TARGET) +
                 ' HTTP/1.1']
        for name, value in headers.items():
            lines.append(name + ': ' + _field_value(name, value))
        return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body

    def _cookies_for(self, path):
        """The Cookie header value of the jar's cookies for ``path``."""
        path = path.partition('?')[0]
        pairs = []
        for name, value in self.cookies.items():
            if isinstance(value, tuple):
                value, cookie_path = value
                if not _path_matches(path, cookie_path):
                    continue
            pairs.append(name + '=' + value)
        return '; '.join(pairs)

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
        self._update_cookies(res)
        return res

    def _update_cookies(self, res):
        for cookie in res.headers.get('Set-Cookie', []):
            fields = cookie.split(';')
            name, _, value = fields[0].partition('=')
            name = name.strip()
            path = '/'
            expired = False
            for field in fields[1:]:
                key, _, arg = field.strip().partition('=')
                key = key.lower()
                if key == 'max-age' and arg.lstrip('-').isdigit():
                    expired = int(arg) <= 0
                elif key == 'expires' and _is_past(arg):
                    expired = True
                elif key == 'path' and arg.startswith('/'):
                    path = arg
            if not expired:
                value = value.strip()
                self.cookies[name] = value if path == '/' else (value, path)
            elif _cookie_path(self.cookies.get(name)) == path:
                # a deletion applies to the cookie of the same path only
                del self.cookies[name]

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
        peer = _WebSocketPeer(client())
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


def _cookie_path(stored):
    if stored is None:
        return None
    return stored[1] if isinstance(stored, tuple) else '/'


def _path_matches(path, cookie_path):
    """RFC 6265's path-match: ``/a`` matches ``/a`` and ``/a/b``, not
    ``/ab``."""
    if not path.startswith(cookie_path):
        return False
    return len(path) == len(cookie_path) or cookie_path.endswith('/') or \
        path[len(cookie_path)] == '/'


def _is_past(http_date):
    """True if an HTTP date (``Wdy, DD Mon YYYY HH:MM:SS GMT``) is past."""
    try:
        _, day, month, year, clock, _ = http_date.split(' ')
        hour, minute, second = [int(x) for x in clock.split(':')]
        days = _days_since_epoch(int(year), _MONTHS.index(month) + 1,
                                 int(day))
    except ValueError:
        return False
    stamp = ((days * 24 + hour) * 60 + minute) * 60 + second
    return stamp < unix_time()


def _days_since_epoch(year, month, day):
    # days from 1970-01-01 in the proleptic Gregorian calendar
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + \
        day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - \
        year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


_DONE = object()   # the client generator has finished


class _WebSocketPeer:
    """The client's end of a WebSocket in memory: reads hand the app the
    handshake request and then, one frame per read, what the client
    generator yields; writes are parsed back into messages for it."""

    def __init__(self, generator):
        from . import wsframe
        self.wsframe = wsframe
        self.generator = generator
        self.data = b''
        self.buffer = b''
        self.head = None
        self.parser = wsframe.FrameParser(from_client=False)
        self.received = []
        self.started = False
        self.finished = False

    async def read(self, n=-1):
        if self.data:
            data, self.data = self.data, b''
            return data
        if self.finished or self.head is None:
            return b''
        wsframe = self.wsframe
        message = await self._step()
        if message is _DONE:
            self.finished = True
            return wsframe.encode_frame(
                wsframe.CLOSE, wsframe.close_payload(wsframe.CLOSE_NORMAL),
                mask=b'mask')
        opcode = wsframe.TEXT if isinstance(message, str) else wsframe.BINARY
        return wsframe.encode_frame(opcode, message, mask=b'mask')

    async def _step(self):
        value = self.received.pop(0) if self.received else None
        generator = self.generator
        if hasattr(generator, 'asend'):
            try:
                if not self.started:
                    self.started = True
                    return await generator.__anext__()
                return await generator.asend(value)
            except StopAsyncIteration:
                return _DONE
        try:
            if not self.started:
                self.started = True
                return next(generator)
            return generator.send(value)
        except StopIteration:
            return _DONE

    async def awrite(self, data):
        if self.head is None:
            self.buffer += data
            end = self.buffer.find(b'\r\n\r\n')
            if end < 0:
                return
            self.head = self.buffer[:end + 4]
            data = self.buffer[end + 4:]
            if not self.head.startswith(b'HTTP/1.1 101 '):
                self.head = None   # a refusal: keep the whole response
                return
        self.parser.receive_data(bytes(data))
        while True:
            event = self.parser.next_event()
            if event is None:
                return
            opcode, payload = event
            if opcode == self.wsframe.TEXT or opcode == self.wsframe.BINARY:
                self.received.append(payload)

    async def aclose(self):
        pass
