"""The hostile request corpus (host_tests/corpus/requests.json) sent over
real sockets to the built-in server on every runtime.

Each case gets its documented status, or a clean close, within a bounded
time; a normal request is served right after it; the server never prints
a traceback. See host_tests/corpus/README.md for the format, and
docs/security.md for the statuses."""
import json
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from attack import (HERE, ResponseReader, assert_serves, connect,
                    selected_runtimes, settle, start_for)

TIMEOUTS = {'HEADER_TIMEOUT': '1', 'IO_TIMEOUT': '1', 'IDLE_TIMEOUT': '2'}
FAST = 3    # seconds for an answer that needs no timeout to expire
SLOW = 5    # seconds for one that does (timeout + sweeper period + margin)


def load_corpus():
    with open(os.path.join(HERE, 'corpus', 'requests.json')) as f:
        return json.load(f)


def to_bytes(parts):
    """The bytes of a case's ``send`` list (see corpus/README.md)."""
    out = bytearray()
    for part in parts:
        if isinstance(part, str):
            out += bytes(ord(char) for char in part)
        else:
            out += to_bytes(part['repeat']) * part['times']
    return bytes(out)


CORPUS = load_corpus()


@pytest.fixture(scope='module', params=selected_runtimes())
def server(request):
    server = start_for(request, request.param, env=TIMEOUTS)
    yield server
    server.stop()


def test_corpus_is_large_and_well_formed():
    assert len(CORPUS) >= 60
    names = [case['name'] for case in CORPUS]
    assert len(set(names)) == len(names)
    for case in CORPUS:
        assert set(case) <= {'name', 'send', 'status', 'body', 'keep',
                             'then', 'slow'}, case['name']
        assert case.get('then', 'wait') in ('wait', 'shutdown')
        to_bytes(case['send'])


def run_case(port, case):
    """Send one case; return a description of what went wrong, or None."""
    data = to_bytes(case['send'])
    limit = SLOW if case.get('slow') else FAST
    expected = case['status']
    if not isinstance(expected, list):
        expected = [] if expected is None else [expected]
    sock = connect(port)
    try:
        started = time.monotonic()
        if data:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass   # the server may answer and close before all is sent
        if case.get('then') == 'shutdown':
            sock.shutdown(socket.SHUT_WR)
        reader = ResponseReader(sock)
        got = []
        for _ in expected:
            remaining = limit - (time.monotonic() - started)
            try:
                status, headers, body = reader.read_final(max(remaining, 0.1))
            except Exception as exc:
                return 'expected {}, got {} then {}'.format(expected, got,
                                                            exc)
            got.append(status)
            if status >= 400 and not body:
                return 'error {} without a reason in its body'.format(status)
        if got != expected:
            return 'expected {}, got {}'.format(expected, got)
        if 'body' in case and body != case['body'].encode():
            return 'expected the body {!r}, got {!r}'.format(case['body'],
                                                             body)
        if case.get('keep'):
            sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            status, _, body = reader.read(FAST)
            if (status, body) != (200, b'Hello, world!'):
                return 'next request on the connection: {} {!r}'.format(
                    status, body)
        else:
            remaining = limit - (time.monotonic() - started)
            if not reader.wait_closed(max(remaining, 0.1)):
                return 'connection not closed within {} s (got {!r})'.format(
                    limit, reader.buffer[:100])
        return None
    finally:
        sock.close()


FAST_CASES = [case for case in CORPUS if not case.get('slow')]
SLOW_CASES = [case for case in CORPUS if case.get('slow')]


@pytest.mark.parametrize('case', FAST_CASES,
                         ids=[c['name'] for c in FAST_CASES])
def test_hostile_request(server, case):
    problem = run_case(server.port, case)
    assert problem is None, '{}: {}'.format(case['name'], problem)
    assert_serves(server.port)


def test_hostile_requests_answered_by_a_timeout(server):
    # all at once: each waits for a timeout, and they must not delay
    # one another either
    with ThreadPoolExecutor(len(SLOW_CASES)) as pool:
        problems = list(pool.map(lambda case: run_case(server.port, case),
                                 SLOW_CASES))
    failed = ['{}: {}'.format(case['name'], problem)
              for case, problem in zip(SLOW_CASES, problems) if problem]
    assert not failed, '\n'.join(failed)
    assert_serves(server.port)


def test_server_is_quiet_and_clean_after_the_corpus(server):
    # runs after the cases above, on the same server
    output = server.output()
    assert 'Traceback' not in output, output
    figures = settle(server.port, connections=0)
    assert figures['connections'] == 0, figures
    assert server.running()
