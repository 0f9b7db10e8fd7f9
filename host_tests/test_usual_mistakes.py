"""The usual mistakes of a first hour end in one clear sentence that names
what to fix, on every runtime: these run real processes (tests/ has the
framework's side of each, on every runtime, without a process)."""

import socket

HELLO = 'host_tests/apps/hello_app.py'


def test_a_port_in_use_names_the_address_and_what_to_do(run_script,
                                                         runtime):
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
