"""Property tests of the request parser, the chunked-body decoder, URL
decoding, form and cookie parsing (CPython, hypothesis).

Valid input round-trips; any input is either accepted or refused with the
documented exception (ProtocolError / HTTPException for the wire format,
ValueError for the URL and form decoders, nothing for cookies), never
anything else. FUZZ_EXAMPLES sets the examples per property (default 300;
`make fuzz` runs many more). The WebSocket frame parser has its own
properties in test_websocket_fuzz.py."""
import asyncio
import os

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microdot import Microdot, Request
from microdot import AsyncBytesIO
from microdot.body import parse_chunk_size
from microdot.http import (HTTPException, ProtocolError, find_head_end,
                           parse_content_length,
                           parse_head)
from microdot.multidict import MultiDict
from microdot.structures import NoCaseDict
from microdot.urls import (encode_query, parse_cookies, parse_query,
                           url_decode, url_encode)

EXAMPLES = int(os.getenv('FUZZ_EXAMPLES', '300'))
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])

TOKEN = '!#$%&\'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz' \
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
tokens = st.text(TOKEN, min_size=1, max_size=12)
# header values: visible ASCII and spaces inside, any non-ASCII text
field_values = st.text(
    st.characters(blacklist_categories=('Cs', 'Cc'),
                  blacklist_characters='\x7f'), max_size=40).map(
    lambda value: value.strip(' \t'))
path_segments = st.text(st.characters(blacklist_categories=('Cs',)),
                        max_size=10)
# pieces hostile input is made of: the bytes that matter to HTTP framing
framing = st.sampled_from([b'\r\n', b'\n', b'\r', b' ', b'\t', b':', b'\x00',
                           b'%', b'GET', b'HTTP/1.1', b'HTTP/1.0', b'/',
                           b'Content-Length', b'Transfer-Encoding',
                           b'chunked', b'0', b'ff', b';', b'\xff', b'\xc0',
                           b'\xe0\x80', b'\r\n\r\n', b'?', b'=', b'&'])
hostile_bytes = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(framing, st.binary(max_size=8)), max_size=60).map(
        b''.join))


def parse(data):
    headers = NoCaseDict()
    end = find_head_end(data)
    method, target, version = parse_head(data, len(data) if end < 0 else end,
                                         2048, 48, headers)
    return method, target, version, headers


@fuzz
@given(hostile_bytes)
def test_any_head_parses_or_is_a_protocol_error(data):
    try:
        method, target, version, headers = parse(data)
    except ProtocolError as exc:
        assert exc.status_code in (400, 414, 431, 505)
        return
    assert version in ('1.0', '1.1')
    assert target.startswith('/') or target == '*'
    for name, value in headers.items():
        assert '\r' not in value and '\n' not in value and '\x00' not in value


@fuzz
@given(tokens, st.lists(path_segments, max_size=4),
       st.sampled_from(['1.0', '1.1']),
       st.lists(st.tuples(tokens, field_values), max_size=10))
def test_valid_heads_round_trip(method, segments, version, fields):
    target = '/' + '/'.join(url_encode(s) for s in segments)
    lines = ['{} {} HTTP/{}'.format(method, target, version)]
    expected = {}
    for name, value in fields:
        lower = name.lower()
        assume(lower not in ('content-length', 'host', 'transfer-encoding'))
        lines.append('{}: {}'.format(name, value))
        if lower in expected:
            joiner = '; ' if lower == 'cookie' else ', '
            expected[lower] = expected[lower] + joiner + value
        else:
            expected[lower] = value
    data = '\r\n'.join(lines).encode()
    got_method, got_target, got_version, headers = parse(data)
    assert (got_method, got_target, got_version) == (method, target, version)
    assert {name.lower(): value for name, value in headers.items()} == \
        expected
    assert url_decode(target, False) == '/' + '/'.join(segments)


@fuzz
@given(st.text(max_size=20))
def test_content_length_is_an_int_or_a_400(value):
    try:
        length = parse_content_length(value)
    except ProtocolError as exc:
        assert exc.status_code == 400
        return
    assert str(length) == value.lstrip('0') or (length == 0 and value)
    assert value.isascii() and value.isdigit()


@fuzz
@given(st.binary(max_size=20))
def test_chunk_size_is_an_int_or_a_400(line):
    try:
        size = parse_chunk_size(line)
    except ProtocolError as exc:
        assert exc.status_code == 400
        return
    assert 0 <= size < 16 ** 8


def create(data, max_content_length=None):
    async def run():
        saved = Request.max_content_length
        if max_content_length is not None:
            Request.max_content_length = max_content_length
        try:
            req = await Request.create(Microdot(), AsyncBytesIO(data), None,
                                       ('127.0.0.1', 1))
            if req is not None and req._stream is not None:
                body = await req.stream.read()
                return req, body
            return req, None if req is None else req.body
        finally:
            Request.max_content_length = saved
    return asyncio.run(run())


@fuzz
@given(hostile_bytes)
def test_any_request_is_built_or_refused_cleanly(data):
    try:
        create(data)
    except (HTTPException, EOFError):
        pass


@fuzz
@given(hostile_bytes)
def test_any_chunked_body_decodes_or_is_refused(body):
    head = b'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
    try:
        create(head + body)
    except (HTTPException, EOFError):
        pass


@fuzz
@given(st.binary(max_size=3000), st.lists(st.integers(1, 700), max_size=20),
       st.lists(st.sampled_from([b'', b';a=b', b'; x', b';q="1;2"']),
                min_size=1, max_size=5),
       st.lists(st.tuples(tokens, st.text(TOKEN, max_size=10)), max_size=4),
       st.booleans())
def test_chunked_bodies_round_trip(body, sizes, extensions, trailers,
                                   upper_hex):
    framed = b''
    position = 0
    index = 0
    while position < len(body):
        size = sizes[index % len(sizes)] if sizes else len(body)
        piece = body[position:position + size]
        size_text = b'%X' % len(piece) if upper_hex else b'%x' % len(piece)
        framed += size_text + extensions[index % len(extensions)] + \
            b'\r\n' + piece + b'\r\n'
        position += size
        index += 1
    framed += b'0\r\n' + b''.join(
        '{}: {}\r\n'.format(name, value).encode()
        for name, value in trailers) + b'\r\n'
    head = b'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'
    req, got = create(head + framed + b'GET / HTTP/1.1\r\n\r\n',
                      max_content_length=4000)
    assert got == body
    conn = req.connection   # its unread bytes start at conn.at
    assert conn.buffer.startswith(b'GET /', conn.at) or \
        req._stream is not None


@fuzz
@given(st.text())
def test_url_encoding_round_trips(text):
    encoded = url_encode(text)
    assert encoded.isascii()
    assert url_decode(encoded) == text
    assert url_decode(encoded.encode()) == text


@fuzz
@given(st.one_of(st.text(max_size=60), hostile_bytes))
def test_url_decode_returns_text_or_raises_value_error(data):
    for plus in (True, False):
        try:
            text = url_decode(data, plus)
        except ValueError:
            continue
        assert isinstance(text, str)
        text.encode()   # valid: no lone surrogates


@fuzz
@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)),
                max_size=8))
def test_query_strings_round_trip(pairs):
    values = MultiDict()
    for name, value in pairs:
        assume(name)
        values[name] = value
    parsed = parse_query(encode_query(values))
    for name in values:
        assert parsed.getlist(name) == values.getlist(name)
    assert set(parsed) == set(values)
    assert parse_query(encode_query(values).encode()).getlist is not None


@fuzz
@given(st.one_of(st.text(max_size=80), hostile_bytes))
def test_query_and_form_parsing_never_fail_otherwise(data):
    try:
        parsed = parse_query(data)
    except ValueError:
        return
    for name in parsed:
        assert isinstance(name, str)
        for value in parsed.getlist(name):
            assert isinstance(value, str)


@fuzz
@given(st.text(max_size=100))
def test_cookie_headers_never_fail(header):
    cookies = parse_cookies(header)
    assert isinstance(cookies, dict)
    for name, value in cookies.items():
        # an empty name is kept, as in Microdot ('=x', or a field without
        # '=' after a ';')
        assert name == name.strip() and ';' not in name and '=' not in name
        assert ';' not in value


@fuzz
@given(st.dictionaries(st.text(TOKEN.replace('=', ''), min_size=1,
                               max_size=10),
                       st.text(TOKEN.replace(';', ''), max_size=10),
                       max_size=6), st.sampled_from(['; ', ';', ' ;  ']))
def test_cookie_headers_round_trip(cookies, separator):
    header = separator.join('{}={}'.format(k, v) for k, v in cookies.items())
    assert parse_cookies(header) == cookies
