"""What a request costs the heap on MicroPython, counted with
micropython.mem_total() (every byte allocated, including the call frames
MicroPython puts on the heap and frees at once, which gc.mem_alloc() does
not show). Bounds are the 64-bit unix port's figures with a margin; a
32-bit board allocates less. They guard the frames kept off the heap:
a call whose locals and stack pass 11 words allocates its frame, and each
coroutine allocates its own."""
import asyncio

from support import IS_MICROPYTHON, hello_app, skip

from microdot import AsyncBytesIO, Response
from microdot.connection import Connection
from microdot.request import Request
from microdot.server import serve_connection

HEAD = b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
ANSWER = b'HTTP/1.1 200 OK\r\nConnection: close\r\n' \
    b'Content-Type: text/plain; charset=UTF-8\r\nContent-Length: 13\r\n' \
    b'\r\nHello, world!'


def mem_total():
    if not IS_MICROPYTHON:
        skip('counted with MicroPython\'s micropython.mem_total()')
    import micropython
    if not hasattr(micropython, 'mem_total'):
        skip('this MicroPython has no micropython.mem_total() '
             '(MICROPY_MEM_STATS)')
    return micropython.mem_total


def test_building_a_request_from_its_head_allocates_no_frame():
    total = mem_total()
    app = hello_app()
    conn = Connection(None, None, ('127.0.0.1', 1234))
    Request._from_head(app, conn, HEAD, 'http')
    before = total()
    for _ in range(20):
        Request._from_head(app, conn, HEAD, 'http')
    used = (total() - before) / 20
    print('Request._from_head: {:.0f} B'.format(used))
    # 742 B: the parser's frame, its tuple, the Request and its attributes,
    # the 'close'; 966 B when _from_head's own frame was on the heap
    assert used < 820, used


def test_a_plain_response_makes_no_header_dict():
    total = mem_total()
    Response('Hello, world!')
    before = total()
    for _ in range(20):
        Response('Hello, world!')
    used = (total() - before) / 20
    print('Response(str): {:.0f} B'.format(used))
    # 120 B: the object, its attribute table, the encoded body; 192 B
    # when every response made its NoCaseDict at once
    assert used < 160, used
    res = Response('Hello, world!')
    res.headers['X-Seen'] = 'yes'   # made on first use
    assert res.headers['x-seen'] == 'yes'


async def test_serving_a_connection_takes_one_coroutine():
    total = mem_total()
    app = hello_app()

    async def serve():
        writer = AsyncBytesIO()
        conn = Connection(AsyncBytesIO(HEAD), writer, ('127.0.0.1', 1234))
        await serve_connection(app, conn, 'http')
        return writer

    assert (await serve()).getvalue() == ANSWER
    before = total()
    for _ in range(20):
        await serve()
    used = (total() - before) / 20
    print('a request on its own connection: {:.0f} B'.format(used))
    # 3,643 B, of which the in-memory streams and their reads take about
    # 500; 4,059 B when a second coroutine wrapped the request loop
    assert used < 3850, used
    assert not app.connections
    await asyncio.sleep(0)


async def test_a_json_answer_costs_little_more_than_a_text_one():
    # a JSON answer's only field of its own is its Content-Type: its head
    # is made once and kept, as a text answer's, rather than completed
    # and serialised field by field at every request
    total = mem_total()
    # as in a new server, whose cache of request lines (the first 8 seen)
    # earlier tests have filled with lines of their own
    from microdot import http
    saved = list(http._LINES)
    del http._LINES[:]
    app = hello_app()

    @app.route('/json')
    async def as_json(req):
        return {'hello': 'world'}

    async def serve(head):
        writer = AsyncBytesIO()
        conn = Connection(AsyncBytesIO(head), writer, ('127.0.0.1', 1234))
        await serve_connection(app, conn, 'http')
        return writer

    costs = []
    try:
        for head in (HEAD, HEAD.replace(b'GET / ', b'GET /json ')):
            await serve(head)
            before = total()
            for _ in range(20):
                await serve(head)
            costs.append((total() - before) / 20)
    finally:
        http._LINES[:] = saved
    print('text {:.0f} B, JSON {:.0f} B'.format(*costs))
    # 372 B more on the unix port: json.dumps(), its encoding, the header
    # dict; 887 B more when the head was made anew for every JSON answer
    assert costs[1] - costs[0] < 600, costs
