"""Ctrl-C (SIGINT) stops app.run(), which then lets go of its port and of
the connections it had open, on every runtime: the app can serve again on
the same port in the same process (a board's REPL after Ctrl-C, the
virtual board after `mpremote ... run`)."""

import signal
import socket
import time

import httpx

from processes import is_listening

APP = 'host_tests/apps/run_twice_app.py'


def wait_for(condition, server, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.05)


def test_ctrl_c_frees_the_port_and_the_connections(start_server, runtime):
    server = start_server(APP, runtime)
    with httpx.Client(timeout=10) as client:
        # a kept-alive connection, open while Ctrl-C comes
        assert client.get(server.url + '/').text == 'hello'
        server.process.send_signal(signal.SIGINT)
        wait_for(lambda: 'serving 2' in server.output(), server)
        wait_for(lambda: is_listening(server.port), server)
        # the old connection was closed: the client makes a new one
        assert client.get(server.url + '/').text == 'hello'
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=20) == 0, server.output()
    output = server.output()
    assert 'stopped 2' in output and 'Traceback' not in output, output
    with socket.socket() as probe:
        # (a listener would refuse this bind; closed connections' TIME_WAIT
        # would not, with SO_REUSEADDR)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(('127.0.0.1', server.port))
