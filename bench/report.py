"""Turns the results of bench/run.py into the targets table and the
Markdown page docs/performance.md."""
import math

# The goal of each ratio (ours / reference) in the targets table. The
# memory goals are those of issue 19: what the framework holds, at most
# 1.5 times the reference's (frozen into a 32-bit build: no more than it at
# one client, 0.8 times at ten); the earlier goals below the bare asyncio
# server's own ratios were retired, as nothing served by asyncio meets them.
TARGET_GOALS = {
    'cpu_new': 0.6, 'keep_alive': 3.0, 'bytes': 0.25, 'import': 0.5,
    'idle': 1.5, 'flash': 1.5, 'frozen1': 1.0, 'frozen10': 0.8,
    'pico': 1.5, 'cpython': 1.5, 'asgi': 1.2, 'wsgi': 1.2,
}

MPY = 'MicroPython unix port'
CPYTHON = 'CPython built-in server'


def _find(results, group, scenario, concurrency, keep_alive):
    for row in results.get('rows', ()):
        if row['group'] == group and row['scenario'] == scenario and \
                row['concurrency'] == concurrency and \
                row['keep_alive'] == keep_alive:
            return row
    return None


def _ratio(ours, ref):
    if ours is None or ref is None or not ref:
        return None
    return ours / ref


def _geomean_rps(results, group_prefix):
    ratios = []
    for row in results.get('rows', ()):
        if not row['group'].startswith(group_prefix):
            continue
        ours, ref = row.get('ours'), row.get('ref')
        if ours and ref and ours['rps'] and ref['rps']:
            ratios.append(ours['rps'] / ref['rps'])
    if not ratios:
        return None, None
    mean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    return mean, min(ratios)


def targets(results):
    """Rows of (what, ours, ref, ratio, goal text, met or None, bare): bare
    is the bare asyncio server's figure and its ratio to the reference's
    (the floor of the ratio), as text, or '-'."""
    out = []

    def add(what, ours, ref, ratio, goal, at_most, unit='', bare=None):
        met = None if ratio is None else (
            ratio <= goal if at_most else ratio >= goal)
        floor = _ratio(bare, ref)
        out.append((what, _fmt(ours, unit), _fmt(ref, unit), ratio,
                    ('<= ' if at_most else '>= ') + '{:g}x'.format(goal),
                    met, '-' if bare is None else '{} ({})'.format(
                        _fmt(bare, unit),
                        '-' if floor is None else _fmt_ratio(floor))))

    for c in (1, 10):
        row = _find(results, MPY, 'hello', c, False)
        if row and row.get('ours') and row.get('ref'):
            ours, ref = row['ours']['cpu_us'], row['ref']['cpu_us']
            add('unix port, hello, new connection, c={}: server CPU per '
                'request'.format(c), ours, ref, _ratio(ours, ref),
                TARGET_GOALS['cpu_new'], True, ' us',
                (row.get('bare') or {}).get('cpu_us'))
    for c in (1, 10):
        row = _find(results, MPY, 'hello', c, True)
        if row and row.get('ours') and row.get('ref'):
            ours, ref = row['ours']['rps'], row['ref']['rps']
            add('unix port, hello, keep-alive (wrk), c={}: requests/s'.format(
                c), ours, ref, _ratio(ours, ref), TARGET_GOALS['keep_alive'],
                False, '/s', (row.get('bare') or {}).get('rps'))
    memory = results.get('memory')
    if memory:
        per = memory.get('bytes_per_request') or {}
        add('unix port: bytes allocated per request (new connection)',
            per.get('ours'), per.get('ref'),
            _ratio(per.get('ours'), per.get('ref')),
            TARGET_GOALS['bytes'], True, ' B', per.get('bare'))
        imp = memory.get('import') or {}
        add('unix port: heap after `import microdot` (.mpy)',
            imp.get('ours'), imp.get('ref'),
            _ratio(imp.get('ours'), imp.get('ref')),
            TARGET_GOALS['import'], True, ' B')
        idle = {which: figures.get('idle') for which, figures in
                (memory.get('live_heap') or {}).items()}
        add('unix port (.mpy): heap in use once one request has been '
            'served', idle.get('ours'), idle.get('ref'),
            _ratio(idle.get('ours'), idle.get('ref')),
            TARGET_GOALS['idle'], True, ' B', idle.get('bare'))
    flash = results.get('flash')
    if flash:
        ours, ref = flash['ours']['core'], flash['ref']['core']
        add('unix port: bytes of .mpy that serving a request loads', ours,
            ref, _ratio(ours, ref), TARGET_GOALS['flash'], True, ' B')
    frozen = results.get('frozen')
    if frozen and 'smallest_heap' in frozen:
        heaps = frozen['smallest_heap']
        for c, key in ((1, 'frozen1'), (10, 'frozen10')):
            pair = heaps.get(c) or heaps.get(str(c)) or {}
            add('frozen into firmware (32-bit unix build): smallest -X '
                'heapsize serving {} requests, c={}'.format(
                    frozen.get('heap_requests'), c),
                pair.get('ours'), pair.get('ref'),
                _ratio(pair.get('ours'), pair.get('ref')),
                TARGET_GOALS[key], True, ' B', pair.get('bare'))
    pico = (results.get('pico') or {}).get('rows')
    if pico:
        for where in ('frozen', '/lib'):
            held = {}
            for which, name in (('ours', 'ours'), ('ref', 'reference')):
                heap = pico[name + ' ' + where]['heap']
                held[which] = heap['boot'] - heap['requests_collected']
            add('RP2040 (emulated), {}: heap the framework holds after '
                'serving 1,000 requests'.format(where), held['ours'],
                held['ref'], _ratio(held['ours'], held['ref']),
                TARGET_GOALS['pico'], True, ' B')
    for prefix, key, label in ((CPYTHON, 'cpython', 'CPython built-in'),
                               ('ASGI', 'asgi', 'ASGI (uvicorn)'),
                               ('WSGI', 'wsgi', 'WSGI (gunicorn)')):
        mean, low = _geomean_rps(results, prefix)
        if mean is not None:
            add('{}: requests/s, geometric mean over all scenarios '
                '(lowest {:.2f}x)'.format(label, low), None, None, mean,
                TARGET_GOALS[key], False)
    return out


def _fmt(value, unit=''):
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        value = round(value) if abs(value) >= 100 else round(value, 1)
    return '{}{}'.format(value, unit)


def _fmt_ratio(ratio):
    # three digits, so that a ratio just short of its goal does not print
    # as the goal itself
    return '{:.3f}x'.format(ratio)


def _verdict(met):
    return 'n/a' if met is None else ('met' if met else 'NOT met')


def targets_text(results):
    lines = ['', 'Targets (ours vs reference, same run):']
    for what, ours, ref, ratio, goal, met, bare in targets(results):
        lines.append('  {:<8} {:>6} (goal {:>7})  {}  [ours {}, ref {}, '
                     'bare {}]'.format(
                         _verdict(met),
                         '-' if ratio is None else _fmt_ratio(ratio), goal,
                         what, ours, ref, bare))
    for note in results.get('notes', ()):
        lines.append('  note: ' + note)
    return '\n'.join(lines)


def row_line(row):
    parts = ['{:<28} {:<10} c={:<2} {:<9}'.format(
        row['group'][:28], row['scenario'], row['concurrency'],
        'keep-alive' if row['keep_alive'] else 'new conn')]
    for key in ('bare', 'ours', 'ref'):
        data = row.get(key)
        if data:
            parts.append('{} {:>7.0f}/s {:>6}us{}'.format(
                key, data['rps'], _fmt(data['cpu_us']),
                ' ERR {}'.format(data['errors']) if data['errors'] else ''))
    return '  '.join(parts)


def _cell_ratio(a, b, invert=False):
    if a is None or b is None or not a or not b:
        return '-'
    return '{:.2f}x'.format(b / a if invert else a / b)


def _heap_table(memory):
    """The rows of a MicroPython heap table (from .mpy or frozen): ours,
    the reference, and the bare asyncio server, the floor."""
    out = ['| | ours | reference | ours/ref | bare | bare/ref |',
           '| --- | ---: | ---: | ---: | ---: | ---: |']

    def line(label, figures, key=None, spread=None):
        figures = figures or {}
        spread = spread or {}

        def get(which):
            value = figures.get(which)
            if key is not None and value is not None:
                value = value.get(key)
            return value

        def cell(which):
            # a median of several bisections, with their range
            every = [v for v in spread.get(which) or () if v is not None]
            text = _fmt(get(which), ' B')
            if len(every) > 1:
                text += ' ({:g}-{:g} KiB)'.format(
                    min(every) / 1024, max(every) / 1024)
            return text
        ours, ref, bare = get('ours'), get('ref'), get('bare')
        out.append('| {} | {} | {} | {} | {} | {} |'.format(
            label, cell('ours'), cell('ref'), _cell_ratio(ours, ref),
            cell('bare'), _cell_ratio(bare, ref)))
    line('heap after `import microdot`', memory['import'])
    line('heap after importing what serving needs (`from microdot '
         'import Microdot, Request, Response`, and our server module)',
         memory.get('import_serving'))
    requests = memory.get('bytes_requests')
    sent = ' ({} requests, 1 client)'.format(requests) if requests else ''
    line('bytes allocated per request, new connection' + sent,
         memory['bytes_per_request'])
    line('bytes allocated per request, keep-alive' + sent,
         memory['bytes_per_request_keep_alive'])
    if 'bytes_per_request_browser' in memory:
        line('bytes allocated per request with a browser\'s head (the '
             'browser case), new connection' + sent,
             memory['bytes_per_request_browser'])
        line('bytes allocated per request with a browser\'s head, '
             'keep-alive' + sent,
             memory['bytes_per_request_browser_keep_alive'])
    live = memory['live_heap']
    line('heap in use when idle, after one request', live, 'idle')
    seconds = memory.get('load_seconds')
    line('largest live heap under load (10 clients{})'.format(
        ', {:g} s'.format(seconds) if seconds else ''), live, 'live_max')
    spreads = memory.get('smallest_heap_bisections') or {}
    for c, pair in sorted(memory['smallest_heap'].items(),
                          key=lambda item: int(item[0])):
        line('smallest `-X heapsize` serving {} requests, {} '
             'client(s)'.format(memory['heap_requests'], c), pair,
             spread=spreads.get(c) or spreads.get(str(c)))
    loads = []
    for which, label in (('ours', 'ours'), ('ref', 'the reference'),
                         ('bare', 'bare')):
        figures = live.get(which)
        if figures and 'samples' in figures:
            loads.append('{} served {} requests and was sampled {} '
                         'times'.format(label, figures['requests'],
                                        figures['samples']))
    if loads:
        out += ['', 'Under load: ' + '; '.join(loads) + '.']
    return out


def _memory_method(memory):
    """The method line of the MicroPython memory figures."""
    bisections = memory.get('heap_bisections', 1)
    return (
        '- MicroPython figures are for the mpy-cross output of both '
        'frameworks, or for both frozen into a firmware where a table says '
        'so; the bare column is bench/apps/bare.py, the bare asyncio server, '
        'on the same interpreter as ours. The server script (app.py or '
        'bare.py) is compiled from source on the heap in every column, and '
        'so is the probe (bench/apps/memprobe.py) where it answers. Bytes '
        'allocated per request: `micropython.mem_total()` before and after '
        '{} requests of the hello case (of the browser case where a row '
        'says so) from one client (read through `/__mem`, whose own cost '
        'is subtracted). Live heap: a task in the server runs '
        '`gc.collect()` and reads `gc.mem_alloc()` whenever the event loop '
        'gets to it (it waits with `asyncio.sleep_ms(0)`: one to three '
        'times per request served). It looks between steps of the server\'s '
        'tasks, where a suspended request keeps its objects; what a request '
        'allocates and drops between two awaits is not seen here (the '
        'smallest `-X heapsize` includes it). Idle is the smallest '
        'figure over {:g} s with nothing to serve, after one request; under '
        'load, the largest while 10 clients send requests, each on a new '
        'connection, for {:g} s (the server runs slower while it collects '
        'so often; the requests served and samples taken are under each '
        'table). Smallest `-X heapsize`: bisection to {:g} KiB over fresh '
        'servers, a size passing when the server answers all {} requests (a '
        'run stops at the first failed one). At 10 clients how the heap '
        'fragments depends on how the connections interleave, so a size may '
        'serve in one run and fail in the next and one bisection moves by '
        'several KiB between runs: the figure is the median of {} '
        'bisections, their range in brackets (the largest of them, or a '
        'size required to serve several runs in a row, moved more: at the '
        'median a run fails about one time in two, a few KiB above it one '
        'time in ten or twenty).'.format(
            memory.get('bytes_requests', 1000),
            memory.get('quiet_seconds', 0.3),
            memory.get('load_seconds', 2),
            memory.get('heap_step', 1024) / 1024,
            memory.get('heap_requests', 1000), bisections))


def _cases(results):
    """The method line of the throughput cases."""
    text = ('- cases: `hello` GET / (a short text), `json` GET /json, '
            '`param` GET /user/ada, `form` a POST of a 30-byte urlencoded '
            'form, `upload 64K` a POST of 64 KiB, `404` a path no route '
            'matches; their requests carry one to four header fields (wrk: '
            'Host; loadgen.py: Host, `Connection: close`, and Content-Type '
            'and Content-Length with a body).')
    head = results.get('browser_head')
    if head:
        text += (' `browser`: GET /browser with the head a browser sends '
                 'when it opens a page (Chrome\'s, {} header fields, {} '
                 'bytes with the request line; a session cookie and '
                 '`name=ada`; bench/loadgen.py `BROWSER_FIELDS`, sent as '
                 'is by both load generators), answered with a greeting '
                 'read from the cookie.'.format(head['fields'],
                                                head['bytes']))
    return text + (' The bare server answers every request alike; it is '
                   'measured in {}.'.format(
                       'hello and browser' if head else 'hello'))


def render(results):
    m = results['machine']
    out = ['# Performance', '',
           'Generated by `make bench` (bench/run.py); do not edit by hand. '
           'Our framework beside the reference, Microdot 2.7.0 from PyPI, '
           'and a bare asyncio server that answers a fixed response (the '
           'ceiling), measured in the same run on the same machine.', '',
           '- date: {}'.format(m['date']),
           '- machine: {}, {} cores, {} RAM, Linux {}'.format(
               m['cpu'], m['cores'], m['memory'], m['kernel']),
           '- CPython {}; MicroPython {}; {}'.format(
               m['python'], m['micropython'], m['wrk']),
           '- bench environment: {}'.format(m['packages']),
           '- our code: commit {}{}'.format(
               m['commit'], ' (with uncommitted core changes)'
               if m.get('dirty') else ''),
           '- method: {} interleaved rounds of {} s per server and case, '
           'medians; server CPU per request is the server process\'s '
           'utime+stime (children included) over the requests it '
           'answered. New connections: bench/loadgen.py (one per request, '
           '`Connection: close`); keep-alive: wrk. The reference closes '
           'every connection after one response, so under wrk it pays a '
           'new connection per request.'.format(
               results['rounds'], results['duration']),
           _cases(results),
           _memory_method(results.get('memory') or
                          results.get('frozen') or {}),
           '', '## Targets', '',
           'The last column is the bare asyncio server (bench/apps/bare.py) '
           'and its ratio to the reference: the floor, what a server that '
           'does nothing but read a request and write a fixed answer costs '
           'on the same interpreter. A framework served by asyncio\'s '
           '`start_server` does at least that work, so a goal beyond that '
           'ratio (below it for an upper bound, above it for a lower bound) '
           'cannot be met.', '',
           '| | ours | reference | ratio | goal | | bare (bare/ref) |',
           '| --- | ---: | ---: | ---: | --- | --- | ---: |']
    for what, ours, ref, ratio, goal, met, bare in targets(results):
        out.append('| {} | {} | {} | {} | {} | {} | {} |'.format(
            what, ours, ref, '-' if ratio is None else _fmt_ratio(ratio),
            goal, _verdict(met), bare))
    for note in results.get('notes', ()):
        out += ['', 'Note: ' + note]
    groups = []
    for row in results.get('rows', ()):
        if row['group'] not in groups:
            groups.append(row['group'])
    for group in groups:
        out += ['', '## Throughput: ' + group, '',
                '| case | c | connection | bare req/s | ours req/s | '
                'ref req/s | ours/ref | bare CPU/req | ours CPU/req | '
                'ref CPU/req | ours/ref CPU |',
                '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | '
                '---: | ---: | ---: |']
        for row in results['rows']:
            if row['group'] != group:
                continue
            cells = [row['scenario'], str(row['concurrency']),
                     'keep-alive' if row['keep_alive'] else 'new']
            data = {k: row.get(k) for k in ('bare', 'ours', 'ref')}
            for key in ('bare', 'ours', 'ref'):
                cells.append(_fmt(data[key]['rps']) + (
                    ' ({} err)'.format(data[key]['errors'])
                    if data[key]['errors'] else '') if data[key] else '')
            ours, ref = data['ours'], data['ref']
            cells.append(_cell_ratio(ours and ours['rps'],
                                     ref and ref['rps']))
            for key in ('bare', 'ours', 'ref'):
                cells.append(_fmt(data[key]['cpu_us'], ' us')
                             if data[key] else '')
            cells.append(_cell_ratio(ours and ours['cpu_us'],
                                     ref and ref['cpu_us']))
            out.append('| ' + ' | '.join(cells) + ' |')
    memory = results.get('memory')
    if memory:
        out += ['', '## MicroPython memory (unix port, from .mpy)', '']
        out += _heap_table(memory)
        modules = memory.get('module_heap')
        if modules:
            out += ['', 'Heap taken by each core module once imported (from '
                    '.mpy, each after the modules it imports; the bytecode of '
                    'a module loaded from a .mpy file lives in the heap, '
                    'which a module frozen into the firmware does not '
                    'need):', '',
                    '| module | heap |', '| --- | ---: |']
            for which, label in (('ours', 'ours'), ('ref', 'reference')):
                for name, size in modules.get(which, {}).items():
                    out.append('| {} `{}` | {} |'.format(
                        label, name, _fmt(size, ' B')))
                out.append('| {} **total** | **{}** |'.format(
                    label, _fmt(sum(modules.get(which, {}).values()), ' B')))
        out += ['', 'Heap allocated by importing each extension after '
                '`import microdot` (bytes; `-` where the other side has no '
                'such module; an error text where it cannot load on the unix '
                'port):', '', '| extension | ours | reference |',
                '| --- | ---: | ---: |']
        ext = memory['extensions']
        for name in sorted(set(ext['ours']) | set(ext['ref'])):
            out.append('| {} | {} | {} |'.format(
                name, _fmt(ext['ours'].get(name)),
                _fmt(ext['ref'].get(name))))
    frozen = results.get('frozen')
    if frozen:
        out += ['', '## MicroPython memory, frozen into firmware (32-bit '
                'unix build)', '']
        if 'skipped' in frozen:
            out.append(frozen['skipped'][0].upper() + frozen['skipped'][1:]
                       + '.')
        else:
            build = frozen['build']
            out += ['Both sides frozen into the unix port of {} (checkout '
                    '{}), built the same way for 32 bits, as boards are '
                    '(`{}`): ours with `firmware/unix_manifest.py`, what '
                    '`make firmware BOARD=unix` freezes; the reference '
                    'through the same manifests with its `microdot` package '
                    'in place of ours (the port\'s modules, asyncio, '
                    'utemplate and pyjwt are frozen in both; modules only '
                    'CPython can run are left out of both). The bytecode '
                    'stays in the binary, as it stays in flash on a board: '
                    'only the objects the app creates take heap. A 32-bit '
                    'heap has 4-byte pointers and 16-byte blocks, so compare '
                    'these figures with each other, not with the 64-bit '
                    '.mpy table above. Binaries: ours {} B, the reference '
                    '{} B.'.format(build['micropython'], build['checkout'],
                                   build['options'],
                                   build['ours_size'], build['ref_size']),
                    '']
            out += _heap_table(frozen)
    flash = results.get('flash')
    if flash:
        out += ['', '## Flash: mpy-cross output (bytes)', '',
                'Core = what serving a request needs: the modules that `from '
                'microdot import Microdot, Request, Response` loads, those '
                'that listening loads (ours: `start_server(..., '
                'start_serving=False)`), and those that serving one GET '
                'in-process loads (ours: the server\'s code for a '
                'connection, `serve_connection`; the reference: '
                '`Microdot.handle_request`): ours `{}`; the reference '
                '`{}`.'.format(
                    '`, `'.join(flash['ours']['core_modules']),
                    '`, `'.join(flash['ref']['core_modules'])), '',
                '| module | ours | reference |', '| --- | ---: | ---: |',
                '| **core** | **{}** | **{}** |'.format(
                    flash['ours']['core'], flash['ref']['core'])]
        ours, ref = flash['ours']['modules'], flash['ref']['modules']
        for name in sorted(set(ours) | set(ref)):
            out.append('| {} | {} | {} |'.format(
                name, _fmt(ours.get(name)), _fmt(ref.get(name))))
    if results.get('pico'):
        import pico
        out += pico.render(results['pico'])
    out += ['', '## Reading these figures', '',
            '- One client with keep-alive is bound by the round trip '
            '(client, kernel, server in turn), not by the server alone; its '
            'requests/s ratio is therefore smaller than the ratio of server '
            'CPU per request, which is the figure to compare when the two '
            'disagree.',
            '- Heap figures from .mpy include the bytecode of every module '
            'loaded: the unix port reads a .mpy into the heap, as a board '
            'does for a .mpy copied to its filesystem. With the framework '
            'frozen into the firmware (our `make firmware`), the bytecode '
            'stays in flash and only the objects of the running app take '
            'heap. The table of core modules shows how much each takes; '
            'the frozen table measures both sides that way.',
            '- The machine is shared: other processes may run during a '
            'round. Interleaving puts the servers under the same conditions; '
            'single figures move by several per cent between runs.',
            '', 'Run time of the suite: {:.0f} s.'.format(
                results.get('seconds', 0)), '']
    return '\n'.join(out)
