"""Multipart uploads over real sockets, on CPython and the unix port.

The unix port running from mpy-cross output gets a small heap: what the
app needs once loaded plus FREE_HEAP, so the 1 MiB uploads pass through
less than 64 KiB of free heap and can only succeed if they are streamed to
storage in small buffers.

Why not ``-X heapsize=64K`` there: on the unix port the bytecode of
imported modules lives in the heap too (on boards it is frozen in flash),
and on this 64-bit build the core, asyncio, multipart and the app take
more than 64 KiB of it. So the heap size is measured: the app is started
once with a large heap, its /mem route reports what is in use, and the
tests start it with that much plus FREE_HEAP (checked again through /mem).

The unix port with the bundle frozen in (host_tests/frozen_firmware.py)
keeps bytecode out of the heap as a board does: there the app runs with
``-X heapsize=64K`` itself, and takes 1 MiB uploads. It runs on the 32-bit
build of tools/unix32.py, as a board is 32-bit, when one can be built
(MPY_DIR), else on the 64-bit one of firmware/dist.
"""
import hashlib
import os
import socket
import time

import httpx
import pytest

from frozen_firmware import board_firmware, start_frozen

APP = 'host_tests/apps/upload_app.py'
FREE_HEAP = 56 * 1024
FREE_HEAP_LIMIT = 64 * 1024
_heap = {}
MIB = 1024 * 1024
BOUNDARY = 'uploadBoundary4d2a'


@pytest.fixture
def upload_dir(tmp_path):
    path = tmp_path / 'uploads'
    path.mkdir()
    return path


def small_heap(start_server, settings):
    """``-X heapsize=`` value giving the app FREE_HEAP of free heap."""
    if 'size' not in _heap:
        server = start_server(APP, 'micropython-mpy', env=settings,
                              interpreter_args=('-X', 'heapsize=1M'))
        mem = httpx.get(server.url + '/mem').json()
        server.stop()
        _heap['size'] = mem['total'] - mem['free'] + FREE_HEAP
    return str(_heap['size'])


def start(start_server, runtime, upload_dir, **env):
    settings = {'UPLOAD_DIR': str(upload_dir)}
    settings.update({key: str(value) for key, value in env.items()})
    interpreter_args = ()
    if runtime == 'micropython-mpy':
        interpreter_args = ('-X', 'heapsize=' +
                            small_heap(start_server, settings))
    return start_server(APP, runtime, env=settings,
                        interpreter_args=interpreter_args)


def check_small_heap(server):
    """On the heap-limited runtime, the free heap is below the limit."""
    if server.runtime != 'micropython-mpy':
        return
    free = httpx.get(server.url + '/mem').json()['free']
    assert free < FREE_HEAP_LIMIT, free


def dump_output_on_failure(server, call):
    """Run ``call()``; on an exception print the server's output (pytest
    shows it with the failure)."""
    try:
        return call()
    except Exception:
        print(server.output())
        raise


def multipart(parts):
    """Body bytes of (name, value) and (name, filename, data) parts."""
    out = []
    for part in parts:
        out.append(b'--' + BOUNDARY.encode() + b'\r\n')
        if len(part) == 2:
            out.append('Content-Disposition: form-data; name="{}"\r\n\r\n'
                       .format(part[0]).encode() + part[1].encode())
        else:
            out.append('Content-Disposition: form-data; name="{}"; '
                       'filename="{}"\r\nContent-Type: application/'
                       'octet-stream\r\n\r\n'.format(part[0], part[1])
                       .encode() + part[2])
        out.append(b'\r\n')
    out.append(b'--' + BOUNDARY.encode() + b'--\r\n')
    return b''.join(out)


def head(path, length, chunked=False):
    framing = 'Transfer-Encoding: chunked' if chunked else \
        'Content-Length: {}'.format(length)
    return ('POST {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: '
            'multipart/form-data; boundary={}\r\n{}\r\n\r\n'.format(
                path, BOUNDARY, framing)).encode()


def digest(data):
    return hashlib.sha256(data).hexdigest()


def file_digest(path):
    with open(path, 'rb') as f:
        return digest(f.read())


def wait_for(condition, timeout=15, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def assert_quiet(server):
    output = server.output()
    assert 'Traceback' not in output, output


def test_one_mib_upload_is_streamed_to_a_file(start_server, runtime,
                                              upload_dir):
    server = start(start_server, runtime, upload_dir)
    check_small_heap(server)
    data = os.urandom(MIB)
    started = time.monotonic()
    res = dump_output_on_failure(server, lambda: httpx.post(
        server.url + '/save', files={'file': ('big.bin', data)},
        data={'note': 'hello'}, timeout=120))
    elapsed = time.monotonic() - started
    assert res.status_code == 200, res.text
    assert res.json() == {'files': {'file': MIB},
                          'fields': {'note': 'hello'}}
    assert sorted(os.listdir(upload_dir)) == ['big.bin']
    assert file_digest(upload_dir / 'big.bin') == digest(data)
    check_small_heap(server)   # nothing was kept
    assert elapsed < 60
    assert_quiet(server)


def test_one_mib_upload_through_with_form_data(start_server, runtime,
                                               upload_dir):
    server = start(start_server, runtime, upload_dir)
    check_small_heap(server)
    first, second = os.urandom(MIB), os.urandom(3000)
    res = dump_output_on_failure(server, lambda: httpx.post(
        server.url + '/form', files=[('a', ('one.bin', first)),
                                     ('b', ('two.bin', second))],
        data={'x': '1'}, timeout=120))
    assert res.status_code == 200, res.text
    assert res.json() == {'files': {'a': MIB, 'b': 3000},
                          'fields': {'x': '1'}}
    # the temporary copies (made in the same directory) are gone
    assert sorted(os.listdir(upload_dir)) == ['one.bin', 'two.bin']
    assert file_digest(upload_dir / 'one.bin') == digest(first)
    assert file_digest(upload_dir / 'two.bin') == digest(second)
    assert_quiet(server)


def test_chunked_upload(start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir)
    data = os.urandom(300 * 1024)
    body = multipart([('f', 'c.bin', data), ('n', 'v')])

    def pieces():
        for i in range(0, len(body), 10000):
            yield body[i:i + 10000]

    res = dump_output_on_failure(server, lambda: httpx.post(
        server.url + '/save', content=pieces(), headers={
            'Content-Type': 'multipart/form-data; boundary=' + BOUNDARY},
        timeout=60))
    assert res.status_code == 200, res.text
    assert res.json() == {'files': {'f': len(data)}, 'fields': {'n': 'v'}}
    assert file_digest(upload_dir / 'c.bin') == digest(data)


def trickle(server, request_head, body):
    """Send ``request_head``, then ``body`` 7 bytes at a time (with a pause
    every 20 sends), over one socket with Nagle off: what the server answered,
    up to the end of its JSON (or until it closed)."""
    with socket.create_connection((server.host, server.port),
                                  timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request_head)
        for i in range(0, len(body), 7):
            sock.sendall(body[i:i + 7])
            if i % 140 == 0:
                time.sleep(0.001)
        response = b''
        while b'}' not in response:
            piece = sock.recv(4096)
            if not piece:
                break
            response += piece
    return response


def test_body_trickled_in_tiny_pieces(start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir)
    data = bytes(range(256)) * 8 + b'\r\n--' + BOUNDARY.encode()[:-1]
    body = multipart([('a', '1'), ('f', 't.bin', data), ('b', '2')])
    response = trickle(server, head('/save', len(body)), body)
    assert response.startswith(b'HTTP/1.1 200'), response
    assert file_digest(upload_dir / 't.bin') == digest(data)


def test_chunked_body_trickled_in_tiny_chunks(start_server, runtime,
                                              upload_dir):
    # 5-byte chunks sent 7 bytes at a time: a body short enough to be
    # loaded into memory arrives in hundreds of pieces, which the small
    # heap could not hold as a list of pieces (MemoryError, connection
    # closed without a response)
    server = start(start_server, runtime, upload_dir)
    data = bytes(range(256)) * 6 + b'\r\n--' + BOUNDARY.encode()[:-1]
    form = multipart([('a', '1'), ('f', 't.bin', data), ('b', '2')])
    body = b''.join(b'%x\r\n' % len(form[i:i + 5]) + form[i:i + 5] +
                    b'\r\n' for i in range(0, len(form), 5)) + b'0\r\n\r\n'
    response = trickle(server, head('/save', None, chunked=True), body)
    assert response.startswith(b'HTTP/1.1 200'), (response, server.output())
    assert file_digest(upload_dir / 't.bin') == digest(data)
    assert_quiet(server)


def test_file_over_the_limit_gets_413_and_leaves_no_file(
        start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir, MAX_FILE_SIZE=50000)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        res = client.post('/limited', files={
            'f': ('ok.bin', os.urandom(50000))})
        assert res.status_code == 200
        res = client.post('/limited', files={
            'f': ('big.bin', os.urandom(200000))})
        assert res.status_code == 413
        assert sorted(os.listdir(upload_dir)) == ['ok.bin']
        # the connection is still usable after the rest of the body was
        # skipped
        assert client.get('/files').json() == {'files': ['ok.bin']}
    assert_quiet(server)


def test_body_over_max_content_length_gets_413(start_server, runtime,
                                               upload_dir):
    server = start(start_server, runtime, upload_dir,
                   MAX_CONTENT_LENGTH=100000)
    with socket.create_connection((server.host, server.port),
                                  timeout=10) as sock:
        sock.sendall(head('/save', 100001))
        response = sock.recv(4096)
    assert response.startswith(b'HTTP/1.1 413'), response
    assert os.listdir(upload_dir) == []


def start_upload(server, path, upload_dir, total=MIB, sent=300000):
    """Send part of an upload and wait until the server is writing it;
    returns the socket."""
    body = multipart([('f', 'gone.bin', os.urandom(total))])
    sock = socket.create_connection((server.host, server.port), timeout=10)
    sock.sendall(head(path, len(body)))
    sock.sendall(body[:sent])
    assert wait_for(lambda: os.listdir(upload_dir)), \
        'the server never started writing the upload'
    return sock


def upload_then_vanish(server, path, upload_dir):
    """Send part of an upload, then close the connection."""
    start_upload(server, path, upload_dir).close()


def finished(server, count=1):
    """Wait until the app has ended ``count`` upload handlers."""
    return wait_for(lambda: httpx.get(server.url + '/stats').json()[
        'finished'] >= count)


def test_client_leaving_mid_upload_leaves_no_partial_file(
        start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir)
    upload_then_vanish(server, '/save', upload_dir)
    assert finished(server)
    assert os.listdir(upload_dir) == []
    # the server is still serving
    assert httpx.get(server.url + '/files').json() == {'files': []}
    assert_quiet(server)


def test_client_stalling_mid_upload_leaves_no_partial_file(
        start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir, IO_TIMEOUT=1)
    sock = start_upload(server, '/save', upload_dir)
    try:
        # the connection stays open, silent: the server's io_timeout ends
        # the request
        assert finished(server)
        assert os.listdir(upload_dir) == []
    finally:
        sock.close()
    assert_quiet(server)


def test_client_leaving_mid_with_form_data_removes_its_copies(
        start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir)
    upload_then_vanish(server, '/form', upload_dir)
    assert finished(server)
    assert os.listdir(upload_dir) == []
    assert_quiet(server)


def test_keep_partial_keeps_what_arrived(start_server, runtime, upload_dir):
    server = start(start_server, runtime, upload_dir)
    upload_then_vanish(server, '/keep', upload_dir)
    assert finished(server)
    assert os.listdir(upload_dir) == ['gone.bin']
    size = os.path.getsize(upload_dir / 'gone.bin')
    assert 0 < size < MIB
    assert_quiet(server)


@pytest.mark.parametrize('route', ['save', 'form', 'chunked'])
def test_one_mib_upload_on_the_frozen_firmware_in_a_64k_heap(
        start_server, mpy_path, upload_dir, route):
    # MAX_BODY_LENGTH: the core reads up to that much of a chunked body
    # into memory before the handler runs; a 64 KiB device keeps it small
    server = start_frozen(start_server, mpy_path, APP, heap='64K', env={
        'UPLOAD_DIR': str(upload_dir), 'MAX_BODY_LENGTH': '1024'},
        executable=board_firmware(mpy_path))
    assert httpx.get(server.url + '/mem').json()['total'] <= 64 * 1024
    data = os.urandom(MIB)
    if route == 'chunked':
        body = multipart([('f', 'big.bin', data)])

        def pieces():
            for i in range(0, len(body), 10000):
                yield body[i:i + 10000]

        call = lambda: httpx.post(   # noqa: E731
            server.url + '/save', content=pieces(), timeout=120, headers={
                'Content-Type': 'multipart/form-data; boundary=' + BOUNDARY})
    else:
        call = lambda: httpx.post(   # noqa: E731
            server.url + '/' + route, files={'f': ('big.bin', data)},
            timeout=120)
    res = dump_output_on_failure(server, call)
    assert res.status_code == 200, res.text + '\n' + server.output()
    assert res.json()['files'] == {'f': MIB}
    assert os.listdir(upload_dir) == ['big.bin']
    assert file_digest(upload_dir / 'big.bin') == digest(data)
    assert_quiet(server)


def test_client_leaving_mid_upload_on_the_frozen_firmware_in_a_64k_heap(
        start_server, mpy_path, upload_dir):
    server = start_frozen(start_server, mpy_path, APP, heap='64K', env={
        'UPLOAD_DIR': str(upload_dir), 'MAX_BODY_LENGTH': '1024'},
        executable=board_firmware(mpy_path))
    upload_then_vanish(server, '/save', upload_dir)
    assert finished(server)
    assert os.listdir(upload_dir) == []
    assert_quiet(server)
