"""Small parts of http and connection that mutation testing found
untested: the reason phrase of the first status in the table, the repr of
an HTTPException, Connection.readline() up to a newline and at the end."""
from microdot import AsyncBytesIO
from microdot.connection import Connection
from microdot.http import HTTPException, ProtocolError, reason_phrase
from streams import Pieces
from support import raises


def test_reason_phrases_first_last_and_unknown():
    assert reason_phrase(100) == 'Continue'
    assert reason_phrase(505) == 'HTTP Version Not Supported'
    assert reason_phrase(404) == 'Not Found'
    assert reason_phrase(299) == 'Unknown'
    assert reason_phrase(299, 'Error') == 'Error'
    assert reason_phrase(10) == 'Unknown'   # not the start of '100 ...'


def test_http_exception_repr_and_reason():
    assert repr(HTTPException(404)) == 'HTTPException: 404'
    # no reason given: None, as in Microdot (its answer says N/A); the
    # parser's ProtocolError takes the status's standard phrase
    assert HTTPException(404).reason is None
    assert HTTPException(400, 'Why').reason == 'Why'
    assert ProtocolError(404).reason == 'Not Found'
    assert ProtocolError(299).reason == 'Unknown'


async def test_connection_readline_up_to_each_newline_then_the_rest():
    for sizes in (None, [1], [4]):
        data = b'one\ntwo\r\n\nlast'
        stream = AsyncBytesIO(data) if sizes is None else Pieces(data, sizes)
        conn = Connection(stream)
        lines = []
        while True:
            line = await conn.readline()
            if not line:
                break
            lines.append(line)
        assert lines == [b'one\n', b'two\r\n', b'\n', b'last'], sizes


def test_response_head_writes_values_that_are_not_text_as_text():
    from microdot.http import response_head
    head = response_head(201, None, {'X-Count': 5, 'X-Ratio': 1.5,
                                     'X-List': ['a', 2]})
    lines = head.split(b'\r\n')
    assert lines[0] == b'HTTP/1.1 201 Created'
    assert sorted(lines[1:-2]) == [b'X-Count: 5', b'X-List: 2',
                                   b'X-List: a', b'X-Ratio: 1.5']
    assert head.endswith(b'\r\n\r\n')


def test_an_injected_field_is_refused_naming_the_field():
    from microdot.http import response_head
    from support import raises
    for name, value in (('X-Thing', 'a\r\nb'), ('X-Other', 'a\nb')):
        with raises(ValueError) as caught:
            response_head(200, None, {name: value})
        assert str(caught.value) == 'CR or LF in header ' + name


async def test_a_body_read_into_memory_keeps_one_deadline_while_time_passes():
    # a client trickling its body cannot push the deadline back: every
    # read of the in-memory body sees the deadline set when it began, even
    # as the clock moves between reads
    import asyncio
    from microdot import Microdot, Request

    class Trickle:
        def __init__(self, data):
            self.data = data
            self.conn = None
            self.deadlines = []

        async def read(self, n):
            await asyncio.sleep(0.003)
            self.deadlines.append(self.conn.deadline)
            data, self.data = self.data[:1], self.data[1:]
            return data

    reader = Trickle(b'POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\nabcdef')
    conn = Connection(reader, AsyncBytesIO())
    reader.conn = conn
    conn.io_timeout = 5000
    req = await Request.create(Microdot(), conn, conn, None)
    assert req.body == b'abcdef'
    body_reads = reader.deadlines[-6:]
    assert body_reads[0] is not None
    assert body_reads == [body_reads[0]] * 6
    assert conn.deadline is None and conn.io_timeout == 5000


def test_frame_errors_keep_their_reason_and_are_raised_again():
    from microdot.wsframe import FrameError, FrameParser
    from support import raises
    assert str(FrameError(1002, 'Reserved opcode')) == 'Reserved opcode'
    parser = FrameParser()
    parser.receive_data(b'\x83\x80\x01\x02\x03\x04')
    for _ in range(2):
        with raises(FrameError) as caught:
            parser.next_event()
        assert (caught.value.code, caught.value.reason) == \
            (1002, 'Reserved opcode')
    # a message refused once whole (invalid UTF-8) leaves no frame begun
    parser = FrameParser()
    parser.receive_data(b'\x01\x81\x01\x02\x03\x04' + bytes([ord('a') ^ 1]))
    assert parser.next_event() is None and parser.in_frame()
    parser.receive_data(b'\x80\x81\x01\x02\x03\x04' + bytes([0xff ^ 1]))
    with raises(FrameError) as caught:
        parser.next_event()
    assert caught.value.code == 1007
    assert not parser.in_frame()


class Recorder(AsyncBytesIO):
    """A client's stream that records the connection's deadline at each
    read (relative to the clock then) and what was written to it."""

    def __init__(self, data):
        AsyncBytesIO.__init__(self, data)
        self.conn = None
        self.waits = []

    async def read(self, n=-1):
        from microdot.compat import ticks_diff, ticks_ms
        deadline = self.conn.deadline if self.conn else None
        self.waits.append(None if deadline is None else
                          ticks_diff(deadline, ticks_ms()))
        return await AsyncBytesIO.read(self, 1)


async def test_create_applies_the_app_timeouts_and_keeps_its_arguments():
    from microdot import Microdot, Request
    app = Microdot()
    app.idle_timeout = 100
    app.header_timeout = 7
    stream = Recorder(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    conn = Connection(stream, stream, ('10.0.0.2', 5))
    stream.conn = conn
    req = await Request.create(app, conn, conn, ('10.0.0.2', 5),
                               scheme='https')
    assert req.app is app and req.scheme == 'https'
    assert req.client_addr == ('10.0.0.2', 5)
    # the wait for the first byte has the idle timeout, the rest of the
    # head the header timeout (in ms; the clock moves a little meanwhile)
    assert 99000 <= stream.waits[0] <= 100000, stream.waits[0]
    assert all(6000 <= wait <= 7000 for wait in stream.waits[1:]), \
        stream.waits
    writer = AsyncBytesIO()
    req = await Request.create(app, AsyncBytesIO(b'GET /x HTTP/1.1\r\n\r\n'),
                               writer, ('10.0.0.3', 6))
    assert req.scheme == 'http' and req.path == '/x'
    assert req.client_addr == ('10.0.0.3', 6)
    assert req.connection.writer is writer


async def test_expect_100_continue_before_chunked_and_streamed_bodies():
    from microdot import Microdot, Request
    saved = Request.max_body_length
    Request.max_body_length = 4
    try:
        for head, body in (
                (b'Transfer-Encoding: chunked', b'5\r\nhello\r\n0\r\n\r\n'),
                (b'Content-Length: 10', b'helloworld'),
                (b'Content-Length: 3', b'abc')):
            writer = AsyncBytesIO()
            await Request.create(Microdot(), AsyncBytesIO(
                b'POST / HTTP/1.1\r\nExpect: 100-continue\r\n' + head +
                b'\r\n\r\n' + body), writer, None)
            assert writer.getvalue() == b'HTTP/1.1 100 Continue\r\n\r\n', \
                head
    finally:
        Request.max_body_length = saved


async def test_bodies_of_zero_and_one_byte_and_chunked_lengths():
    from microdot import Microdot, Request
    for length, body in ((b'0', b''), (b'1', b'z'), (b'2', b'zz')):
        req = await Request.create(Microdot(), AsyncBytesIO(
            b'POST / HTTP/1.1\r\nContent-Length: ' + length + b'\r\n\r\n' +
            body), None, None)
        assert (req.body, req.content_length) == (body, len(body))
    req = await Request.create(Microdot(), AsyncBytesIO(
        b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
        b'1\r\nz\r\n0\r\n\r\n'), None, None)
    assert (req.body, req.content_length) == (b'z', 0)


def test_parsing_from_cold_caches_and_again_from_warm_ones():
    # the parser keeps the request lines and field names it saw; a new
    # process starts with none (mutmut's workers inherit the caches the
    # tests filled, so a test of the filling starts them empty)
    from microdot import http
    from microdot.structures import NoCaseDict
    saved = (list(http._LINES), dict(http._NAMES), http._names_count)
    del http._LINES[:]
    http._NAMES.clear()
    http._names_count = 0
    try:
        heads = [
            b'GET / HTTP/1.1\r\nHost: a\r\nX-Ab: 1\r\nX-Ba: 2',
            b'GET /x HTTP/1.1\r\nHost: b\r\nX-Ab: 3\r\nContent-Length: 4',
            b'POST / HTTP/1.0\r\nhost: c\r\nx-ab: 5\r\nX-Cd: 6',
            b'GET / HTTP/1.1\r\nHost: a\r\nX-Ab: 1\r\nX-Ba: 2',
        ]
        for round in range(3):
            for head in heads + [b'GET /' + str(i).encode() + b' HTTP/1.1'
                                 b'\r\nX-F' + str(i).encode() + b': v'
                                 for i in range(40)]:
                headers = NoCaseDict()
                line, rest = head.split(b'\r\n', 1)
                parsed = http.parse_head(head, len(head), 2048, 48, headers)
                method, target, version = line.decode().split(' ')
                assert parsed == (method, target, version[5:]), head
                for field in rest.split(b'\r\n'):
                    name, _, value = field.decode().partition(': ')
                    assert headers[name] == value, (head, name)
                    assert name in list(headers.keys()), (head, name)
        cached = sum(len(names) for names in http._NAMES.values())
        assert 0 < len(http._LINES) <= 8
        assert cached == http._names_count == 32
    finally:
        http._LINES[:] = saved[0]
        http._NAMES.clear()
        http._NAMES.update(saved[1])
        http._names_count = saved[2]


async def test_create_prefers_the_address_it_is_given_and_413_has_no_body():
    from microdot import Microdot, Request
    conn = Connection(AsyncBytesIO(b'GET / HTTP/1.1\r\n\r\n'), None,
                      ('10.0.0.1', 1))
    req = await Request.create(Microdot(), conn, conn, ('10.0.0.9', 9))
    assert req.client_addr == ('10.0.0.9', 9)
    conn = Connection(AsyncBytesIO(b'GET / HTTP/1.1\r\n\r\n'), None,
                      ('10.0.0.1', 1))
    req = await Request.create(Microdot(), conn, conn, conn.client_addr)
    assert req.client_addr == ('10.0.0.1', 1)
    app = Microdot()

    @app.errorhandler(413)
    async def too_large(req):
        return 'body of ' + str(len(req.body)), 413

    saved = Request.max_content_length
    Request.max_content_length = 4
    try:
        req = await Request.create(app, AsyncBytesIO(
            b'POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789'),
            None, None)
        res = await app.dispatch_request(req)
    finally:
        Request.max_content_length = saved
    assert (res.status_code, res.body) == (413, b'body of 0')


async def test_the_rest_of_a_head_begun_in_the_buffer_has_the_head_timeout():
    from microdot import Microdot, Request
    app = Microdot()
    app.idle_timeout = 100
    app.header_timeout = 7
    stream = Recorder(b'TP/1.1\r\n\r\n')
    conn = Connection(stream, stream, None)
    conn._append(b'GET / HT')      # pipelined after an earlier request
    stream.conn = conn
    req = await Request.create(app, conn, conn, None)
    assert req.path == '/'
    assert all(6000 <= wait <= 7000 for wait in stream.waits), stream.waits


def test_close_codes_at_the_edges_of_their_ranges():
    from microdot.wsframe import is_valid_close_code
    for code in (1000, 1003, 1007, 1014, 3000, 4999):
        assert is_valid_close_code(code), code
    for code in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535):
        assert not is_valid_close_code(code), code


def test_http_exception_args_and_unknown_fields_are_not_expect():
    assert HTTPException(404, 'Gone away').args == (404, 'Gone away')
    assert HTTPException(404).args == (404, None)


async def test_a_field_of_an_unknown_name_valued_100_continue_is_no_expect():
    # from a cold cache of names, as a new process (see above)
    from microdot import Microdot, Request, http
    saved = (dict(http._NAMES), http._names_count)
    http._NAMES.clear()
    http._names_count = 0
    try:
        writer = AsyncBytesIO()
        req = await Request.create(Microdot(), AsyncBytesIO(
            b'POST / HTTP/1.1\r\nX-Wait: 100-continue\r\n'
            b'Content-Length: 2\r\n\r\nok'), writer, None)
        assert req.body == b'ok' and writer.getvalue() == b''
    finally:
        http._NAMES.clear()
        http._NAMES.update(saved[0])
        http._names_count = saved[1]


async def test_connection_readuntil_defaults_and_a_separator_first():
    from support import raises
    conn = Connection(AsyncBytesIO(b'one\ntwo'))
    assert await conn.readuntil() == b'one\n'
    conn = Connection(AsyncBytesIO(b'\nabcdefgh\n'))
    assert await conn.readuntil(b'\n', 4) == b'\n'
    with raises(ProtocolError):
        await conn.readuntil(b'\n', 4)
    conn = Connection(AsyncBytesIO(b'abc'))
    with raises(EOFError) as caught:
        await conn.readuntil(b'\n')
    assert str(caught.value) == 'Connection closed mid-line'


def test_close_payloads_take_bytes_and_keep_a_reason_of_exactly_123():
    from microdot.wsframe import close_payload
    assert close_payload(1000, b'bye') == b'\x03\xe8bye'
    assert close_payload(1000, bytearray(b'bye')) == b'\x03\xe8bye'
    assert close_payload(1001, 'a' * 123) == b'\x03\xe9' + b'a' * 123
    assert close_payload(1001, 'a' * 124) == b'\x03\xe9' + b'a' * 123
    assert close_payload(None, 'ignored') == b''


def test_parse_request_line_on_its_own():
    from microdot.http import parse_request_line
    from support import raises
    assert parse_request_line('GET /x HTTP/1.1', 100) == ('GET', '/x', '1.1')
    assert parse_request_line(b'GET /x HTTP/1.0', 100) == \
        ('GET', '/x', '1.0')
    for line, status, reason in (
            (b'GET /' + b'a' * 200 + b' HTTP/1.1', 414, 'URI Too Long'),
            (b'GET /\xff HTTP/1.1', 400, 'Request line is not valid UTF-8'),
            (b'GET /a\rb HTTP/1.1', 400, 'Malformed target')):
        with raises(ProtocolError) as caught:
            parse_request_line(line, 100)
        assert (caught.value.status_code, caught.value.reason) == \
            (status, reason), line
    for target, path in (('http://h/a/b', '/a/b'), ('http://h/a//b', '/a//b'),
                         ('https://h:8080/a?x=//y', '/a?x=//y'),
                         ('http:///x', '/x'), ('http://h', '/')):
        assert parse_request_line('GET ' + target + ' HTTP/1.1', 100) == \
            ('GET', path, '1.1'), target


def test_decode_text_takes_valid_text_with_every_restricted_lead_byte():
    from microdot.wsframe import decode_text
    for text in ('\u0800\u0fff x \u0800', '\ud7ff\ud000\ud7ff',
                 '\U00010000 \U0003ffff\U00010000',
                 '\U00100000\U0010ffff \U00100000', 'caf\u00e9 \u20ac'):
        assert decode_text(text.encode()) == text, text
        assert decode_text(bytearray(text.encode())) == text, text


def test_byte_table_marks_exactly_its_characters():
    from microdot.http import byte_table
    table = byte_table('az~')
    assert len(table) == 256
    assert [i for i in range(256) if table[i]] == [97, 122, 126]
    assert set(table) == {0, 1}


def test_a_content_length_with_any_letter_is_malformed():
    from microdot.http import parse_content_length
    assert parse_content_length('12') == 12
    for value in ('X5', '5X', 'x', '1 2', '', '+5'):
        with raises(ProtocolError) as caught:
            parse_content_length(value)
        assert (caught.value.status_code, caught.value.reason) == \
            (400, 'Malformed Content-Length'), value
