"""The Makefile's own interface: `make help`, and what its targets say.

Each test runs `make` from the repository root as a user types it (the
variables of an outer make, when `make test` runs this, are removed from
the environment).
"""

import os
import re
import signal
import subprocess
import time

import httpx

from processes import free_port, is_listening

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 60      # `make run` may first check .venv and deps/
HELP_LINE = re.compile(r'^  make (\S+) +(.*)$')
KNOB = re.compile(r'\b([A-Z][A-Z0-9_]*)=(<[^>]*>|[^ \]<]*)')


def make_env(**extra):
    env = dict(os.environ)
    for name in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES'):
        env.pop(name, None)
    env.update(extra)
    return env


def make(*args, env=None, timeout=120):
    return subprocess.run(['make', '--no-print-directory'] + list(args),
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env or make_env())


def help_entries():
    """{target: text} from `make help`."""
    result = make('help')
    assert result.returncode == 0, result.stdout + result.stderr
    entries = {}
    for line in result.stdout.splitlines():
        match = HELP_LINE.match(line)
        if match:
            assert match.group(1) not in entries, 'listed twice: ' + line
            entries[match.group(1)] = match.group(2)
    return entries


def make_database():
    """The output of `make -pRrq`: every rule and variable make knows."""
    result = make('-pRrq', '-f', 'Makefile', ':')
    return result.stdout


def phony_targets():
    targets = set()
    for line in make_database().splitlines():
        if line.startswith('.PHONY:'):
            targets.update(line.split()[1:])
    assert targets, 'no .PHONY line in make -p'
    return targets


def makefile_texts():
    texts = []
    for folder, dirs, files in os.walk(ROOT):
        skipped = ('.git', '.venv', 'build', 'deps', 'node_modules')
        dirs[:] = [d for d in dirs if d not in skipped]
        for name in files:
            if name == 'Makefile' or name.endswith('.mk'):
                with open(os.path.join(folder, name)) as f:
                    texts.append(f.read())
    return '\n'.join(texts)


def make_values(names, **assignments):
    """The values make gives to ``names`` (after the Makefile's defaults,
    and command-line ``assignments``)."""
    probe = ''.join('$(info {0}=$({0}))'.format(name) for name in names)
    argv = ['make', '--no-print-directory', '-f', 'Makefile', '-f', '-',
            '_print_values']
    argv += ['{}={}'.format(k, v) for k, v in assignments.items()]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                            input=probe + '\n_print_values:\n\t@:\n',
                            env=make_env(), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    values = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition('=')
        values[name] = value
    return values


def test_make_help_lists_every_target_once():
    entries = help_entries()
    phony = phony_targets()
    missing = sorted(phony - set(entries))
    assert not missing, 'add a `#help Group: target ...` line for ' + \
        ', '.join(missing)
    unknown = sorted(set(entries) - phony)
    assert not unknown, 'make help lists targets make does not have: ' + \
        ', '.join(unknown)
    for target, text in entries.items():
        assert len(text) > 10, 'say what {} does'.format(target)


def test_make_help_is_grouped_and_is_the_default_goal():
    listed = make('help').stdout
    assert make().stdout == listed
    groups = [line for line in listed.splitlines()
              if line and not line.startswith(' ')]
    assert groups == ['Running:', 'Testing:', 'Boards:', 'Benchmarks:',
                      'Setup:'], groups
    # the README's two commands come first, and nothing needs .venv
    assert listed.index('make run') < listed.index('make bench')
    assert 'pip' not in listed and not make('help').stderr


def test_make_help_names_knobs_that_exist_with_their_defaults():
    entries = help_entries()
    sources = makefile_texts()
    knobs = {}
    for target, text in entries.items():
        for name, value in KNOB.findall(text):
            assert '$({})'.format(name) in sources, \
                'make help gives {} a knob {} that no makefile reads'.format(
                    target, name)
            knobs.setdefault(name, set()).add(value)
    assert {'APP', 'RUNTIME', 'TESTS', 'PYTEST_ARGS', 'BOARD', 'MPY_DIR',
            'SOAK_REQUESTS', 'FUZZ_CASES'} <= set(knobs)
    defaults = make_values(sorted(knobs))
    for name, shown in knobs.items():
        for value in shown:
            if value.startswith('<') or not defaults[name]:
                continue    # a placeholder, or no default to show
            assert value.split('|')[0] == defaults[name], \
                'make help shows {}={}, the Makefile has {}'.format(
                    name, value, defaults[name])


class MakeRun:
    """`make ARGS` in a session of its own (so that its app is stopped with
    it, by the process group id we made), output to a file."""

    def __init__(self, args, log_path, env=None):
        self.log_path = log_path
        with open(log_path, 'wb') as log:
            self.process = subprocess.Popen(
                ['make', '--no-print-directory'] + list(args), cwd=ROOT,
                env=env or make_env(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait(self, timeout=START_TIMEOUT):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_listening(self, port):
        deadline = time.monotonic() + START_TIMEOUT
        while not is_listening(port):
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.1)

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(10)
                return
            except subprocess.TimeoutExpired:
                pass


def test_make_run_serves_on_the_http_port_of_its_command_line(tmp_path):
    port = free_port()
    # an exported PORT (some other program's) changes nothing
    env = make_env(PORT=str(free_port()))
    env.pop('HTTP_PORT', None)
    run = MakeRun(['run', 'APP=examples/routes/routes.py',
                   'HTTP_PORT={}'.format(port)], tmp_path / 'run.log', env)
    try:
        run.wait_listening(port)
        res = httpx.get('http://127.0.0.1:{}/users/42'.format(port),
                        timeout=10)
        assert res.json() == {'id': 42, 'name': 'Ada'}
        assert 'make run: routes.py serves on http://127.0.0.1:{}/; Ctrl-C ' \
            'stops it'.format(port) in run.output()
    finally:
        run.stop()


def test_make_run_says_so_when_the_app_never_serves(tmp_path):
    for runtime in ('micropython', 'micropython-mpy', 'cpython'):
        run = MakeRun(['run', 'APP=host_tests/apps/no_run_app.py',
                       'RUNTIME=' + runtime], tmp_path / 'run.log')
        try:
            status = run.wait()
        finally:
            run.stop()
        output = run.output()
        assert status not in (0, None), (runtime, output)
        assert 'make run: no_run_app.py ended without serving: it makes no ' \
            'server unless it calls app.run() (or awaits ' \
            'app.start_server()); add app.run() at its end' in output
        assert 'serves on' not in output and 'Serving' not in output


def test_an_exported_port_is_not_the_serial_port_of_deploy():
    # `export PORT=5137` for an app used to send make deploy to a serial
    # port named 5137; now deploy asks for SERIAL
    result = make('deploy', env=make_env(PORT='5137'), timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'give SERIAL=<serial port of the board>' in result.stdout
    assert '5137' not in result.stdout + result.stderr


def test_serial_or_port_on_the_command_line_names_the_board():
    for args, env, device in (
            (['SERIAL=/dev/ttyACM7'], make_env(PORT='5137'), '/dev/ttyACM7'),
            ([], make_env(SERIAL='/dev/ttyUSB3', PORT='5137'), '/dev/ttyUSB3'),
            (['PORT=/dev/ttyACM9'], make_env(), '/dev/ttyACM9')):
        for target in (['deploy'], ['flash', 'BOARD=ESP32_GENERIC']):
            result = make('-n', *(target + args), env=env)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "--port '{}'".format(device) in result.stdout, \
                (target, args, result.stdout)
