"""The parsing rules of docs/security.md with their near misses: for each
rule, values that barely pass and values that barely fail, through the
server's own loop (tests/wire.py) on every runtime."""
from microdot import Microdot
from wire import exchange, status_of, written


def echo_app():
    app = Microdot()

    @app.route('/', methods=['GET', 'POST', 'OPTIONS'])
    async def index(req):
        return req.method + ' ' + req.path + ' ' + req.body.decode()

    return app


def chunked_post(coding, version=b'1.1'):
    return b'POST / HTTP/' + version + b'\r\nTransfer-Encoding: ' + coding + \
        b'\r\n\r\n5\r\nhello\r\n0\r\n\r\n'


async def test_transfer_codings_other_than_chunked_alone_are_501():
    for coding in (b'gzip, chunked', b'xchunked', b'chunkedx',
                   b'chunked, gzip', b'gzip', b'identity', b'chunked, chunked',
                   b'chunked;q=1', b'chunked,', b', chunked', b'chun ked',
                   b'deflate,chunked'):
        assert await status_of(echo_app(), chunked_post(coding)) == 501, \
            coding


async def test_chunked_is_matched_without_regard_to_case_and_spaces():
    for coding in (b'chunked', b'Chunked', b'CHUNKED', b'  chunked \t'):
        answers = await exchange(echo_app(), chunked_post(coding))
        assert [a.body for a in answers] == [b'POST / hello'], coding


async def test_transfer_encoding_with_content_length_or_http_10_is_400():
    data = b'POST / HTTP/1.1\r\nContent-Length: 5\r\n' \
        b'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
    assert await status_of(echo_app(), data) == 400
    assert await status_of(echo_app(), chunked_post(b'chunked', b'1.0')) == \
        400
    # a coding on 1.0 is refused before the coding is looked at
    assert await status_of(echo_app(), chunked_post(b'gzip', b'1.0')) == 400


async def test_versions_near_1_0_and_1_1():
    for version, status in ((b'HTTP/1.1', 200), (b'HTTP/1.0', 200),
                            (b'HTTP/1.2', 505), (b'HTTP/0.9', 505),
                            (b'HTTP/2.0', 505), (b'HTTP/9.9', 505),
                            (b'HTTP/1.10', 400), (b'HTTP/11', 400),
                            (b'HTTP/1.a', 400), (b'HTTP/a.1', 400),
                            (b'HTTP/1,1', 400), (b'HTTP-1.1', 400),
                            (b'HTTX/1.1', 400), (b'http/1.1', 400),
                            (b'HTTP/1.1 ', 400), (b'HTTP/', 400)):
        data = b'GET / ' + version + b'\r\nHost: x\r\n\r\n'
        assert await status_of(echo_app(), data) == status, version


async def test_request_line_shapes():
    for line, status in ((b'GET / HTTP/1.1', 200),
                         (b'GET  / HTTP/1.1', 400),
                         (b'GET /  HTTP/1.1', 400),
                         (b' GET / HTTP/1.1', 400),
                         (b'GET\t/ HTTP/1.1', 400),
                         (b'GET /\tx HTTP/1.1', 400),
                         (b'GET / HTTP/1.1 x', 400),
                         (b'GET /', 400),
                         (b'G@T / HTTP/1.1', 400),
                         (b'GE(T / HTTP/1.1', 400),
                         (b'GET x HTTP/1.1', 400),
                         (b'GET ftp://x/ HTTP/1.1', 400),
                         (b'GET http:/x/ HTTP/1.1', 400)):
        data = line + b'\r\nHost: x\r\n\r\n'
        assert await status_of(echo_app(), data) == status, line


async def test_targets_in_absolute_form_keep_their_path_and_query():
    for target, path in ((b'http://example.com/', b'/'),
                         (b'http://example.com', b'/'),
                         (b'https://example.com', b'/'),
                         (b'https://example.com/?a=1', b'/'),
                         (b'http://user@example.com:80/', b'/')):
        answers = await exchange(echo_app(), b'GET ' + target +
                                 b' HTTP/1.1\r\n\r\n')
        assert [a.body for a in answers] == [b'GET ' + path + b' '], target


async def test_asterisk_target_reaches_no_route():
    # OPTIONS * asks about the server: no route is '*', and nothing breaks
    answers = await exchange(echo_app(), b'OPTIONS * HTTP/1.1\r\n\r\n')
    assert [a.status for a in answers] == [404]
    assert await status_of(echo_app(), b'GET ** HTTP/1.1\r\n\r\n') == 400


async def test_methods_are_tokens_matched_as_sent():
    for method, status in ((b'GET', 200), (b'get', 405), (b'PURGE', 405),
                           (b'M-SEARCH', 405), (b"X!#$%&'*+.^_`|~", 405),
                           (b'GET,', 400), (b'GE T', 400), (b'[GET]', 400),
                           (b'G\xc3\xa9T', 400)):
        data = method + b' / HTTP/1.1\r\n\r\n'
        assert await status_of(echo_app(), data) == status, method


async def test_header_field_shapes():
    for field, status in ((b'X: v', 200), (b'X:v', 200), (b'X:\t v \t', 200),
                          (b'X:', 200), (b"X-!#$%&'*+.^_`|~: v", 200),
                          (b'X : v', 400), (b'X\t: v', 400), (b': v', 400),
                          (b' X: v', 400), (b'\tX: v', 400), (b'X', 400),
                          (b'X(: v', 400), (b'X\x00: v', 400),
                          (b'X: a\x00b', 400), (b'X: a\rb', 400),
                          (b'X: a\nb', 400), (b'X\xc3\xa9: v', 400)):
        data = b'GET / HTTP/1.1\r\nHost: x\r\n' + field + b'\r\nY: 1\r\n\r\n'
        assert await status_of(echo_app(), data) == status, field


async def test_field_values_lose_only_the_spaces_around_them():
    app = echo_app()
    seen = []

    @app.get('/h')
    async def header(req):
        seen.append(req.headers.get('X-V'))
        return 'ok'

    for raw, value in ((b'X-V: a b', 'a b'), (b'X-V:\ta\tb\t', 'a\tb'),
                       (b'X-V:   ', ''), (b'x-v: a', 'a')):
        await exchange(app, b'GET /h HTTP/1.1\r\n' + raw + b'\r\n\r\n')
        assert seen.pop() == value, raw


async def test_repeated_fields():
    for fields, status in ((b'Host: a\r\nHost: a', 400),
                           (b'Content-Length: 0\r\nContent-Length: 0', 400),
                           (b'Transfer-Encoding: chunked\r\n'
                            b'transfer-encoding: chunked', 400),
                           (b'X: a\r\nX: b', 200),
                           (b'Host: a\r\nX-Host: a', 200)):
        data = b'GET / HTTP/1.1\r\n' + fields + b'\r\n\r\n'
        assert await status_of(echo_app(), data) == status, fields


async def test_content_length_near_misses():
    for value, status in ((b'5', 200), (b'05', 200), (b' 5 ', 200),
                          (b'+5', 400), (b'-5', 400), (b'5.0', 400),
                          (b'0x5', 400), (b'5, 5', 400), (b'5 5', 400),
                          (b'', 400), (b'\xd9\xa5', 400)):
        data = b'POST / HTTP/1.1\r\nContent-Length: ' + value + \
            b'\r\n\r\nhello'
        answers = await exchange(echo_app(), data)
        assert answers[0].status == status, value
        if status == 200:
            assert answers[0].body == b'POST / hello'


async def test_expect_100_continue_near_misses():
    body = b'\r\nContent-Length: 5\r\n\r\nhello'
    for version, expect, continued in (
            (b'1.1', b'100-continue', True), (b'1.1', b'100-Continue', True),
            (b'1.1', b'  100-continue ', True),
            (b'1.0', b'100-continue', False),
            (b'1.1', b'100-continuex', False),
            (b'1.1', b'200-continue', False),
            (b'1.1', b'100-continue, x', False)):
        data = b'POST / HTTP/' + version + b'\r\nExpect: ' + expect + body
        out = await written(echo_app(), data)
        assert out.startswith(b'HTTP/1.1 100 Continue\r\n\r\n') == \
            continued, (version, expect)
        assert out.count(b'100 Continue') == (1 if continued else 0)
        assert out.endswith(b'POST / hello')


async def test_no_100_continue_without_a_body():
    data = b'POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n'
    answers = await exchange(echo_app(), data)
    assert [a.status for a in answers] == [200]


async def test_bare_lf_and_cr_near_the_line_ends():
    for data, status in ((b'GET / HTTP/1.1\r\nX: 1\r\n\r\n', 200),
                         (b'GET / HTTP/1.1\nX: 1\r\n\r\n', 400),
                         (b'GET / HTTP/1.1\r\nX: 1\n\r\n\r\n', 400),
                         (b'GET / HTTP/1.1\r\nX: 1\r\n\n', 400),
                         (b'GET / HTTP/1.1\r\n\n', 400),
                         (b'GET / HTTP/1.1\r\r\n\r\n', 400),
                         (b'GET / HTTP/1.1\r\nX: 1\r\r\n\r\n', 400)):
        assert await status_of(echo_app(), data) == status, data


async def test_blank_lines_before_a_request_are_skipped():
    for before in (b'\r\n', b'\r\n\r\n', b'\n', b'\r\n\n'):
        answers = await exchange(echo_app(),
                                 before + b'GET / HTTP/1.1\r\n\r\n')
        assert [a.status for a in answers] == [200], before


async def test_connection_close_near_misses():
    for version, value, closes in ((b'1.1', None, False),
                                   (b'1.1', b'close', True),
                                   (b'1.1', b'Close', True),
                                   (b'1.1', b'keep-alive, close', True),
                                   (b'1.1', b'keep-alive', False),
                                   (b'1.0', None, True),
                                   (b'1.0', b'keep-alive', True)):
        head = b'GET / HTTP/' + version + b'\r\n'
        if value is not None:
            head += b'Connection: ' + value + b'\r\n'
        answers = await exchange(echo_app(), head * 1 + b'\r\n' +
                                 b'GET / HTTP/1.1\r\n\r\n')
        assert len(answers) == (1 if closes else 2), (version, value)
