"""The bench's MicroPython heap measurements (bench/run.py) against real
servers on the unix port: the /__mem probe of app.py and bare.py, the live
heap sampler, bytes per request and the -X heapsize bisection. These check
that the figures mean what docs/performance.md says, not what they are."""
import os
import socket
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'bench'))

import loadgen  # noqa: E402
import run  # noqa: E402

if 'micropython' not in os.environ.get(
        'MDFW_RUNTIMES', 'micropython').split(','):
    pytest.skip('MicroPython not selected (MDFW_RUNTIMES)',
                allow_module_level=True)


def interpreter():
    # ours from source: the bench itself uses mpy-cross output, which needs
    # the bench's preparation; the probe and the sampler are the same code
    return run.Interpreter('ours', run.MICROPYTHON, os.path.join(
        ROOT, 'modules') + ':.frozen', 'mpy')


@pytest.fixture(params=['bare.py', 'app.py'])
def subject(request):
    return run.Subject(interpreter(), request.param)


def started(subject):
    server = subject.server('test')
    assert server.start(['mem']), server.output()
    return server


def test_probe_answers_six_figures_and_samples(subject):
    server = started(subject)
    try:
        first = run._mem_probe(server)
        assert len(first) == 6
        total, current, alloc, live_max, live_min, samples = first
        assert total >= current > 0 and alloc > 0
        assert samples == 0                # no sampler without ?sample=
        run._mem_probe(server, 0)
        time.sleep(0.2)
        figures = run._mem_probe(server, 0)
        # the sampler ran while nothing else did: many samples, and the
        # heap it saw is the heap in use
        assert figures[5] > 50
        assert 0 < figures[4] <= figures[3]
        assert abs(figures[4] - figures[2]) < 4096
        # ?sample= cleared the figures after answering
        again = run._mem_probe(server)
        assert again[5] < figures[5]
    finally:
        server.stop()
    assert 'Traceback' not in server.output()


def test_live_heap_samples_while_loaded(subject):
    figures = run.live_heap(subject, 1, 10)
    assert figures['errors'] == 0
    assert figures['requests'] > 100
    # several thousand samples a second; at least one per two requests
    assert figures['samples'] * 2 >= figures['requests']
    assert figures['idle_samples'] > 50
    # the load kept requests alive at some sample: above idle
    assert figures['live_max'] > figures['idle']


def test_bytes_per_request(subject):
    new = run.bytes_per_request(subject, 100, False)
    kept = run.bytes_per_request(subject, 100, True)
    assert new is not None and kept is not None
    # each request reads into a new buffer of up to 1 KiB at least; a new
    # connection costs its socket, streams and task on top
    assert 64 < kept < new < 64 * 1024


def test_bytes_per_request_with_a_browser_head(subject):
    hello = run.bytes_per_request(subject, 100, True)
    browser = run.bytes_per_request(subject, 100, True, 'browser')
    assert hello is not None and browser is not None
    # the browser case sends its 16 fields (about 780 bytes): every server
    # keeps at least the head it read, which the hello case's 2 fields are
    # not
    assert browser > hello + 700


def test_bisection_brackets_the_smallest_heap():
    bare = run.Subject(interpreter(), 'bare.py')
    step = 4096
    found, every = run.smallest_heap(bare, 100, 1, step, 1)
    assert every == [found] and found % 1024 == 0
    assert run.serves_with_heap(bare, found, 100, 1)
    assert not run.serves_with_heap(bare, found - step, 100, 1)


def test_a_heap_too_small_for_ten_clients_fails():
    # the bare server starts in 20 KiB on a 64-bit build and serves one
    # client, not ten
    bare = run.Subject(interpreter(), 'bare.py')
    assert run.serves_with_heap(bare, 20 * 1024, 200, 1)
    assert not run.serves_with_heap(bare, 20 * 1024, 1000, 10)


def test_load_gives_up_at_once():
    # a server whose tasks died leaves connections unanswered; give_up()
    # ends the run instead of waiting out their timeout
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen(16)             # never accepts, never answers
        port = listener.getsockname()[1]
        request = loadgen.build_request(port, '/')
        started_at = time.monotonic()
        result = loadgen.run(port, request, 10, requests=100, timeout=5,
                             give_up=lambda: time.monotonic() - started_at
                             > 0.3)
        elapsed = time.monotonic() - started_at
    assert result['requests'] == 0 and result['errors'] == 10
    assert elapsed < 1.5
