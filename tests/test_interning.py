"""Untrusted text never interns new strings on MicroPython.

MicroPython interns ("qstr") every one-character str made by iterating or
indexing a str, and every chr(): for good, some 20 bytes each, in pools
that grow by blocks of several KiB. A parser that looks at a client's text
character by character would let a client that sends characters never
seen before (any of Unicode's million) grow the heap without end,
then fail once a new pool no longer fits. Each parser of untrusted text
is fed a thousand characters never seen before, and the heap must not
keep them. (CPython has no such interning: skipped there.)"""
import gc

from support import IS_MICROPYTHON, serve_raw, skip

from microdot import Microdot
from microdot.test_client import TestClient

COUNT = 1000
# what COUNT new qstrs would keep at the least (their text, 4 bytes or more
# each, without a new pool): well above what a collection leaves over from
# one run to the next
LIMIT = 2048


def new_characters(start):
    """COUNT one-character strs of a block of 3-byte UTF-8 characters, a
    block per test, made from their bytes: chr() or indexing would intern
    them here and now, and the parsers could not be caught at it."""
    return [_utf8(start + i).decode() for i in range(COUNT)]


def _utf8(code):
    return bytes((0xe0 | code >> 12, 0x80 | (code >> 6) & 0x3f,
                  0x80 | code & 0x3f))


def held():
    gc.collect()
    gc.collect()
    return gc.mem_alloc()


async def grows_by(run, characters):
    """Bytes the heap keeps after ``run`` saw each of ``characters``."""
    if not IS_MICROPYTHON:
        skip('CPython interns no one-character strings')
    await run('a')          # whatever is made once
    before = held()
    index = 0
    while index < len(characters):      # (a list: no str is iterated)
        await run(characters[index])
        index += 1
    return held() - before


def echo_app():
    app = Microdot()

    @app.route('/', methods=['GET', 'POST'])
    async def index(req):
        # the header fields are parsed when asked for
        return str(len(req.headers)) + str(len(req.cookies))

    return app


async def test_header_names_and_values():
    app = echo_app()

    async def run(char):
        name = ('X-' + char).encode()
        await serve_raw(app, b'GET / HTTP/1.1\r\nHost: x\r\nCookie: ' +
                        ('"' + char + '"').encode() + b'\r\n' + name +
                        b': ' + char.encode() + b'\r\n\r\n')

    assert await grows_by(run, new_characters(0x4e00)) < LIMIT


async def test_request_lines():
    app = echo_app()

    async def run(char):
        for line in ('GET /' + char + ' HTTP/1.1',
                     'GET / HTTP/1.' + char, char + ' / HTTP/1.1',
                     'GET ' + char + ' HTTP/1.1'):
            await serve_raw(app, line.encode() + b'\r\nHost: x\r\n\r\n')

    assert await grows_by(run, new_characters(0x5000)) < LIMIT


async def test_percent_escapes_cookies_and_query():
    from microdot.urls import parse_cookies, parse_query, url_decode

    async def run(char):
        text = char + '%' + char + '%2' + char
        parse_cookies('"' + char + '"=' + char + ';' + char)
        parse_cookies('a="' + char + '"')
        for parse in (url_decode, parse_query):
            for strict in (False, True):
                try:
                    parse(text, strict=strict)
                except ValueError:
                    pass

    assert await grows_by(run, new_characters(0x5200)) < LIMIT


async def test_multipart_options():
    from microdot.multipart import parse_options

    async def run(char):
        parse_options('form-data; name="' + char + '\\' + char +
                      '"; filename=' + char + "; filename*=UTF-8''%" +
                      char)

    assert await grows_by(run, new_characters(0x5400)) < LIMIT


async def test_origins_paths_and_redirect_targets():
    from microdot.cors import CORS
    from microdot.login import _is_local
    from microdot.static import _is_safe
    app = echo_app()
    CORS(app, allowed_origins='*')
    client = TestClient(app)

    async def run(char):
        await client.get('/', headers={'Origin': 'https://' + char})
        _is_local('/' + char)
        _is_safe(char + '.txt')

    assert await grows_by(run, new_characters(0x5600)) < LIMIT
