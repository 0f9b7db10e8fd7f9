"""Every limit of docs/security.md at its edge and one past it, through
the server's own loop (tests/wire.py): a request exactly at a limit is
served, one byte (or field, or digit) more is refused with the status the
docs give. An off-by-one in any of them fails here."""
from microdot import Microdot, Request
from wire import exchange, status_of


def echo_app():
    """``/`` answers 'ok'; ``/body`` the length of ``req.body`` (the
    body read into memory) and of what ``req.stream`` gives."""
    app = Microdot()

    @app.route('/', methods=['GET', 'POST'])
    async def index(req):
        return 'ok'

    @app.post('/body')
    async def body(req):
        return '{} {}'.format(len(req.body), len(await req.stream.read()))

    return app


class Limits:
    """Set Request's class limits for a block; restored after it."""
    names = ('max_readline', 'max_head_length', 'max_headers',
             'max_content_length', 'max_body_length')

    def __init__(self, **limits):
        self.limits = limits

    def __enter__(self):
        self.saved = [getattr(Request, name) for name in self.names]
        for name, value in self.limits.items():
            setattr(Request, name, value)

    def __exit__(self, *exc):
        for name, value in zip(self.names, self.saved):
            setattr(Request, name, value)


def request_line_of(length):
    """A GET request line of exactly ``length`` bytes (without CRLF)."""
    line = b'GET /? HTTP/1.1'
    return b'GET /?' + b'a' * (length - len(line)) + b' HTTP/1.1'


# --- the request line --------------------------------------------------

async def test_request_line_of_exactly_max_readline_is_served():
    line = request_line_of(Request.max_readline)
    assert len(line) == Request.max_readline == 2048
    assert await status_of(echo_app(), line + b'\r\nHost: x\r\n\r\n') == 200


async def test_request_line_one_past_max_readline_is_414():
    line = request_line_of(Request.max_readline + 1)
    assert await status_of(echo_app(), line + b'\r\nHost: x\r\n\r\n') == 414


async def test_request_line_limit_follows_the_class_attribute():
    with Limits(max_readline=100):
        for length, status in ((99, 200), (100, 200), (101, 414),
                               (102, 414)):
            data = request_line_of(length) + b'\r\n\r\n'
            assert await status_of(echo_app(), data) == status, length
            # a byte at a time too: the limit does not depend on how the
            # line arrives
            assert await status_of(echo_app(), data, [1]) == status, length


# --- header lines, fields, the whole head -------------------------------

def field_of(length, name=b'X-Long'):
    """A header field line of exactly ``length`` bytes (without CRLF)."""
    return name + b': ' + b'v' * (length - len(name) - 2)


async def test_header_line_of_exactly_max_readline_is_served():
    app = echo_app()
    seen = []

    @app.get('/seen')
    async def seen_route(req):
        seen.append(req.headers['X-Long'])
        return 'ok'

    data = b'GET /seen HTTP/1.1\r\n' + field_of(Request.max_readline) + \
        b'\r\n\r\n'
    assert await status_of(app, data) == 200
    assert len(seen[0]) == Request.max_readline - len('X-Long: ')


async def test_header_line_one_past_max_readline_is_431():
    data = b'GET / HTTP/1.1\r\n' + field_of(Request.max_readline + 1) + \
        b'\r\n\r\n'
    assert await status_of(echo_app(), data) == 431
    with Limits(max_readline=64):
        for length, status in ((64, 200), (65, 431)):
            data = b'GET / HTTP/1.1\r\nHost: x\r\n' + field_of(length) + \
                b'\r\nX-After: 1\r\n\r\n'
            assert await status_of(echo_app(), data) == status, length


def head_with_fields(count):
    return b'GET / HTTP/1.1\r\n' + b''.join(
        b'X-F' + str(i).encode() + b': v\r\n' for i in range(count)) + b'\r\n'


async def test_exactly_max_headers_fields_are_served():
    app = echo_app()
    seen = []

    @app.get('/')
    async def count(req):
        seen.append(len(req.headers))
        return 'ok'

    app.url_map.insert(0, app.url_map.pop())   # before echo_app's '/'
    assert Request.max_headers == 48
    assert await status_of(app, head_with_fields(48)) == 200
    assert seen == [48]


async def test_one_field_past_max_headers_is_431():
    assert await status_of(echo_app(), head_with_fields(49)) == 431
    with Limits(max_headers=3):
        assert await status_of(echo_app(), head_with_fields(3)) == 200
        assert await status_of(echo_app(), head_with_fields(4)) == 431


def head_of(length):
    """A request head of exactly ``length`` bytes: request line and header
    fields, without the final CRLFCRLF."""
    head = b'GET / HTTP/1.1'
    fields = []
    while len(head) + 2 * (len(fields) + 1) + \
            sum(len(f) for f in fields) < length:
        left = length - len(head) - sum(len(f) + 2 for f in fields) - 2
        size = min(left, 1000)
        if size < 8:   # too short for a field: lengthen the last one
            fields[-1] += b'w' * (left + 2)
            break
        fields.append(field_of(size, b'X-' + str(len(fields)).encode()))
    data = head + b''.join(b'\r\n' + field for field in fields)
    assert len(data) == length, (len(data), length)
    return data


async def test_head_of_exactly_max_head_length_is_served():
    head = head_of(Request.max_head_length)
    assert await status_of(echo_app(), head + b'\r\n\r\n') == 200


async def test_head_one_past_max_head_length_is_431():
    head = head_of(Request.max_head_length + 1)
    assert await status_of(echo_app(), head + b'\r\n\r\n') == 431


async def test_head_length_limit_does_not_depend_on_how_the_head_arrives():
    # the head, then its blank line in a later read: the bytes seen so far
    # are more than the limit, the head itself is not
    with Limits(max_head_length=200):
        for length, status in ((200, 200), (201, 431)):
            head = head_of(length)
            data = head + b'\r\n\r\n'
            for first in (length, length + 1, length + 2, length + 3):
                for sizes in ([first, 1], [first, 100]):
                    assert await status_of(echo_app(), data, sizes) == \
                        status, (length, sizes)


# --- bodies -------------------------------------------------------------

def post(body, path=b'/body'):
    return b'POST ' + path + b' HTTP/1.1\r\nContent-Length: ' + \
        str(len(body)).encode() + b'\r\n\r\n' + body


def post_chunked(body, size=None):
    size = size or len(body) or 1
    chunks = b''.join(
        b'%x\r\n' % len(body[at:at + size]) + body[at:at + size] + b'\r\n'
        for at in range(0, len(body), size))
    return b'POST /body HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' + \
        chunks + b'0\r\n\r\n'


async def test_body_of_exactly_max_content_length_is_served():
    body = b'b' * Request.max_content_length
    answers = await exchange(echo_app(), post(body))
    assert [a.status for a in answers] == [200]
    assert answers[0].body == b'16384 16384'


async def test_body_one_past_max_content_length_is_413_and_closes():
    body = b'b' * (Request.max_content_length + 1)
    answers = await exchange(echo_app(), post(body) + post(b'x'))
    assert [a.status for a in answers] == [413]
    assert answers[0].headers['connection'] == 'close'
    with Limits(max_content_length=10):
        assert await status_of(echo_app(), post(b'b' * 10)) == 200
        assert await status_of(echo_app(), post(b'b' * 11)) == 413


async def test_chunked_body_at_max_content_length_and_one_past():
    with Limits(max_content_length=40, max_body_length=40):
        for size, sizes in ((40, None), (7, None), (7, [1]), (40, [3])):
            answers = await exchange(echo_app(),
                                     post_chunked(b'c' * 40, size), sizes)
            assert [a.status for a in answers] == [200], (size, sizes)
            assert answers[0].body == b'40 40'
            assert await status_of(echo_app(),
                                   post_chunked(b'c' * 41, size),
                                   sizes) == 413, (size, sizes)


async def test_body_of_exactly_max_body_length_is_in_memory():
    with Limits(max_body_length=100):
        answers = await exchange(echo_app(), post(b'b' * 100) +
                                 post(b'b' * 101))
        assert [a.body for a in answers] == [
            b'100 100',
            b'0 101']   # one past: streamed


async def test_chunked_body_of_exactly_max_body_length_is_in_memory():
    with Limits(max_body_length=100):
        for sizes in (None, [1], [5]):
            answers = await exchange(
                echo_app(), post_chunked(b'c' * 100, 30) +
                post_chunked(b'c' * 101, 30), sizes)
            assert [a.body for a in answers] == [
                b'100 100',
                b'0 101'], sizes


async def test_content_length_of_15_digits_is_read_16_are_400():
    body = b'hello'
    data = b'POST /body HTTP/1.1\r\nContent-Length: 00000000000000' + \
        b'5\r\n\r\n' + body
    answers = await exchange(echo_app(), data)
    assert [a.body for a in answers] == [b'5 5']
    data = b'POST /body HTTP/1.1\r\nContent-Length: 000000000000000' + \
        b'5\r\n\r\n' + body
    assert await status_of(echo_app(), data) == 400


# --- chunk-size lines and trailers ---------------------------------------

def chunked_with(size_line, trailers=b''):
    """A chunked POST of 'hello' whose size line is ``size_line``."""
    return b'POST /body HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' + \
        size_line + b'\r\nhello\r\n0\r\n' + trailers + b'\r\n'


async def test_chunk_size_line_of_1024_bytes_is_read_1025_is_400():
    # 1 KiB before the LF, its CR included
    for sizes in (None, [1], [7]):
        line = b'5;' + b'e' * (1024 - 3)
        assert len(line + b'\r') == 1024
        answers = await exchange(echo_app(), chunked_with(line), sizes)
        assert [a.body for a in answers] == \
            [b'5 5'], sizes
        assert await status_of(echo_app(), chunked_with(line + b'e'),
                               sizes) == 400, sizes


async def test_chunk_size_of_8_hex_digits_is_read_9_are_400():
    for sizes in (None, [1]):
        answers = await exchange(echo_app(), chunked_with(b'00000005'),
                                 sizes)
        assert [a.body for a in answers] == [b'5 5']
        assert await status_of(echo_app(), chunked_with(b'000000005'),
                               sizes) == 400


async def test_32_trailer_fields_are_read_33_are_431():
    def trailers(count):
        return b''.join(b'T' + str(i).encode() + b': v\r\n'
                        for i in range(count))

    for sizes in (None, [3]):
        answers = await exchange(echo_app(),
                                 chunked_with(b'5', trailers(32)), sizes)
        assert [a.body for a in answers] == [b'5 5']
        assert await status_of(echo_app(), chunked_with(b'5', trailers(33)),
                               sizes) == 431


async def test_trailer_line_of_1024_bytes_is_read_1025_is_400():
    trailer = b'T: ' + b't' * (1024 - 4)
    assert len(trailer + b'\r') == 1024
    answers = await exchange(echo_app(), chunked_with(b'5', trailer + b'\r\n'))
    assert [a.status for a in answers] == [200]
    assert await status_of(
        echo_app(), chunked_with(b'5', trailer + b't\r\n')) == 400


async def test_a_streamed_body_left_short_by_one_byte_is_skipped():
    # the handler reads all but the last byte (or none, or all): the next
    # pipelined request must still start where it starts
    app = echo_app()

    @app.post('/partial')
    async def partial(req):
        n = int(req.args['n'])
        data = await req.stream.readexactly(n) if n else b''
        return str(len(data))

    with Limits(max_body_length=4):
        for n in (0, 1, 9, 10):
            for body in (post(b'abcdefghij', b'/partial?n=' +
                              str(n).encode()),
                         post_chunked(b'abcdefghij', 3).replace(
                             b'/body', b'/partial?n=' + str(n).encode())):
                for sizes in (None, [1], [7], [60]):
                    answers = await exchange(
                        app, body + b'GET / HTTP/1.1\r\n\r\n', sizes)
                    assert [a.body for a in answers] == \
                        [str(n).encode(), b'ok'], (n, sizes, body[:30])


async def test_a_pipelined_head_over_the_limit_is_414_or_431_by_its_own_line():
    # the second request of a buffer is judged from where it starts: its
    # request line alone over the limit is a 414, its fields a 431
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'ok'

    saved = Request.max_head_length
    Request.max_head_length = 200
    try:
        first = b'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
        long_line = b'GET /' + b'a' * 300 + b' HTTP/1.1\r\nHost: a\r\n\r\n'
        answers = await exchange(app, first + long_line)
        assert [a.status for a in answers] == [200, 414], answers
        # a first request of 150 bytes: the second starts far in
        big_first = b'GET / HTTP/1.1\r\nX: ' + b'b' * 127 + b'\r\n\r\n'
        long_fields = b'GET / HTTP/1.1\r\nX: ' + b'c' * 300 + b'\r\n\r\n'
        answers = await exchange(app, big_first + long_fields)
        assert [a.status for a in answers] == [200, 431], answers
        # a request line of just the limit (to its LF), fields past it
        line = b'GET /' + b'd' * 185 + b' HTTP/1.1\r\n'
        assert line.index(b'\n') == 200
        answers = await exchange(app, line + b'X: 1\r\n\r\n')
        assert [a.status for a in answers] == [431], answers
    finally:
        Request.max_head_length = saved


async def test_a_body_of_length_zero_is_empty():
    app = Microdot()

    @app.post('/')
    async def index(req):
        return 'body %r' % (req.body,)

    answers = await exchange(app, b'POST / HTTP/1.1\r\nHost: a\r\n'
                                  b'Content-Length: 0\r\n\r\n')
    assert [(a.status, a.body) for a in answers] == [(200, b"body b''")]


async def test_the_head_limit_counts_from_where_a_pipelined_head_starts():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'ok'

    saved = Request.max_head_length
    Request.max_head_length = 200
    try:
        # a first request of 150 bytes, then 100 bytes of a second head
        # that never ends: no refusal, the client just went away
        first = b'GET / HTTP/1.1\r\nX: ' + b'b' * 127 + b'\r\n\r\n'
        partial = b'GET / HTTP/1.1\r\nX: ' + b'c' * 81
        answers = await exchange(app, first + partial)
        assert [a.status for a in answers] == [200], answers
        # a head without its end: 203 bytes may still end within the limit
        # (the last 3 of the CRLFCRLF are not counted), 204 cannot
        head = b'GET / HTTP/1.1\r\nX: ' + b'c' * 185
        assert len(head) == 204
        assert [a.status for a in await exchange(app, head[:203])] == []
        assert [a.status for a in await exchange(app, head)] == [431]
    finally:
        Request.max_head_length = saved


async def test_only_blank_lines_before_a_request_are_skipped():
    app = Microdot()

    @app.route('/', methods=['XGET', 'GET'])
    async def index(req):
        return req.method

    answers = await exchange(app, b'\r\n\nXGET / HTTP/1.1\r\nHost: a\r\n\r\n')
    assert [(a.status, a.body) for a in answers] == [(200, b'XGET')]
    # a space is no blank line: the request line then starts with it
    answers = await exchange(app, b'\r\n GET / HTTP/1.1\r\nHost: a\r\n\r\n')
    assert [a.status for a in answers] == [400], answers


async def test_blank_lines_between_pipelined_requests_are_skipped():
    # RFC 9112 2.2, as before a connection's first request: they used to
    # be read as an empty request line (400)
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'ok'

    request = b'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
    for blank in (b'\r\n', b'\r\n\r\n', b'\n'):
        data = request + blank + request
        for sizes in (None, [len(request) + 1], [len(request) + len(blank)]):
            answers = await exchange(app, data, sizes)
            assert [(a.status, a.body) for a in answers] == \
                [(200, b'ok'), (200, b'ok')], (blank, sizes)
