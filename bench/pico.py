"""On-chip figures: free heap and server-path cycles on an emulated Pico.

Part `pico` of bench/run.py (`make bench`). Four boards, each booted fresh
in rp2040js (firmware/pico_emulator.py) and running bench/apps/
pico_probe.py from its filesystem:

    ours frozen      our RPI_PICO image (`make firmware BOARD=RPI_PICO`)
    reference frozen the same board built the same way, with the
                     reference's package (Microdot 2.7.0) in place of ours
                     (bench/run.py's reference tree, our manifests)
    ours /lib        the stock RPI_PICO image of the same sources, with the
                     .mpy files `make deploy` copies in /lib
    reference /lib   the stock image, the reference's .mpy files in /lib

The filesystem image is made on the host (firmware/pico/make_fs.py): the
probe compiled with mpy-cross, and for the /lib rows the packages. The
emulator runs every instruction in 8 ns of simulated time, so its clock is
a cycle counter at 125 MHz, free of the noise of this shared machine.
"""
import json
import os
import shutil
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import deploy_bundle  # noqa: E402
import pico_emulator  # noqa: E402

BUILD = os.path.join(ROOT, 'build', 'bench', 'pico')
PROBE = os.path.join(BENCH, 'apps', 'pico_probe.py')
MHZ = 125
CASES = ('hello', 'json', 'param', 'form', '404')
STAGES = (('boot', 'after boot'),
          ('imported', 'after `from microdot import Microdot`'),
          ('app', 'after building the app (4 routes)'),
          ('requests_referenced', 'after 1,000 requests, client and last '
                                  'response referenced'),
          ('requests_collected', 'after 1,000 requests, all dropped'))
MAIN = '''import gc
gc.collect()
boot = gc.mem_free()
import pico_probe
pico_probe.run(boot)
print('@@ probe ended')
'''


class PicoBenchError(Exception):
    pass


def log(*args):
    print(*args, flush=True)


def tool(name):
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.path.exists(local) else shutil.which(name)


def build_image(variant=None, manifest=None):
    argv = [sys.executable, os.path.join(ROOT, 'firmware',
                                         'build_firmware.py'), 'RPI_PICO']
    if variant:
        argv += ['--variant', variant]
    if manifest:
        argv += ['--manifest', manifest]
    name = variant or 'ours'
    os.makedirs(BUILD, exist_ok=True)
    log_path = os.path.join(BUILD, 'build-{}.log'.format(name))
    started = time.monotonic()
    with open(log_path, 'w') as out:
        status = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT)
    with open(log_path) as f:
        text = f.read()
    if status.returncode:
        raise PicoBenchError('the {} image did not build (see {})'.format(
            name, os.path.relpath(log_path, ROOT)))
    image = [line[len('==> firmware: '):] for line in text.splitlines()
             if line.startswith('==> firmware: ')][-1]
    log('bench: pico image {}: {} ({:.0f} s)'.format(
        name, image, time.monotonic() - started))
    return os.path.join(ROOT, image)


def compile_to(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    result = subprocess.run([tool('mpy-cross'), '-o', target, source],
                            capture_output=True, text=True)
    if result.returncode:
        raise PicoBenchError('mpy-cross {}: {}'.format(
            source, result.stdout + result.stderr))


def filesystem(name, lib_folders):
    """A littlefs image holding the probe (.mpy), main.py, and each of
    `lib_folders` ({name on the board: folder of .mpy}) under /lib."""
    stage = os.path.join(BUILD, 'fs-' + name)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    listing = []
    probe = os.path.join(stage, 'pico_probe.mpy')
    compile_to(PROBE, probe)
    listing.append((probe, '/pico_probe.mpy'))
    main = os.path.join(stage, 'main.py')
    with open(main, 'w') as f:
        f.write(MAIN)
    listing.append((main, '/main.py'))
    for package, folder in sorted(lib_folders.items()):
        for top, _, names in os.walk(folder):
            for file_name in sorted(names):
                if file_name.endswith('.mpy'):
                    path = os.path.join(top, file_name)
                    rel = os.path.relpath(path, folder).replace(os.sep, '/')
                    listing.append((path, '/lib/{}/{}'.format(package, rel)))
    list_path = os.path.join(stage, 'files.txt')
    with open(list_path, 'w') as f:
        f.writelines('{}\t{}\n'.format(a, b) for a, b in listing)
    image = os.path.join(stage, 'fs.img')
    result = subprocess.run(
        [tool('micropython'), '-X', 'heapsize=8M',
         os.path.join(ROOT, 'firmware', 'pico', 'make_fs.py'), image,
         str(pico_emulator.fs_blocks('RPI_PICO')), list_path],
        capture_output=True, text=True,
        env=dict(os.environ, MICROPYPATH='.frozen'))
    if result.returncode:
        raise PicoBenchError('make_fs: ' + result.stdout + result.stderr)
    return image


def slug(name):
    return name.replace(' /', '-').replace(' ', '-')


def probe(name, image, fs_image):
    log_path = os.path.join(BUILD, 'board-{}.log'.format(slug(name)))
    started = time.monotonic()
    with open(log_path, 'wb') as log_file:
        with pico_emulator.EmulatedPico(image, fs_image=fs_image,
                                        log=log_file) as pico:
            try:
                text = pico.read_until(b'@@ probe ended', 1800).decode(
                    'utf-8', 'replace')
            except pico_emulator.EmulatorError as exc:
                raise PicoBenchError('{}: {} (see {})'.format(
                    name, exc, os.path.relpath(log_path, ROOT)))
    found = [line for line in text.splitlines() if line.startswith('PROBE ')]
    if not found:
        raise PicoBenchError('{}: the probe printed no figures:\n{}'.format(
            name, text[-2000:]))
    figures = json.loads(found[-1][len('PROBE '):])
    log('bench: pico {}: {:.0f} s; heap {}; server path (us) {}'.format(
        name, time.monotonic() - started, figures['heap'],
        {k: round(v) for k, v in figures['server_us'].items()}))
    return figures


def measure(ref_manifest, ours_mpy, ref_mpy):
    """Every row; `ref_manifest` freezes the reference, `ours_mpy` and
    `ref_mpy` are the .mpy trees (with a microdot/ folder each)."""
    why = pico_emulator.check_harness()
    if why:
        return {'skipped': why}
    ours_image = build_image()
    ref_image = build_image('microdot-2.7.0', ref_manifest)
    stock_image = build_image('stock')
    deps_mpy = os.path.join(BUILD, 'mpy-deps')
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'build_mpy.py'),
         '--mpy-cross', tool('mpy-cross'), os.path.join(ROOT, 'deps'),
         deps_mpy], capture_output=True, text=True)
    if result.returncode:
        raise PicoBenchError('mpy-cross deps/: ' + result.stdout +
                             result.stderr)
    # what `make deploy` copies
    staged = dict(deploy_bundle.stage(ours_mpy, deps_mpy,
                                      os.path.join(BUILD, 'deploy')))
    ref_lib = {'microdot': os.path.join(ref_mpy, 'microdot')}
    rows = {}
    for name, image, lib in (
            ('ours frozen', ours_image, {}),
            ('reference frozen', ref_image, {}),
            ('ours /lib', stock_image, staged),
            ('reference /lib', stock_image, ref_lib)):
        fs_image = filesystem(slug(name), lib)
        rows[name] = probe(name, image, fs_image)
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                            cwd=ROOT, capture_output=True, text=True)
    return {'rows': rows, 'mhz': MHZ, 'commit': commit.stdout.strip(),
            'date': time.strftime('%Y-%m-%d %H:%M'),
            'images': {'ours': os.path.basename(ours_image),
                       'reference': os.path.basename(ref_image),
                       'stock': os.path.basename(stock_image)}}


# -- the report --------------------------------------------------------------

def _kb(n):
    return '{:,}'.format(n)


def render(pico):
    """Markdown lines for docs/performance.md."""
    out = ['', '## On the chip: an emulated Raspberry Pi Pico (RP2040)', '']
    if 'skipped' in pico:
        return out + ['Not measured: ' + pico['skipped'] + '.']
    rows = pico['rows']
    order = ('ours frozen', 'reference frozen', 'ours /lib',
             'reference /lib')
    out += ['Our RPI_PICO image ({ours}) and the same board with Microdot '
            '2.7.0 frozen in its place ({reference}); for the /lib rows the '
            'stock image of the same sources ({stock}) with the .mpy files '
            'in /lib (ours as `make deploy` copies them). Each row is a '
            'fresh boot in rp2040js running bench/apps/pico_probe.py (see '
            'bench/pico.py), at commit {commit} on {date}.'.format(
                commit=pico.get('commit', '?'), date=pico.get('date', '?'),
                **pico['images']), '',
            '### Free heap (bytes, `gc.mem_free()` after `gc.collect()`)',
            '',
            '| stage | ' + ' | '.join(order) + ' |',
            '|---|' + '---:|' * len(order)]
    for key, label in STAGES:
        out.append('| {} | {} |'.format(label, ' | '.join(
            _kb(rows[name]['heap'][key]) for name in order)))
    out.append('| heap taken from boot to the app built | {} |'.format(
        ' | '.join(_kb(rows[n]['heap']['boot'] - rows[n]['heap']['app'])
                   for n in order)))
    repeat = rows[order[0]]['repeat']
    out += ['', '### Server path: cost of one request (simulated clock '
            'cycles; microseconds at {} MHz)'.format(pico['mhz']), '',
            '| case | ' + ' | '.join(order) + ' | ours/reference (frozen) |',
            '|---|' + '---:|' * (len(order) + 1)]
    for case in CASES:
        cells = []
        for name in order:
            us = rows[name]['server_us'][case]
            cells.append('{:,.0f} ({:,.0f} us)'.format(us * pico['mhz'], us))
        ratio = rows['ours frozen']['server_us'][case] / \
            rows['reference frozen']['server_us'][case]
        out.append('| {} | {} | {:.2f} |'.format(
            case, ' | '.join(cells), ratio))
    out += ['', 'The server path is measured, not the test clients: each '
            'framework gets the same raw request bytes in its own in-process '
            'handling of one connection (ours: `serve_connection` on a '
            '`Connection` over an in-memory stream; the reference: '
            '`Microdot.handle_request` with an in-memory reader and writer), '
            '{} times after one warm-up request, timed with '
            '`time.ticks_us()` on the board. The two test clients do '
            'different work (ours runs the real server loop and parses the '
            'response bytes; the reference\'s builds its response object '
            'directly), so they are used only for the heap figures. The '
            'emulator counts each instruction at 125 MHz with its own cycle '
            'counts, not the chip\'s flash cache: the figures compare the two '
            'frameworks exactly, and a real Pico may differ in absolute '
            'terms.'.format(repeat)]
    return out
