"""The I/O-free HTTP parser and serialiser, fed bytes directly."""
from support import raises

from microdot.body import parse_chunk_size
from microdot.http import (ProtocolError, HTTPException, find_head_end,
                           parse_head, parse_request_line,
                           parse_content_length,
                           response_head, chunk)
from microdot.structures import NoCaseDict


def parse(data, max_line=2048, max_headers=48):
    headers = NoCaseDict()
    method, target, version = parse_head(data, len(data), max_line,
                                         max_headers, headers)
    return method, target, version, headers


def status_of(data, **kwargs):
    with raises(ProtocolError) as caught:
        parse(data, **kwargs)
    return caught.value.status_code


def test_parses_request_line_and_headers():
    method, target, version, headers = parse(
        b'GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\n'
        b'X-Thing:  spaced value \t')
    assert (method, target, version) == ('GET', '/a/b?x=1', '1.1')
    assert headers['host'] == 'example.com'
    assert headers['X-THING'] == 'spaced value'


def test_http_1_0_is_accepted():
    assert parse(b'GET / HTTP/1.0')[2] == '1.0'


def test_repeated_headers_are_joined():
    headers = parse(b'GET / HTTP/1.1\r\nAccept: a\r\naccept: b\r\n'
                    b'Cookie: x=1\r\nCookie: y=2')[3]
    assert headers['Accept'] == 'a, b'
    assert headers['Cookie'] == 'x=1; y=2'
    # one entry, under the first spelling, whatever the case of repeats
    headers = parse(b'GET / HTTP/1.1\r\nX-A: 1\r\nX-B: 2\r\nx-a: 3\r\n'
                    b'cookie: p=1\r\nX-A: 4\r\nCOOKIE: q=2')[3]
    assert sorted(headers.items()) == [('X-A', '1, 3, 4'), ('X-B', '2'),
                                       ('cookie', 'p=1; q=2')]


def test_absolute_form_target_keeps_path_and_query():
    assert parse(b'GET http://h:80/p?q=1 HTTP/1.1')[1] == '/p?q=1'
    assert parse(b'GET http://h HTTP/1.1')[1] == '/'


def test_asterisk_target_for_options():
    assert parse(b'OPTIONS * HTTP/1.1')[1] == '*'


def test_malformed_request_lines_are_400():
    for line in (b'GET / HTTP/1.1 extra', b'GET  / HTTP/1.1', b'GET /',
                 b'', b'G(T / HTTP/1.1', b'GET / http/1.1',
                 b'GET / HTTP/1.x', b'GET nopath HTTP/1.1',
                 b'GET /a\x00b HTTP/1.1', b'GET /\tx HTTP/1.1'):
        assert status_of(line) == 400, line


def test_unsupported_version_is_505():
    assert status_of(b'GET / HTTP/2.0') == 505
    assert status_of(b'GET / HTTP/0.9') == 505


def test_long_request_line_is_414():
    assert status_of(b'GET /' + b'a' * 100 + b' HTTP/1.1', max_line=50) == 414


def test_bad_header_lines_are_400():
    for field in (b'NoColon', b': novalue', b'Bad Name: x', b' folded: x',
                  b'Name : x', b'X: a\x00b', b'X: \xff\xfe', b'X: a\rb',
                  b'X: a\nb', b'A: 1\r\nX: a\rb\r\nB: 2',
                  b'A: 1\r\nX: \x00'):
        assert status_of(b'GET / HTTP/1.1\r\n' + field) == 400, field


def test_bare_lf_is_400():
    assert status_of(b'GET / HTTP/1.1\nHost: x') == 400
    with raises(ProtocolError):
        find_head_end(b'GET / HTTP/1.1\nHost: x\n\n')


def test_too_many_or_too_long_headers_are_431():
    many = b'GET / HTTP/1.1' + b'\r\nX: y' * 5
    assert status_of(many, max_headers=4) == 431
    assert status_of(b'GET / HTTP/1.1\r\nX: ' + b'y' * 60, max_line=50) == 431


def test_doubled_content_length_is_400():
    assert status_of(b'POST / HTTP/1.1\r\nContent-Length: 1\r\n'
                     b'Content-Length: 1') == 400


def test_find_head_end():
    assert find_head_end(b'GET / HTTP/1.1\r\n\r\nbody') == 14
    assert find_head_end(b'GET / HTTP/1.1\r\n') == -1


def test_request_line_alone():
    assert parse_request_line(b'PUT /x HTTP/1.1', 100) == \
        ('PUT', '/x', '1.1')


def test_content_length_must_be_digits():
    assert parse_content_length('42') == 42
    for value in ('-1', '+1', '1.0', ' 1', 'abc', '', '1' * 20):
        with raises(ProtocolError):
            parse_content_length(value)


def test_chunk_sizes():
    assert parse_chunk_size(b'1a') == 26
    assert parse_chunk_size(b'FF;name=value') == 255
    assert parse_chunk_size(b'0') == 0
    for line in (b'', b'g', b'-1', b'0x10', b'123456789', b' 1'):
        with raises(ProtocolError):
            parse_chunk_size(line)


def test_response_head_serialises_fields_and_lists():
    head = response_head(200, 'OK', {'A': '1', 'Set-Cookie': ['x=1', 'y=2']})
    assert head == (b'HTTP/1.1 200 OK\r\nA: 1\r\nSet-Cookie: x=1\r\n'
                    b'Set-Cookie: y=2\r\n\r\n')


def test_a_reason_of_the_app_is_not_reused_for_the_standard_one():
    assert response_head(201, 'Made', {}) == b'HTTP/1.1 201 Made\r\n\r\n'
    assert response_head(201, None, {}) == b'HTTP/1.1 201 Created\r\n\r\n'
    assert response_head(201, 'Made', {}) == b'HTTP/1.1 201 Made\r\n\r\n'
    assert response_head(299, None, {}) == b'HTTP/1.1 299 Unknown\r\n\r\n'


def test_response_head_refuses_header_injection():
    with raises(ValueError):
        response_head(200, 'OK', {'X': 'a\r\nEvil: 1'})
    with raises(ValueError):
        response_head(200, 'OK', {'X': ['ok', 'b\nc']})


def test_chunk_framing():
    assert chunk(b'hello') == b'5\r\nhello\r\n'
    assert chunk(b'x' * 26) == b'1a\r\n' + b'x' * 26 + b'\r\n'


def test_http_exception_keeps_the_reason_it_is_given():
    # None when none is given, as in Microdot (the answer then says N/A);
    # the parser's errors carry the status's standard phrase
    assert HTTPException(404).reason is None
    assert HTTPException(418, 'Teapot').reason == 'Teapot'
    assert issubclass(ProtocolError, HTTPException)
    assert ProtocolError(431).reason == 'Request Header Fields Too Large'
    assert ProtocolError(400, 'Bare LF').reason == 'Bare LF'
