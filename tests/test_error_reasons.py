"""What each refusal says: the status and the reason the parser gives a
malformed request (the body of its error answer, see docs/security.md),
the close code and reason a WebSocket peer gets, the message of a
malformed multipart body. One table per layer, every runtime; a reason is
checked where it is the parser's own (statuses answered with their
standard phrase are checked by status only)."""
from support import raises

from microdot import AsyncBytesIO, Microdot, Request
from microdot.http import ProtocolError, reason_phrase
from microdot.multipart import MultipartParser, MultipartError, \
    boundary_of, NEED_DATA, END
from microdot.wsframe import FrameParser, FrameError, encode_frame

MASK = b'\x01\x02\x03\x04'


async def refusal(data):
    """(status, reason) of the ProtocolError that reading ``data`` as a
    request raises (its head, and a body the server reads first)."""
    with raises(ProtocolError) as caught:
        await Request.create(Microdot(), AsyncBytesIO(data), None, None)
    return caught.value.status_code, caught.value.reason


HEAD_REFUSALS = (
    (b'GET / HTTP/1.1\n\n', 400, 'Bare LF in request head'),
    (b'GET / HTTP/1.1\nX: 1\r\n\r\n', 400, 'Bare LF in request line'),
    (b'GET /\xff HTTP/1.1\r\n\r\n', 400, 'Request head is not valid UTF-8'),
    (b'GET / HTTP/1.1\r\nX: \xc0\xaf\r\n\r\n', 400,
     'Request head is not valid UTF-8'),
    (b'GET / HTTP/1.1\r\nX: a\xff\r\n\r\n', 400,
     'Request head is not valid UTF-8'),
    (b'GET  / HTTP/1.1\r\n\r\n', 400, 'Malformed request line'),
    (b'G(T / HTTP/1.1\r\n\r\n', 400, 'Malformed method'),
    (b' / HTTP/1.1\r\n\r\n', 400, 'Malformed method'),
    (b'GET / HTTP/1.x\r\n\r\n', 400, 'Malformed HTTP version'),
    (b'GET / HTTP/11.1\r\n\r\n', 400, 'Malformed HTTP version'),
    (b'GET / HTTX/1.1\r\n\r\n', 400, 'Malformed HTTP version'),
    (b'GET / HTTP/1.1x\r\n\r\n', 400, 'Malformed HTTP version'),
    (b'GET x HTTP/1.1\r\n\r\n', 400, 'Malformed target'),
    (b'GET /\tx HTTP/1.1\r\n\r\n', 400, 'Malformed target'),
    (b'GET / HTTP/1.1\r\nX(: 1\r\n\r\n', 400, 'Malformed header name'),
    (b'GET / HTTP/1.1\r\nX: a\x00\r\n\r\n', 400, 'Malformed header value'),
    (b'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', 400, 'Malformed header value'),
    (b'GET / HTTP/1.1\r\n: 1\r\n\r\n', 400, 'Malformed header'),
    (b'GET / HTTP/1.1\r\nno colon\r\n\r\n', 400, 'Malformed header'),
    (b'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 400, 'Repeated host'),
    (b'GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx',
     400, 'Repeated Content-Length'),
    (b'GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n'
     b'Transfer-Encoding: chunked\r\n\r\n', 400,
     'Repeated Transfer-Encoding'),
    (b'POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n', 400,
     'Malformed Content-Length'),
    (b'GET /%zz HTTP/1.1\r\n\r\n', 400, 'Malformed path'),
    (b'POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked'
     b'\r\n\r\n', 400, 'Conflicting body framing'),
    (b'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501,
     'Unsupported transfer coding'),
)

CHUNKED = b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
BODY_REFUSALS = (
    (b'x\r\n', 400, 'Malformed chunk size'),
    (b'\r\n', 400, 'Malformed chunk size'),
    (b'123456789\r\n', 400, 'Malformed chunk size'),
    (b'5\r\r\nhello\r\n0\r\n\r\n', 400, 'Malformed chunk size'),
    (b'5X\r\nhello\r\n0\r\n\r\n', 400, 'Malformed chunk size'),
    (b'5\x0b\r\nhello\r\n0\r\n\r\n', 400, 'Malformed chunk size'),
    (b'5\r\nhelloXX0\r\n\r\n', 400, 'Malformed chunk'),
    (b'5\r\nhello\rX5\r\nworld\r\n0\r\n\r\n', 400, 'Malformed chunk'),
    (b'5\r\nhelloX\n5\r\nworld\r\n0\r\n\r\n', 400, 'Malformed chunk'),
    (b'5\r\nhell\n\rX5\r\nworld\r\n0\r\n\r\n', 400, 'Malformed chunk'),
    (b'5\r\nhello\r\x0b5\r\nworld\r\n0\r\n\r\n', 400, 'Malformed chunk'),
    (b'10\n0123456789abcdef\r\n0\r\n\r\n', 400, 'Bare LF in chunked body'),
    (b'ab\rXX\nXX' + b'x' * 200, 400, 'Bare LF in chunked body'),
    (b'5\nhello\r\n0\r\n\r\n', 400, 'Bare LF in chunked body'),
    (b'5\r\nhello\r\n0\r\nno colon\r\n\r\n', 400, 'Malformed trailer'),
    (b'5' + b';' * 1100 + b'\r\nhello\r\n0\r\n\r\n', 400, 'Line too long'),
)


async def test_head_refusals_say_why():
    for data, status, reason in HEAD_REFUSALS:
        assert await refusal(data) == (status, reason), data


async def test_chunked_body_refusals_say_why():
    for body, status, reason in BODY_REFUSALS:
        for data in (CHUNKED + body, CHUNKED + b'1\r\na\r\n' + body):
            assert await refusal(data) == (status, reason), data


async def test_limits_are_refused_with_their_standard_phrase():
    for data, status in (
            (b'GET /' + b'a' * 3000 + b' HTTP/1.1\r\n\r\n', 414),
            (b'GET / HTTP/1.1\r\nX: ' + b'a' * 3000 + b'\r\n\r\n', 431),
            (b'GET / HTTP/1.1\r\n' + b'X: 1\r\n' * 60 + b'\r\n', 431),
            (b'GET / HTTP/2.0\r\n\r\n', 505),
            (CHUNKED + b'5\r\nhello\r\n0\r\n' + b'T: 1\r\n' * 40 + b'\r\n',
             431),
            (CHUNKED + b'ffffff\r\n', 413)):
        # (a 413 says Microdot's text: 'Payload too large')
        text = 'Payload too large' if status == 413 else \
            reason_phrase(status)
        assert await refusal(data) == (status, text), (data[:40], status)


async def test_a_malformed_query_form_or_json_is_a_400_that_says_which():
    app = Microdot()
    from microdot.test_client import TestClient

    @app.route('/', methods=['POST'])
    async def index(req):
        what = req.args.get('what')
        if what == 'form':
            return str(req.form)
        return str(req.json)

    client = TestClient(app)
    for path, headers, body, reason in (
            ('/?a=%zz', {}, b'', 'Malformed query string'),
            # (a stray '%' is kept in a form body: bytes that are not
            # UTF-8 make it malformed)
            ('/?what=form', {'Content-Type':
                             'application/x-www-form-urlencoded'},
             b'a=%ff', 'Form body is not valid UTF-8'),
            ('/?what=json', {'Content-Type': 'application/json'}, b'{x',
             'Malformed JSON body')):
        res = await client.post(path, headers=headers, body=body)
        assert (res.status_code, res.text) == (400, reason), path


# --- WebSocket frames ----------------------------------------------------

def frame_error(data, **options):
    parser = FrameParser(**options)
    parser.receive_data(data)
    with raises(FrameError) as caught:
        while parser.next_event() is not None:
            pass
    return caught.value.code, caught.value.reason


def test_frame_refusals_say_why():
    for data, code, reason in (
            (encode_frame(1, b'\xff', mask=MASK), 1007, 'Invalid UTF-8'),
            (encode_frame(1, b'\xc0\xaf', mask=MASK), 1007, 'Invalid UTF-8'),
            (encode_frame(1, b'\xed\xa0\x80', mask=MASK), 1007,
             'Invalid UTF-8'),
            (encode_frame(8, b'\x03', mask=MASK), 1002,
             'Truncated close code'),
            (encode_frame(8, b'\x03\xed', mask=MASK), 1002,
             'Invalid close code'),
            (b'\xc1\x80' + MASK, 1002, 'Reserved bits set'),
            (b'\x83\x80' + MASK, 1002, 'Reserved opcode'),
            (b'\x81\x00', 1002, 'Unmasked frame'),
            (b'\x81\xff\x80' + bytes(7) + MASK, 1002, 'Invalid length'),
            (b'\x09\x80' + MASK, 1002, 'Fragmented control frame'),
            (b'\x89\xfe\x00\x7e' + MASK, 1002, 'Control frame too long'),
            (b'\x80\x80' + MASK, 1002, 'Continuation of no message'),
            (encode_frame(1, b'a', fin=False, mask=MASK) +
             encode_frame(1, b'b', mask=MASK), 1002,
             'New message inside a fragmented one')):
        assert frame_error(data) == (code, reason), data
    assert frame_error(encode_frame(2, b'abc', mask=MASK),
                       max_message_length=2) == (1009, 'Message too big')


def test_a_masked_frame_from_a_server_is_refused_by_a_client():
    assert frame_error(encode_frame(1, b'a', mask=MASK),
                       from_client=False) == \
        (1002, 'Masked frame from a server')


# --- multipart bodies ------------------------------------------------------

def multipart_error(data, pieces=None):
    parser = MultipartParser('B')
    at = 0
    with raises(MultipartError) as caught:
        while True:
            kind, _ = parser.next_event()
            if kind == END:
                break
            if kind == NEED_DATA:
                if at >= len(data):
                    parser.feed_eof()
                else:
                    size = pieces or len(data)
                    parser.feed(data[at:at + size])
                    at += size
    return str(caught.value)


def test_multipart_refusals_say_why():
    part = b'Content-Disposition: form-data; name="a"\r\n\r\nx\r\n--B--'
    for data, message in (
            (b'', 'Body ended in the preamble'),
            (b'--B\r\n' + part[:20], 'Body ended in part headers'),
            (b'--B\r\n' + part[:-8], 'Body ended in a part'),
            (b'--B', 'Body ended in a delimiter'),
            (b'--B  ', 'Body ended in a delimiter'),
            (b'--B' + b' ' * 64 + b'\rx', 'Malformed delimiter'),
            (b'--Bx\r\n' + part, 'Malformed delimiter'),
            (b'--B' + b' ' * 70 + b'\r\n' + part, 'Malformed delimiter'),
            (b'--B' + b' ' * 70, 'Malformed delimiter'),
            (b'--B\r\n' + b'X: ' + b'x' * 3000 + b'\r\n\r\n',
             'Part headers too long'),
            (b'--B\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nx'
             b'\r\n--B--', 'Part headers are not UTF-8'),
            (b'--B\r\nno colon\r\n\r\nx\r\n--B--', 'Malformed part header'),
            (b'--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--',
             'Part without Content-Disposition'),
            (b'--B\r\n\r\nx\r\n--B--', 'Malformed part header'),
            (b'--B-\r\n' + part, 'Malformed delimiter'),
            (b'--B\r-\r\n' + part, 'Malformed delimiter'),
            (b'--B\r\nContent-Disposition: attachment\r\n\r\nx\r\n--B--',
             'Part is not form-data')):
        assert multipart_error(data) == message, data
        assert multipart_error(data, 1) == message, data


def test_a_bad_boundary_is_refused():
    for content_type in ('multipart/form-data; boundary=',
                         'multipart/form-data',
                         'multipart/form-data; boundary=' + 'b' * 71,
                         'multipart/form-data; boundary="ab "'):
        with raises(MultipartError) as caught:
            boundary_of(content_type)
        assert str(caught.value) == 'Malformed multipart boundary', \
            content_type
    assert boundary_of('multipart/form-data; boundary=' + 'b' * 70) == \
        'b' * 70
    assert boundary_of('text/plain') is None and boundary_of(None) is None
