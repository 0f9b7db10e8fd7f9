"""Fixtures that run an app script as a real server process.

An app script listens on 127.0.0.1 at the port given in the environment
variable PORT (HTTP_PORT, which the examples read, names the same)::

    app.run(host='127.0.0.1', port=int(os.getenv('PORT')))

and a test starts it under one runtime with the `start_server` fixture::

    def test_hello(start_server, runtime):        # runs once per runtime
        server = start_server('host_tests/apps/hello_app.py', runtime)
        assert httpx.get(server.url + '/').status_code == 200

Runtimes:
    cpython          the Python running pytest (.venv's), PYTHONPATH =
                     modules:deps
    micropython      the unix port, MICROPYPATH = modules:deps, then the
                     micropython-lib packages (MPY_LIB_PATHS), then .frozen
    micropython-mpy  the unix port, MICROPYPATH = the mpy-cross output of
                     modules/ and deps/ (compiled once per session into a
                     temporary directory, so it is never stale), then the
                     micropython-lib packages, then .frozen

The `runtime` fixture is parametrized over all three; set MDFW_RUNTIMES
(comma-separated) to run fewer. Every started process is stopped by its pid
at teardown (SIGTERM, then SIGKILL) and waited for.
"""

import os
import subprocess
import sys
import time

import pytest

import processes
from processes import ServerProcess, find_tool, free_port, is_listening

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = os.path.join(ROOT, 'modules')
DEPS = os.path.join(ROOT, 'deps')
RUNTIMES = ('cpython', 'micropython', 'micropython-mpy')
# micropython-lib's packages (jwt, hmac) on the unix port, as the Makefile
# has them: the user's own mip folder first, then those of `make deps`
MPY_LIB_PATHS = [os.path.expanduser('~/.micropython/lib'),
                 os.path.join(DEPS, 'micropython-lib')]


def selected_runtimes():
    try:
        return processes.selected_runtimes(RUNTIMES)
    except ValueError as exc:
        raise pytest.UsageError(str(exc))


def tool_path(name):
    """A tool installed next to the running Python (the venv), else PATH."""
    try:
        return find_tool(name)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(params=selected_runtimes())
def runtime(request):
    """Each runtime in turn (see the module docstring)."""
    return request.param


@pytest.fixture(scope='session')
def mpy_path(tmp_path_factory):
    """MICROPYPATH entries of freshly compiled modules/ and deps/."""
    out = tmp_path_factory.mktemp('mpy')
    paths = []
    for src, name in ((MODULES, 'modules'), (DEPS, 'deps')):
        if not os.path.isdir(src):
            continue
        target = str(out / name)
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, 'tools', 'build_mpy.py'),
             '--mpy-cross', tool_path('mpy-cross'), src, target],
            capture_output=True, text=True)
        if result.returncode != 0:
            pytest.fail('mpy-cross failed on {}:\n{}{}'.format(
                src, result.stdout, result.stderr))
        paths.append(target)
    return paths


def runtime_command(runtime, script, mpy_paths):
    """argv and extra environment that run `script` under `runtime`."""
    if runtime == 'cpython':
        path = os.pathsep.join([MODULES, DEPS])
        return [sys.executable, script], {'PYTHONPATH': path,
                                          'PYTHONUNBUFFERED': '1'}
    if runtime == 'micropython':
        entries = [MODULES, DEPS] + MPY_LIB_PATHS + ['.frozen']
    elif runtime == 'micropython-mpy':
        entries = list(mpy_paths) + MPY_LIB_PATHS + ['.frozen']
    else:
        raise ValueError('unknown runtime {!r}; one of {}'.format(
            runtime, ', '.join(RUNTIMES)))
    return [tool_path('micropython'), script], {
        'MICROPYPATH': ':'.join(entries)}


@pytest.fixture
def start_server(request, tmp_path):
    """Factory: start_server(script, runtime='cpython', env=None, args=(),
    cwd=None, timeout=20, interpreter_args=(), executable=None)
    -> ServerProcess, once it listens on its port.

    `script` is a path relative to the repository root (or absolute); the
    process runs in the script's directory unless `cwd` is given. `args`
    go to the script, `interpreter_args` to the interpreter before it
    (e.g. ('-X', 'heapsize=128K') for the unix port). `executable` replaces
    the runtime's interpreter (e.g. a unix port with the bundle frozen in,
    with env={'MICROPYPATH': '.frozen'}). If the
    process exits or does not listen within `timeout` seconds, the test
    fails with the process's output. All servers stop at teardown.
    """
    servers = []

    def start(script, runtime='cpython', env=None, args=(), cwd=None,
              timeout=20, interpreter_args=(), executable=None):
        script = os.path.join(ROOT, script)
        if not os.path.exists(script):
            raise FileNotFoundError(script)
        mpy_paths = (request.getfixturevalue('mpy_path')
                     if runtime == 'micropython-mpy' else ())
        argv, extra_env = runtime_command(runtime, script, mpy_paths)
        if executable is not None:
            argv[0] = executable
        argv[1:1] = list(interpreter_args)
        port = free_port()
        # the test apps read PORT, the examples HTTP_PORT (PORT, exported,
        # is an HTTP port to others but a serial port to make deploy)
        full_env = dict(os.environ, PORT=str(port), HTTP_PORT=str(port),
                        **extra_env)
        full_env.update(env or {})
        log_path = tmp_path / 'server-{}-{}.log'.format(len(servers), runtime)
        with open(log_path, 'wb') as log:
            process = subprocess.Popen(
                argv + list(args), cwd=cwd or os.path.dirname(script),
                env=full_env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        server = ServerProcess(runtime, port, process, log_path)
        servers.append(server)
        deadline = time.monotonic() + timeout
        while not is_listening(port):
            if process.poll() is not None:
                pytest.fail('{} exited with status {} before listening on '
                            'port {}; its output:\n{}'.format(
                                server, process.returncode, port,
                                server.output()), pytrace=False)
            if time.monotonic() > deadline:
                server.stop()
                pytest.fail('{} did not listen on port {} within {} s; its '
                            'output:\n{}'.format(server, port, timeout,
                                                 server.output()),
                            pytrace=False)
            time.sleep(0.05)
        return server

    yield start
    problems = []
    for server in servers:
        try:
            server.stop()
        except Exception as exc:  # keep stopping the others
            problems.append('{}: {!r}'.format(server, exc))
    if problems:
        pytest.fail('could not stop: ' + '; '.join(problems))


@pytest.fixture
def run_script(request):
    """Factory: run_script(script, runtime, env=None, cwd=None, timeout=60)
    -> CompletedProcess (text, stderr into stdout): the script run to its
    end under `runtime` (see runtime_command), in its own directory unless
    `cwd` is given."""
    def run(script, runtime, env=None, cwd=None, timeout=60):
        script = os.path.join(ROOT, script)
        mpy_paths = (request.getfixturevalue('mpy_path')
                     if runtime == 'micropython-mpy' else ())
        argv, extra_env = runtime_command(runtime, script, mpy_paths)
        full_env = dict(os.environ, **extra_env)
        full_env.update(env or {})
        return subprocess.run(argv, cwd=cwd or os.path.dirname(script),
                              env=full_env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)
    return run
