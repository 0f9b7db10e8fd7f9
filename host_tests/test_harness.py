"""The server fixture of host_tests/conftest.py does what it promises."""

import os
import re
import socket
import time

import httpx
import pytest

HELLO = 'host_tests/apps/hello_app.py'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pid_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def pid_in(message):
    return int(re.search(r' pid (\d+)>', message).group(1))


def test_server_answers_on_its_port_under_each_runtime(start_server, runtime):
    server = start_server(HELLO, runtime)
    response = httpx.get(server.url + '/', timeout=10)
    assert response.status_code == 200
    name = 'cpython' if runtime == 'cpython' else 'micropython'
    assert response.text == 'hello from ' + name


def test_each_runtime_loads_the_framework_from_the_expected_files(
        start_server, runtime):
    server = start_server(HELLO, runtime)
    loaded = httpx.get(server.url + '/whoami', timeout=10).json()
    expected = 'cpython' if runtime == 'cpython' else 'micropython'
    assert loaded['runtime'] == expected
    path = loaded['microdot_file']
    if runtime == 'micropython-mpy':
        assert path.endswith('.mpy'), path
    else:
        assert path.endswith('.py'), path
        assert os.path.abspath(path).startswith(
            os.path.join(ROOT, 'modules', 'microdot') + os.sep), path


def test_stop_ends_the_process_and_frees_the_port(start_server):
    server = start_server(HELLO, 'micropython')
    assert server.running()
    server.stop()
    assert not server.running()
    assert not pid_exists(server.pid)
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', server.port), timeout=2)


def test_process_dying_before_listening_fails_with_its_output(
        start_server, runtime):
    with pytest.raises(pytest.fail.Exception) as caught:
        start_server('host_tests/apps/crash_app.py', runtime)
    message = str(caught.value)
    assert 'exited with status 1 before listening' in message
    assert 'failing on purpose before listening' in message


def test_server_that_never_listens_times_out_and_is_killed(start_server):
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception) as caught:
        start_server('host_tests/apps/silent_app.py', 'micropython',
                     timeout=1)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert 'did not listen on port' in message
    assert 'silent_app: up, but not listening' in message
    assert not pid_exists(pid_in(message))


# The next two tests run in this order (pytest keeps file order): the first
# leaves a server running, the second checks that teardown stopped it.
_left_running = {}


def test_teardown_setup_leaves_a_server_running(start_server):
    server = start_server(HELLO, 'micropython')
    _left_running['pid'] = server.pid
    assert pid_exists(server.pid)


def test_teardown_stopped_the_server_left_running():
    if 'pid' not in _left_running:
        pytest.skip('needs test_teardown_setup_leaves_a_server_running '
                    'to run first')
    assert not pid_exists(_left_running['pid'])
