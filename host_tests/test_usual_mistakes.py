"""The usual mistakes of a first hour end in one clear sentence that names
what to fix, on every runtime: these run real processes (tests/ has the
framework's side of each, on every runtime, without a process)."""

import socket
import time

import httpx

HELLO = 'host_tests/apps/hello_app.py'


def test_a_port_in_use_names_the_address_and_what_to_do(
        run_script, runtime):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_script(HELLO, runtime, env={'PORT': str(port)})
    assert result.returncode != 0, result.stdout
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith('OSError: [Errno 98]'), result.stdout
    assert 'cannot serve on 127.0.0.1:{}: another program'.format(port) \
        in last_line
    assert 'app.run(port=...)' in last_line and 'HTTP_PORT=' in last_line


def test_a_handler_without_its_url_argument_is_named_on_the_console(
        start_server, runtime):
    server = start_server('host_tests/apps/wrong_signature_app.py', runtime)
    res = httpx.get(server.url + '/hello/ann', timeout=10)
    assert (res.status_code, res.text) == (500, 'Internal server error')
    sentence = "route '/hello/<name>': its handler hello() could not be " \
        "called ("
    deadline = time.monotonic() + 10
    while sentence not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    output = server.output()
    assert sentence in output, output
    assert 'a handler takes the request, then the URL arguments by their ' \
        'names: def hello(request, name)' in output
