"""Server-Sent Events over real sockets, on every runtime: httpx reads the
streams of host_tests/apps/sse_app.py (format, ids, retry, keep-alive
comments), clients leave mid-stream, and the example of examples/sse/."""
import os
import shutil
import socket
import time

import httpx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = 'host_tests/apps/sse_app.py'
LAUNCHER = '''\
import os
app = __import__(os.getenv('EXAMPLE')).app
app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''


def stats(server):
    return httpx.get(server.url + '/stats', timeout=10).json()


def wait_for(condition, server, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        current = stats(server)
        if condition(current):
            return current
        if time.monotonic() > deadline:
            pytest.fail('condition not met; stats: {}'.format(current))
        time.sleep(0.05)


def read_until(chunks, marker, limit=10):
    """Text read from the iterator ``chunks`` (a streamed response's
    ``iter_text()``; kept by the caller, since dropping it closes the
    response) up to and including ``marker``."""
    text = ''
    deadline = time.monotonic() + limit
    for chunk in chunks:
        text += chunk
        if marker in text:
            return text
        assert time.monotonic() < deadline, text
    pytest.fail('stream ended before {!r}: {!r}'.format(marker, text))


def counter_events(first, count):
    return ''.join('id: {0}\ndata: {{"counter": {0}}}\n\n'.format(i)
                   for i in range(first, first + count))


def test_event_stream_format(start_server, runtime):
    server = start_server(APP, runtime)
    with httpx.stream('GET', server.url + '/events?count=3',
                      timeout=10) as res:
        assert res.status_code == 200
        assert res.headers['Content-Type'] == 'text/event-stream'
        assert res.headers['Cache-Control'] == 'no-cache'
        assert res.headers['Transfer-Encoding'] == 'chunked'
        body = res.read().decode()
    assert body == (': welcome\nretry: 2500\n\n' + counter_events(0, 3) +
                    'event: multi\ndata: two\ndata: lines\n\n'
                    'event: comment\ndata: end\n\n')


def test_last_event_id_lets_a_client_resume(start_server, runtime):
    server = start_server(APP, runtime)
    res = httpx.get(server.url + '/events?count=2',
                    headers={'Last-Event-ID': '5'}, timeout=10)
    assert counter_events(6, 2) in res.text
    assert 'id: 5\n' not in res.text


def test_connection_is_reused_after_a_finished_stream(start_server,
                                                      runtime):
    server = start_server(APP, runtime)
    with httpx.Client(timeout=10) as client:
        first = client.get(server.url + '/events?count=1')
        assert 'event: comment\ndata: end\n\n' in first.text
        second = client.get(server.url + '/events?count=1')
        assert second.text == first.text
        assert client.get(server.url + '/stats').status_code == 200


def test_keep_alive_comments_while_the_handler_is_quiet(start_server,
                                                        runtime):
    server = start_server(APP, runtime, env={'KEEP_ALIVE': '0.25'})
    with httpx.stream('GET', server.url + '/quiet', timeout=10) as res:
        body = res.read().decode()
    assert body.endswith('data: finally\n\n')
    comments = body.count(': keep-alive\n\n')
    assert comments >= 2
    assert body == ': keep-alive\n\n' * comments + 'data: finally\n\n'


def test_http_1_0_client_gets_a_close_delimited_stream(start_server,
                                                       runtime):
    server = start_server(APP, runtime)
    sock = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    sock.sendall(b'GET /events?count=2 HTTP/1.0\r\n\r\n')
    data = b''
    while True:
        more = sock.recv(4096)
        if not more:
            break
        data += more
    sock.close()
    head, _, body = data.partition(b'\r\n\r\n')
    assert b'Transfer-Encoding' not in head
    assert b'text/event-stream' in head
    assert body.decode().startswith(': welcome\nretry: 2500\n\n' +
                                    counter_events(0, 2))


def test_client_leaving_cancels_the_handler(start_server, runtime):
    server = start_server(APP, runtime)
    responses = []
    clients = [httpx.Client(timeout=10) for _ in range(3)]
    try:
        for client in clients:
            request = client.build_request('GET', server.url + '/forever')
            res = client.send(request, stream=True)
            chunks = res.iter_text()
            responses.append((res, chunks))
            text = read_until(chunks, 'data: 2\n\n')
            assert text.startswith('event: tick\ndata: 0\n\n')
        assert wait_for(lambda s: s['active'] == 3, server)
    finally:
        for res, chunks in responses:
            res.close()
        for client in clients:
            client.close()
    current = wait_for(lambda s: s['finished'] == 3, server)
    assert current == {'active': 0, 'cancelled': 3, 'finished': 3,
                       'idle_cancelled': 0}
    output = server.output()
    assert 'Traceback' not in output and 'Error' not in output


def test_leaving_a_silent_stream_is_noticed_by_the_keep_alive(
        start_server, runtime):
    server = start_server(APP, runtime, env={'KEEP_ALIVE': '0.2'})
    sock = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    sock.sendall(b'GET /idle HTTP/1.1\r\nHost: x\r\n\r\n')
    data = b''
    while b': keep-alive' not in data:
        more = sock.recv(4096)
        assert more, data
        data += more
    sock.close()
    wait_for(lambda s: s['idle_cancelled'] == 1, server)
    assert 'Traceback' not in server.output()


def test_counter_example(start_server, runtime, tmp_path):
    directory = tmp_path / 'sse'
    shutil.copytree(os.path.join(ROOT, 'examples', 'sse'), directory,
                    ignore=shutil.ignore_patterns('__pycache__'))
    (directory / 'launch.py').write_text(LAUNCHER)
    server = start_server(str(directory / 'launch.py'), runtime,
                          env={'EXAMPLE': 'counter'})
    page = httpx.get(server.url + '/', timeout=10)
    assert page.status_code == 200
    assert "new EventSource('/events')" in page.text
    with httpx.stream('GET', server.url + '/events', timeout=10) as res:
        assert res.headers['Content-Type'] == 'text/event-stream'
        text = read_until(res.iter_text(), 'data: {"counter": 1}\n\n')
    assert text == 'data: {"counter": 0}\n\ndata: {"counter": 1}\n\n'
