"""What the test client needs only for cookies, event streams and
WebSockets, loaded on first use: a board that sends plain requests
through the client (the way to call an app where there is no network)
does not hold this code."""
import json

from .compat import unix_time

_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
           'Oct', 'Nov', 'Dec')


def cookies_for(jar, path):
    """The Cookie header value of the cookies of ``jar`` for ``path``."""
    path = path.partition('?')[0]
    pairs = []
    for name, value in jar.items():
        if isinstance(value, tuple):
            value, cookie_path = value
            if not _path_matches(path, cookie_path):
                continue
        pairs.append(name + '=' + value)
    return '; '.join(pairs)


def update_cookies(jar, res):
    """Keep in ``jar`` the cookies that ``res`` sets, and forget those it
    expires (of the same path only)."""
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
            jar[name] = value if path == '/' else (value, path)
        elif _cookie_path(jar.get(name)) == path:
            # a deletion applies to the cookie of the same path only
            del jar[name]


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


def parse_events(body):
    """The events of a ``text/event-stream`` body, as Microdot's test
    client gives them."""
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


_DONE = object()   # the client generator has finished


class WebSocketPeer:
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
