"""microdot.asgi driven in-process: each test plays the ASGI server, giving
the app a scope and the messages a server would, and checks what it sends
back. (host_tests/test_asgi_wsgi.py runs the same module under uvicorn.)

ASGI is CPython only: on MicroPython every test here is skipped.
"""
import asyncio

from support import IS_MICROPYTHON, run, skip


def asgi():
    if IS_MICROPYTHON:
        skip('microdot.asgi runs on CPython only')
    from microdot import asgi
    return asgi


def scope_for(method='GET', path='/', raw_path=None, query=b'',
              headers=(), version='1.1'):
    return {'type': 'http', 'asgi': {'version': '3.0'},
            'http_version': version, 'scheme': 'http', 'method': method,
            'path': path, 'raw_path': raw_path, 'query_string': query,
            'root_path': '', 'headers': list(headers),
            'client': ('127.0.0.1', 40000), 'server': ('127.0.0.1', 80)}


async def serve(app, scope, messages=()):
    """Run one request; return (start message, body bytes, messages the
    app received). After ``messages`` the app gets http.disconnect once
    the response is complete, as from uvicorn."""
    pending = list(messages)
    received = []
    sent = []
    complete = asyncio.Event()

    async def receive():
        if pending:
            message = pending.pop(0)
        else:
            await complete.wait()
            message = {'type': 'http.disconnect'}
        received.append(message)
        return message

    async def send(message):
        sent.append(message)
        if message['type'] == 'http.response.body' and \
                not message.get('more_body', False):
            complete.set()

    await app(scope, receive, send)
    assert sent[0]['type'] == 'http.response.start'
    body = b''.join(message['body'] for message in sent[1:])
    return sent[0], body, received


def echo_app():
    app = asgi().Microdot()

    @app.route('/echo', methods=['GET', 'POST'])
    async def echo(req):
        return {'url': req.url, 'path': req.path, 'query': req.query_string,
                'headers': dict(req.headers),
                'body': req.body.decode('latin-1'),
                'streamed': req.body == b'' and req.content_length > 0}

    @app.route('/pieces', methods=['POST'])
    async def pieces(req):
        sizes = []
        data = req.body
        while not data or sizes:  # req.stream only if not all in req.body
            piece = await req.stream.read(1000)
            if not piece:
                break
            sizes.append(len(piece))
            data += piece
        return {'sizes': sizes, 'ok': data == bytes(range(256)) * 100}

    return app


def result(outcome):
    import json
    start, body, received = outcome
    return start, json.loads(body), received


def test_request_without_a_framed_body_receives_nothing():
    app = echo_app()
    start, echo, received = result(run(serve(app, scope_for(
        path='/echo', raw_path=b'/echo'), [
            {'type': 'http.request', 'body': b'', 'more_body': False}])))
    assert start['status'] == 200
    assert echo['body'] == ''
    assert received == []    # a GET without Content-Length has no body


def test_unframed_body_is_received_under_http_2_and_chunked():
    app = echo_app()
    body = [{'type': 'http.request', 'body': b'ab', 'more_body': True},
            {'type': 'http.request', 'body': b'cd', 'more_body': False}]
    _, echo, _ = result(run(serve(app, scope_for(
        'POST', '/echo', b'/echo', version='2'), body)))
    assert echo['body'] == 'abcd'
    _, echo, _ = result(run(serve(app, scope_for(
        'POST', '/echo', b'/echo',
        headers=[(b'transfer-encoding', b'chunked')]), body)))
    assert echo['body'] == 'abcd'


def test_header_fields_are_joined_and_found_in_any_case():
    app = echo_app()
    _, echo, _ = result(run(serve(app, scope_for(
        path='/echo', raw_path=b'/echo', headers=[
            (b'x-thing', b'one'), (b'X-THING', b'two'),
            (b'cookie', b'a=1'), (b'cookie', b'b=2'),
            (b'x-latin', b'caf\xe9'), (b'x-utf8', b'caf\xc3\xa9')]))))
    assert echo['headers'] == {'X-Thing': 'one, two', 'Cookie': 'a=1; b=2',
                               'X-Latin': 'caf\xe9', 'X-Utf8': 'caf\xe9'}

    seen = {}
    app = asgi().Microdot()

    @app.route('/')
    async def index(req):
        seen['lookups'] = (req.headers.get('x-thing'),
                           req.headers.get('X-THING'), 'x-Thing' in
                           req.headers, req.cookies, req.content_length)
        return 'ok'

    run(serve(app, scope_for(raw_path=b'/', headers=[
        (b'X-Thing', b'v'), (b'cookie', b'a=1; b=2'),
        (b'content-length', b'0')])))
    assert seen['lookups'] == ('v', 'v', True, {'a': '1', 'b': '2'}, 0)


def test_raw_path_and_query_are_percent_encoded_once():
    app = echo_app()
    _, echo, _ = result(run(serve(app, scope_for(
        path='/echo', raw_path=b'/echo', query=b'a=1&b=%20x&c=/?:@'))))
    assert (echo['url'], echo['path'], echo['query']) == \
        ('/echo?a=1&b=%20x&c=/?:@', '/echo', 'a=1&b=%20x&c=/?:@')

    app = asgi().Microdot()

    @app.route('/<name>')
    async def name(req, name):
        return {'url': req.url, 'path': req.path, 'name': name,
                'args': {k: req.args[k] for k in req.args}}

    # bytes a URL may not carry as they are (a server may pass them on)
    _, echo, _ = result(run(serve(app, scope_for(
        path='/caf\xe9 x', raw_path=b'/caf\xc3\xa9 x',
        query=b'q=caf\xc3\xa9 x&r=%41"'))))
    assert echo == {'url': '/caf%C3%A9%20x?q=caf%C3%A9%20x&r=%41%22',
                    'path': '/caf\xe9 x', 'name': 'caf\xe9 x',
                    'args': {'q': 'caf\xe9 x', 'r': 'A"'}}
    # without raw_path, `path` is encoded, '%' included
    _, echo, _ = result(run(serve(app, scope_for(path='/100%'))))
    assert (echo['url'], echo['name']) == ('/100%25', '100%')


def test_large_body_streams_in_pieces_from_one_or_many_messages():
    app = echo_app()
    data = bytes(range(256)) * 100
    headers = [(b'content-length', str(len(data)).encode())]
    Request = asgi().Request
    saved = Request.max_content_length
    Request.max_content_length = 64 * 1024
    try:
        for cut in (len(data), 7000, 333):
            messages = [{'type': 'http.request', 'body': data[i:i + cut],
                         'more_body': i + cut < len(data)}
                        for i in range(0, len(data), cut)]
            start, echo, _ = result(run(serve(app, scope_for(
                'POST', '/pieces', b'/pieces', headers=headers), messages)))
            assert echo['ok'], cut
            # what was loaded into req.body (all of a message that brought
            # it past 16 KiB), then the rest in reads of 1000 at most
            sizes = echo['sizes']
            if cut == len(data):      # ended in the first message
                assert sizes == []
            else:
                assert sizes and all(0 < size <= 1000 for size in sizes)
    finally:
        Request.max_content_length = saved


def test_response_headers_are_lowercase_bytes_and_checked():
    app = asgi().Microdot()

    @app.route('/')
    async def index(req):
        res = asgi().Response('hi', headers={'X-Number': 42})
        res.set_cookie('a', '1')
        res.set_cookie('b', '2')
        return res

    @app.route('/bad')
    async def bad(req):
        return 'no', {'X-Bad': 'one\r\nX-Injected: two'}

    start, body, _ = run(serve(app, scope_for(raw_path=b'/')))
    assert body == b'hi'
    assert start['status'] == 200
    assert sorted(start['headers']) == [
        (b'content-length', b'2'),
        (b'content-type', b'text/plain; charset=UTF-8'),
        (b'set-cookie', b'a=1'), (b'set-cookie', b'b=2'),
        (b'x-number', b'42')]
    start, body, _ = run(serve(app, scope_for(path='/bad',
                                              raw_path=b'/bad')))
    assert start['status'] == 500
    assert b'two' not in body


def test_http_version_is_the_servers_as_in_microdot():
    app = asgi().Microdot()

    @app.route('/')
    async def index(req):
        return req.http_version

    start, body, _ = run(serve(app, scope_for()))
    assert body == b'HTTP/1.1'
    start, body, _ = run(serve(app, scope_for(version='1.0')))
    assert body == b'HTTP/1.0'


def lifespan(app, messages):
    """Run the lifespan protocol with ``messages``; returns what the app
    sent back."""
    pending = list(messages)
    sent = []

    async def receive():
        return pending.pop(0)

    async def send(message):
        sent.append(message)

    scope = {'type': 'lifespan', 'asgi': {'version': '3.0'}, 'state': {}}
    run(app(scope, receive, send))
    return sent


def test_lifespan_shutdown_is_answered_after_a_failed_startup():
    def broken(scope):
        raise KeyError('expected by this test')

    calls = []

    def shutdown(scope):
        calls.append('shutdown')

    app = asgi().Microdot(lifespan_startup=broken, lifespan_shutdown=shutdown)
    sent = lifespan(app, [{'type': 'lifespan.startup'},
                          {'type': 'lifespan.shutdown'}])
    assert [message['type'] for message in sent] == [
        'lifespan.startup.failed', 'lifespan.shutdown.complete']
    assert 'KeyError' in sent[0]['message']
    assert calls == ['shutdown']


def test_a_handler_that_returns_nothing_answers_204_under_asgi():
    app = asgi().Microdot()

    @app.route('/')
    async def index(req):
        pass

    start, body, _ = run(serve(app, scope_for()))
    assert (start['status'], body) == (204, b'')


class ClosableBody:
    """A streamed body that notes when it is closed."""

    def __init__(self):
        self.closed = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        raise StopAsyncIteration

    def close(self):
        self.closed = True


def test_a_streamed_body_a_204_or_304_cannot_have_is_closed_under_asgi():
    app = asgi().Microdot()
    bodies = []

    @app.get('/<int:code>')
    async def index(req, code):
        from microdot import Response
        bodies.append(ClosableBody())
        return Response(bodies[-1], code)

    for code in (204, 304):
        start, body, _ = run(serve(app, scope_for(path='/%d' % code)))
        assert (start['status'], body) == (code, b'')
        assert bodies[-1].closed, code


def test_a_plain_response_gives_its_length_under_asgi():
    app = asgi().Microdot()

    @app.get('/')
    async def index(req):
        return 'hello'

    start, body, _ = run(serve(app, scope_for()))
    assert body == b'hello'
    assert (b'content-length', b'5') in start['headers'], start['headers']
