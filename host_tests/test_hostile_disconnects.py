"""Clients that disconnect at any point of a request or of its response,
closing politely (FIN) or with a reset (RST), on every runtime: afterwards
no connection, task, file or descriptor is left, every streamed body was
closed, and the server logged nothing."""
import socket
import time

import pytest

from attack import (ResponseReader, assert_serves, connect,
                    selected_runtimes, settle, start_for, stats)

REQUESTS = {
    'get': b'GET /query?a=1 HTTP/1.1\r\nHost: x\r\nX-Pad: ' + b'p' * 200 +
    b'\r\n\r\n',
    'length body': b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300'
    b'\r\n\r\n' + b'b' * 300,
    'streamed body': b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: '
    b'30000\r\n\r\n' + b's' * 30000,
    'chunked body': b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: '
    b'chunked\r\n\r\n' + b'100\r\n' + b'c' * 256 + b'\r\n' + b'0\r\n\r\n',
}
RESPONSES = ['/file', '/stream?n=100000&size=100', '/static/big.bin']


@pytest.fixture(scope='module', params=selected_runtimes())
def server(request, tmp_path_factory):
    root = tmp_path_factory.mktemp('static')
    (root / 'big.bin').write_bytes(b'f' * (2 * 1024 * 1024))
    big = tmp_path_factory.mktemp('big') / 'big.bin'
    big.write_bytes(b'g' * (2 * 1024 * 1024))
    server = start_for(request, request.param, env={
        'STATIC_ROOT': str(root), 'BIG_FILE': str(big),
        'MAX_CONTENT_LENGTH': '100000', 'IO_TIMEOUT': '2',
        'HEADER_TIMEOUT': '2'})
    yield server
    server.stop()


def leave(sock, reset):
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        b'\x01\x00\x00\x00\x00\x00\x00\x00')
    sock.close()


def cut_points(data):
    head_end = data.index(b'\r\n\r\n') + 4
    points = {1, 5, data.index(b'\r\n'), data.index(b'\r\n') + 2,
              head_end - 2, head_end, len(data)}
    if len(data) > head_end:
        points.add((head_end + len(data)) // 2)
        points.add(len(data) - 1)
    return sorted(points)


def quiet_and_clean(server, before):
    """The server's figures once the disconnects are handled."""
    after = settle(server.port, connections=0, fds=before['fds'],
                   tasks=before['tasks'])
    assert after['connections'] == 0, after
    assert after['fds'] == before['fds'], (before, after)
    assert after['tasks'] == before['tasks'], (before, after)
    output = server.output()
    assert 'Traceback' not in output, output
    return after


@pytest.mark.parametrize('reset', [False, True], ids=['fin', 'rst'])
@pytest.mark.parametrize('name', sorted(REQUESTS))
def test_disconnect_while_sending_the_request(server, name, reset):
    data = REQUESTS[name]
    before = stats(server.port)
    for point in cut_points(data):
        sock = connect(server.port)
        sock.sendall(data[:point])
        if point == len(data):
            time.sleep(0.05)   # the server is answering or reading on
        leave(sock, reset)
    quiet_and_clean(server, before)
    assert_serves(server.port)


@pytest.mark.parametrize('reset', [False, True], ids=['fin', 'rst'])
@pytest.mark.parametrize('path', RESPONSES)
def test_disconnect_while_reading_the_response(server, path, reset):
    before = stats(server.port)
    counters = before['counters']
    for amount in (0, 10, 5000, 100000):
        sock = connect(server.port)
        sock.sendall('GET {} HTTP/1.1\r\nHost: x\r\n\r\n'.format(
            path).encode())
        received = 0
        while received < amount:
            data = sock.recv(65536)
            if not data:
                break
            received += len(data)
        leave(sock, reset)
    after = quiet_and_clean(server, before)
    got = after['counters']
    # every streamed body was closed: generators that began and opened
    # files alike (a reset may arrive before the server read the request)
    started = got['streams_started'] - counters['streams_started']
    assert got['streams_closed'] - counters['streams_closed'] == started
    if path.startswith('/stream'):
        assert started >= 2
    assert got['files_opened'] - counters['files_opened'] == \
        got.get('files_closed', 0) - counters.get('files_closed', 0)
    assert_serves(server.port)


def test_disconnect_between_pipelined_requests(server):
    before = stats(server.port)
    for reset in (False, True):
        sock = connect(server.port)
        sock.sendall(REQUESTS['get'] * 3 + REQUESTS['length body'][:50])
        reader = ResponseReader(sock)
        for _ in range(3):
            assert reader.read()[0] == 200
        leave(sock, reset)
    quiet_and_clean(server, before)
