"""microdot.sse: the event format (a pure function) and SSE handlers run
through the core, with the response written to an in-memory client."""
import asyncio

from support import raises

from microdot import Microdot
from microdot import AsyncBytesIO
from microdot.request import Request
from microdot.sse import SSE, format_event, sse_response, with_sse


# --- format ------------------------------------------------------------------
def test_plain_string_event():
    assert format_event('hello') == b'data: hello\n\n'


def test_dict_and_list_are_sent_as_json():
    assert format_event({'counter': 1}) == b'data: {"counter": 1}\n\n'
    assert format_event([1, 'a']) == b'data: [1, "a"]\n\n'


def test_bytes_and_other_values():
    assert format_event(b'raw') == b'data: raw\n\n'
    assert format_event(bytearray(b'ar')) == b'data: ar\n\n'
    assert format_event(42) == b'data: 42\n\n'
    assert format_event('') == b'data: \n\n'


def test_each_line_of_multi_line_data_is_a_data_line():
    expected = b'data: one\ndata: two\ndata: \ndata: three\n\n'
    assert format_event('one\ntwo\n\nthree') == expected
    assert format_event('one\r\ntwo\r\n\r\nthree') == expected
    assert format_event('one\rtwo\r\rthree') == expected
    assert format_event('end\n') == b'data: end\ndata: \n\n'


def test_event_name_id_and_retry_fields():
    # retry is given in seconds, as in Microdot; the field says milliseconds
    assert format_event('x', event='tick', event_id=7, retry=1.5) == \
        b'event: tick\nid: 7\nretry: 1500\ndata: x\n\n'
    assert format_event('x', retry=2) == b'retry: 2000\ndata: x\n\n'
    assert format_event('end', event='comment') == \
        b'event: comment\ndata: end\n\n'
    assert format_event('x', event_id='') == b'id: \ndata: x\n\n'


def test_comment_lines_carry_no_data():
    assert format_event('ping', comment=True) == b': ping\n\n'
    assert format_event('a\nb', comment=True) == b': a\n: b\n\n'
    assert format_event('hi', comment=True, retry=0.01) == \
        b': hi\nretry: 10\n\n'


def test_non_ascii_text_is_utf8():
    assert format_event('héllo €') == 'data: héllo €\n\n'.encode()


def test_newlines_in_fields_are_refused():
    for kwargs in ({'event': 'a\nb'}, {'event': 'a\rb'},
                   {'event_id': '1\n2'}, {'event_id': 'x\0'}):
        with raises(ValueError):
            format_event('data', **kwargs)


# --- through the core --------------------------------------------------------
class Client:
    """Reads the response: collects writes; raises EPIPE from write number
    ``fail_at`` on, as a socket whose peer left does."""

    def __init__(self, fail_at=None):
        self.written = []
        self.fail_at = fail_at
        self.writes = 0

    async def awrite(self, data):
        self.writes += 1
        if self.fail_at is not None and self.writes >= self.fail_at:
            raise OSError(32, 'Broken pipe')
        self.written.append(bytes(data))
        await asyncio.sleep(0)

    def body(self):
        return b''.join(self.written[1:]).decode()   # after the head


async def get_response(app, path='/events', method='GET'):
    stream = AsyncBytesIO('{} {} HTTP/1.1\r\nHost: x\r\n\r\n'.format(
        method, path).encode())
    req = await Request.create(app, stream, stream, ('127.0.0.1', 1))
    return await app.dispatch_request(req)


async def test_seed_example_counter_stream():
    app = Microdot()

    @app.route('/events')
    @with_sse
    async def events(request, sse):
        for i in range(3):
            await asyncio.sleep(0.01)
            await sse.send({'counter': i})
        await sse.send('end', event='comment')

    res = await get_response(app)
    assert res.headers['Content-Type'] == 'text/event-stream'
    assert res.headers['Cache-Control'] == 'no-cache'
    client = Client()
    await res.write(client)
    assert client.written[0].startswith(b'HTTP/1.1 200 OK\r\n')
    assert client.body() == (
        'data: {"counter": 0}\n\ndata: {"counter": 1}\n\n'
        'data: {"counter": 2}\n\nevent: comment\ndata: end\n\n')


async def test_route_arguments_and_extra_arguments_reach_the_handler():
    app = Microdot()

    @app.route('/events/<int:count>')
    @with_sse
    async def countdown(request, sse, count):
        for i in range(count, 0, -1):
            await sse.send(i, event_id=i)

    res = await get_response(app, '/events/2')
    client = Client()
    await res.write(client)
    assert client.body() == 'id: 2\ndata: 2\n\nid: 1\ndata: 1\n\n'

    async def greet(request, sse, name, punctuation='.'):
        await sse.send('hello ' + name + punctuation)

    client = Client()
    await sse_response(None, greet, 'ada', punctuation='!').write(client)
    assert client.body() == 'data: hello ada!\n\n'


async def test_keep_alive_comments_fill_silences():
    app = Microdot()

    @app.route('/events')
    @with_sse
    async def slow(request, sse):
        await asyncio.sleep(0.35)
        await sse.send('late')

    saved = SSE.keep_alive_interval
    SSE.keep_alive_interval = 0.1
    try:
        client = Client()
        await (await get_response(app)).write(client)
    finally:
        SSE.keep_alive_interval = saved
    body = client.body()
    assert body.endswith('data: late\n\n')
    assert body.count(': keep-alive\n\n') >= 2
    assert body == ': keep-alive\n\n' * body.count(': keep-alive\n\n') + \
        'data: late\n\n'


async def test_no_keep_alive_when_disabled():
    app = Microdot()

    @app.route('/events')
    @with_sse
    async def slow(request, sse):
        await asyncio.sleep(0.15)
        await sse.send('late')

    saved = SSE.keep_alive_interval
    SSE.keep_alive_interval = None
    try:
        client = Client()
        await (await get_response(app)).write(client)
    finally:
        SSE.keep_alive_interval = saved
    assert client.body() == 'data: late\n\n'


async def test_client_leaving_cancels_the_handler_quietly():
    app = Microdot()
    log = []

    @app.route('/events')
    @with_sse
    async def forever(request, sse):
        try:
            i = 0
            while True:
                await sse.send(i)
                i += 1
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            log.append('cancelled after {}'.format(i))
            raise

    res = await get_response(app)
    client = Client(fail_at=4)      # head, then two events, then EPIPE
    with raises(OSError):
        await res.write(client)
    await asyncio.sleep(0.05)
    assert len(log) == 1 and log[0].startswith('cancelled after')
    assert res.body.task.done()
    assert client.body() == 'data: 0\n\ndata: 1\n\n'


async def test_handler_that_ignores_cancellation_still_ends():
    app = Microdot()
    log = []

    @app.route('/events')
    @with_sse
    async def stubborn(request, sse):
        try:
            while True:
                await sse.send('x')
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            pass
        await sse.send('after the client left: dropped')
        log.append('returned')

    res = await get_response(app)
    with raises(OSError):
        await res.write(Client(fail_at=3))
    await asyncio.sleep(0.05)
    assert log == ['returned']
    assert res.body.task.done()


async def test_head_request_never_starts_the_handler():
    app = Microdot()
    started = []

    @app.route('/events')
    @with_sse
    async def events(request, sse):
        started.append(True)
        await sse.send('x')

    res = await get_response(app, method='HEAD')
    res.is_head = True
    client = Client()
    await res.write(client)
    await asyncio.sleep(0.01)
    assert started == []
    assert len(client.written) == 1     # the head only
    assert res.body.task is None


async def test_handler_error_ends_the_stream_and_is_raised():
    # the events sent before go out, then the error ends the body: the
    # server logs it and closes, Microdot's test client raises it
    from microdot.test_client import TestClient
    app = Microdot()

    @app.route('/events')
    @with_sse
    async def broken(request, sse):
        await sse.send('before')
        raise ValueError('a bug in the handler (expected by this test)')

    client = Client()
    with raises(ValueError):
        await (await get_response(app)).write(client)
    assert client.body() == 'data: before\n\n'
    with raises(ValueError):
        await TestClient(app).get('/events')


async def test_a_fast_handler_waits_for_a_slow_client():
    app = Microdot()
    queued = []

    @app.route('/events')
    @with_sse
    async def burst(request, sse):
        for i in range(40):
            await sse.send(i)
            queued.append(len(sse._queue))

    class SlowClient(Client):
        async def awrite(self, data):
            await asyncio.sleep(0.002)
            await Client.awrite(self, data)

    client = SlowClient()
    await (await get_response(app)).write(client)
    assert client.body() == ''.join('data: {}\n\n'.format(i)
                                    for i in range(40))
    assert max(queued) <= SSE.max_queued_events


async def test_chunked_framing_when_the_server_asks_for_it():
    app = Microdot()

    @app.route('/events')
    @with_sse
    async def one(request, sse):
        await sse.send('x')

    res = await get_response(app)
    res.chunked = True
    client = Client()
    await res.write(client)
    assert b'Transfer-Encoding: chunked' in client.written[0]
    assert b''.join(client.written[1:]) == b'9\r\ndata: x\n\n\r\n0\r\n\r\n'


async def test_the_test_client_reads_the_events():
    from microdot.test_client import TestClient
    app = Microdot()

    @app.route('/events')
    @with_sse
    async def events(request, sse):
        await sse.send('hello', comment=True)
        for i in range(2):
            await sse.send({'counter': i}, event_id=i)
        await sse.send('a\nb', event='multi', retry=0.1)

    res = await TestClient(app).get('/events')
    assert res.status_code == 200
    assert res.headers['Content-Type'] == 'text/event-stream'
    # Microdot's shape: data as bytes, data_json, retry in seconds
    assert res.events == [
        {'event': None, 'data': b'{"counter": 0}',
         'data_json': {'counter': 0}, 'event_id': '0', 'retry': None},
        {'event': None, 'data': b'{"counter": 1}',
         'data_json': {'counter': 1}, 'event_id': '1', 'retry': None},
        {'event': 'multi', 'data': b'a\nb', 'data_json': None,
         'event_id': None, 'retry': 0.1}]
