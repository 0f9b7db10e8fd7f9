"""The usual mistakes of a first hour end in one clear sentence that names
what to fix, on every runtime: these run real processes (tests/ has the
framework's side of each, on every runtime, without a process)."""

import os
import socket
import subprocess
import sys
import time

import httpx

from conftest import MODULES, tool_path

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


def test_sessions_without_a_jwt_module_say_what_to_run_on_each_runtime(
        tmp_path):
    script = tmp_path / 'app.py'
    script.write_text('import microdot.session\n')
    for argv, env in (
            ([tool_path('micropython'), str(script)],
             # modules/ and asyncio, without the jwt of deps/micropython-lib
             {'MICROPYPATH': MODULES + ':.frozen', 'HOME': str(tmp_path)}),
            ([sys.executable, '-c', 'import sys; sys.modules["jwt"] = None; '
              'import microdot.session'], {'PYTHONPATH': MODULES})):
        result = subprocess.run(argv, capture_output=True, text=True,
                                env=dict(os.environ, **env), timeout=60)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        for sentence in (
                'microdot.session needs a jwt module, and none was found. ',
                'On CPython: pip install PyJWT. ',
                "On the MicroPython unix port: `make deps` puts "
                "micropython-lib's into deps/micropython-lib, where `make "
                "run` and the tests find it (or: micropython -m mip install "
                "pyjwt, into ~/.micropython/lib). ",
                'On a board: our firmware has it frozen in; on stock '
                'MicroPython run mpremote mip install pyjwt'):
            assert sentence in output, output
