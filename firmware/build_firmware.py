#!/usr/bin/env python3
"""Build MicroPython firmware with the bundle frozen in.

    python3 firmware/build_firmware.py BOARD [--mpy-dir DIR] [--jobs N]

BOARD is one of unix, RPI_PICO, RPI_PICO_W, ESP32_GENERIC, ESP32_GENERIC_S3
(see firmware/bundle.py). MicroPython comes from --mpy-dir (an existing
checkout, with lib/micropython-lib in it), or else from a shallow clone of
the pinned release (firmware/pinned.env; MICROPY_TAG and MICROPY_REPO in
the environment override it) in firmware/build/, with only the submodules
that port needs. The image goes to
firmware/dist/<BOARD>-<micropython version>-<our version>.{uf2,bin} (the
unix port: an executable without suffix), with a size report beside it
(.size.txt). A missing tool stops the build with one line saying what to
install. `make firmware BOARD=...` runs this script.

--variant NAME builds something else from the same sources, for the tests
and benchmarks: the upstream board definition with its own frozen modules
only (--variant stock, what micropython.org ships), or with --manifest FILE
frozen in place of ours (the benchmark's reference). It goes to
firmware/build/<BOARD>-<NAME>/ and firmware/build/images/, never to dist/.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402

BUILD_ROOT = os.path.join(bundle.FIRMWARE_DIR, 'build')
DIST = os.path.join(bundle.FIRMWARE_DIR, 'dist')
IMAGES = os.path.join(BUILD_ROOT, 'images')   # --variant builds
UNIX_MANIFEST = os.path.join(bundle.FIRMWARE_DIR, 'unix_manifest.py')

# The unix port is built without the submodules it can do without:
# berkeley-db (btree) and mbedtls (ssl); libffi comes from the system.
UNIX_OPTIONS = ['MICROPY_PY_BTREE=0', 'MICROPY_PY_SSL=0',
                'MICROPY_SSL_MBEDTLS=0']

# Frozen modules that belong to the bundle (the rest is the port's own).
BUNDLE_PREFIXES = ('microdot/', 'utemplate/', 'jwt.', 'hmac.')


class BuildError(Exception):
    pass


def step(message):
    print('==> ' + message, flush=True)


def clean_env(mpy_dir=None):
    """The environment without the variables of the make that called us
    (BOARD=, PORT= ... would otherwise leak into MicroPython's makes).

    A source tree without its own .git (an unpacked tarball) gets a git
    ceiling above it: MicroPython's version script would otherwise `git
    describe` whatever repository encloses it (ours) and call the firmware
    by our commit instead of its py/mpconfig.h version."""
    env = dict(os.environ)
    for name in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES',
                 'BOARD', 'BOARD_DIR', 'BUILD', 'PORT', 'VARIANT'):
        env.pop(name, None)
    if mpy_dir and not os.path.exists(os.path.join(mpy_dir, '.git')):
        ceiling = os.path.dirname(os.path.abspath(mpy_dir))
        env['GIT_CEILING_DIRECTORIES'] = os.pathsep.join(
            filter(None, [ceiling, env.get('GIT_CEILING_DIRECTORIES')]))
    return env


def run(argv, cwd=None, env=None):
    print('    $ ' + ' '.join(argv), flush=True)
    result = subprocess.run(argv, cwd=cwd, env=env or clean_env())
    if result.returncode != 0:
        raise BuildError('command failed (exit {}): {}'.format(
            result.returncode, ' '.join(argv)))


# -- tools -----------------------------------------------------------------

def need(tool, install):
    if shutil.which(tool) is None:
        raise BuildError('{} not found: {}'.format(tool, install))


def check_toolchain(port):
    need('make', 'install GNU make (Debian: apt-get install make)')
    need('git', 'install git (Debian: apt-get install git)')
    if port == 'unix':
        need('cc', 'install a C compiler (Debian: apt-get install '
                   'build-essential pkg-config libffi-dev)')
        need('pkg-config', 'install pkg-config (Debian: apt-get install '
                           'pkg-config libffi-dev)')
        if subprocess.run(['pkg-config', '--exists', 'libffi']).returncode:
            raise BuildError('libffi not found: install it (Debian: apt-get '
                             'install libffi-dev)')
    elif port == 'rp2':
        arm = ('install the Arm GNU toolchain (Debian: apt-get install '
               'gcc-arm-none-eabi libnewlib-arm-none-eabi '
               'libstdc++-arm-none-eabi-newlib)')
        need('arm-none-eabi-gcc', arm)
        need('cmake', 'install CMake (Debian: apt-get install cmake)')
        libc = subprocess.run(['arm-none-eabi-gcc', '-print-file-name=libc.a'],
                              capture_output=True, text=True).stdout.strip()
        if not os.path.isabs(libc):
            raise BuildError('newlib for arm-none-eabi not found: ' + arm)
    elif port == 'esp32':
        if not os.environ.get('IDF_PATH') or shutil.which('idf.py') is None:
            pins = bundle.read_pinned()
            raise BuildError(
                'ESP-IDF not found: install ESP-IDF {0} and `source '
                '$IDF_PATH/export.sh`, or build in the espressif/idf:{0} '
                'container'.format(pins['IDF_VERSION']))


def picotool_dir(given):
    """Folder of an installed picotool's CMake package, or None (then the
    pico-sdk downloads and builds picotool itself, which needs internet)."""
    candidates = [given] if given else []
    exe = shutil.which('picotool')
    if exe:
        # <prefix>/bin/picotool: its package is <prefix>/lib/cmake/picotool
        candidates.append(os.path.dirname(os.path.dirname(
            os.path.realpath(exe))))
    for folder in candidates:
        for sub in ('', 'picotool', os.path.join('lib', 'cmake', 'picotool')):
            path = os.path.join(folder, sub)
            if os.path.exists(os.path.join(path, 'picotoolConfig.cmake')):
                return os.path.abspath(path)
    return None


# -- MicroPython sources ------------------------------------------------------

def check_checkout(mpy_dir):
    if not os.path.exists(os.path.join(mpy_dir, 'py', 'mpconfig.h')):
        raise BuildError('{} is not a MicroPython checkout (no '
                         'py/mpconfig.h)'.format(mpy_dir))
    if not os.path.exists(os.path.join(mpy_dir, 'lib', 'micropython-lib',
                                       'README.md')):
        raise BuildError('{0}/lib/micropython-lib is empty: run `git -C {0} '
                         'submodule update --init lib/micropython-lib`'
                         .format(mpy_dir))


def port_make_args(board, upstream=False):
    if board.port == 'unix':
        return list(UNIX_OPTIONS)
    args = ['BOARD={}'.format(board.name)]
    if not upstream:
        args.append('BOARD_DIR={}'.format(board.board_dir))
    return args


def clone_pinned(board, jobs):
    """A shallow clone of the pinned tag in firmware/build/, with the
    submodules the port needs (MicroPython's own `make submodules`)."""
    pins = bundle.read_pinned()
    for key in ('MICROPY_TAG', 'MICROPY_REPO'):  # the environment may override
        pins[key] = os.environ.get(key) or pins[key]
    mpy_dir = os.path.join(BUILD_ROOT, 'micropython-' + pins['MICROPY_TAG'])
    if not os.path.exists(os.path.join(mpy_dir, 'py', 'mpconfig.h')):
        step('cloning MicroPython {} into {}'.format(pins['MICROPY_TAG'],
                                                     mpy_dir))
        os.makedirs(BUILD_ROOT, exist_ok=True)
        run(['git', 'clone', '--depth', '1', '--branch', pins['MICROPY_TAG'],
             pins['MICROPY_REPO'], mpy_dir])
    step('fetching the submodules the {} port needs'.format(board.port))
    run(['git', '-C', mpy_dir, 'submodule', 'update', '--init', '--depth',
         '1', 'lib/micropython-lib'])
    run(['make', '-C', os.path.join(mpy_dir, 'ports', board.port),
         'submodules'] + port_make_args(board))
    return mpy_dir


# -- building ------------------------------------------------------------------

def build(board, mpy_dir, jobs, picotool, variant=None, manifest=None):
    build_dir = os.path.join(BUILD_ROOT, board.name + (
        '-' + variant if variant else ''))
    port_dir = os.path.join(mpy_dir, 'ports', board.port)
    step('building mpy-cross')
    env = clean_env(mpy_dir)
    run(['make', '-C', os.path.join(mpy_dir, 'mpy-cross'), '-j', str(jobs)],
        env=env)
    step('building {} ({} port) into {}'.format(board.name, board.port,
                                               build_dir))
    argv = ['make', '-C', port_dir, '-j', str(jobs),
            'BUILD={}'.format(build_dir)] + port_make_args(board,
                                                          bool(variant))
    if manifest:
        argv.append('FROZEN_MANIFEST={}'.format(os.path.abspath(manifest)))
    elif board.port == 'unix' and not variant:
        argv.append('FROZEN_MANIFEST={}'.format(UNIX_MANIFEST))
    if board.port == 'rp2' and picotool:
        # Through the environment: CMAKE_ARGS= on the command line would
        # replace the port Makefile's own CMAKE_ARGS (the board among them).
        env['CMAKE_ARGS'] = (env.get('CMAKE_ARGS', '') +
                             ' -Dpicotool_DIR={}'.format(picotool)).strip()
    run(argv, env=env)
    image = os.path.join(build_dir, board.image)
    if not os.path.exists(image):
        raise BuildError('the build wrote no ' + image)
    return build_dir, image


def elf_path(board, build_dir):
    if board.port == 'unix':
        return os.path.join(build_dir, 'micropython')
    if board.port == 'rp2':
        return os.path.join(build_dir, 'firmware.elf')
    return os.path.join(build_dir, 'micropython.elf')


def size_tool(board):
    prefix = {'rp2': 'arm-none-eabi-'}.get(board.port, '')
    for tool in (prefix + 'size', 'size'):
        if shutil.which(tool):
            return tool
    return None


def elf_sizes(board, elf):
    """(text, data, bss) of the ELF, or None if no size tool can read it."""
    tool = size_tool(board)
    if not tool or not os.path.exists(elf):
        return None
    result = subprocess.run([tool, elf], capture_output=True, text=True)
    lines = result.stdout.split('\n')
    if result.returncode or len(lines) < 2:
        return None
    fields = lines[1].split()
    return tuple(int(f) for f in fields[:3])


def frozen_modules(build_dir):
    """{target path: size} of the .mpy files the manifest froze."""
    modules = {}
    for folder, _, names in os.walk(build_dir):
        if os.path.basename(folder) == 'frozen_mpy' or \
                os.sep + 'frozen_mpy' + os.sep in folder + os.sep:
            top = folder[:folder.index('frozen_mpy') + len('frozen_mpy')]
            for name in names:
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, top).replace(os.sep, '/')
                modules[rel] = os.path.getsize(path)
    return modules


def size_report(board, name, build_dir, image, mpy_version, seconds,
                variant=None):
    lines = ['{}: MicroPython {}, bundle {}, {} port'.format(
        name, mpy_version, bundle.our_version(), board.port),
        'build time: {:.0f} s'.format(seconds),
        'image: {} bytes'.format(os.path.getsize(image))]
    sizes = elf_sizes(board, elf_path(board, build_dir))
    if sizes:
        text, data, bss = sizes
        lines.append('ELF: text {} + data {} = {} bytes of flash; static RAM '
                     'data + bss = {} bytes'.format(text, data, text + data,
                                                     data + bss))
    modules = frozen_modules(build_dir)
    ours = {k: v for k, v in modules.items() if k.startswith(BUNDLE_PREFIXES)}
    lines.append('frozen .mpy of the bundle ({} modules, {} bytes; the port '
                 'freezes {} more modules, {} bytes):'.format(
                     len(ours), sum(ours.values()), len(modules) - len(ours),
                     sum(modules.values()) - sum(ours.values())))
    for rel in sorted(ours):
        lines.append('  {:7d}  {}'.format(ours[rel], rel))
    if not ours and not variant:
        raise BuildError('no module of the bundle was frozen into ' + name)
    return '\n'.join(lines) + '\n'


# -- the figures the docs quote ------------------------------------------------
# `make firmware` rewrites the part of boards/<BOARD>/README.md and of
# docs/firmware.md between these markers with the build it just made.

DOCS = os.path.join(bundle.ROOT, 'docs', 'firmware.md')
BEGIN = '<!-- sizes: written by make firmware -->'
END = '<!-- end of sizes -->'
FIRMWARE_AREA_KIB = {'RPI_PICO': 640, 'RPI_PICO_W': 1200}
TABLE_HEAD = ['| build | flash (text + data) | added by the bundle | frozen '
              'modules of the bundle |', '|---|---|---|---|']


def report_facts(path):
    """Figures of a .size.txt: text, data, bss, modules, mpy_bytes,
    seconds, version line; None where absent."""
    facts = {}
    with open(path) as f:
        text = f.read()
    facts['title'] = text.split('\n', 1)[0]
    for key, pattern in (
            ('text', r'ELF: text (\d+) \+ data (\d+)'),
            ('static', r'static RAM data \+ bss = (\d+)'),
            ('modules', r'bundle \((\d+) modules, (\d+) bytes'),
            ('seconds', r'build time: (\d+) s')):
        match = re.search(pattern, text)
        facts[key] = tuple(int(g) for g in match.groups()) if match else None
    return facts


def _replace_block(path, lines):
    with open(path) as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return False
    new = text[:start] + '\n'.join([BEGIN] + lines + [END]) + \
        text[end + len(END):]
    if new != text:
        with open(path, 'w') as f:
            f.write(new)
    return True


def _table_rows(path):
    with open(path) as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    rows = {}
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if line.startswith('|') and len(cells) == 4 and \
                not cells[0].startswith(('build', '---')):
            rows[cells[0]] = line
    return rows


def write_size_docs(board, report_path, stock_report_path, compiler):
    """The board's README block and its row of docs/firmware.md."""
    facts = report_facts(report_path)
    if not facts['text'] or not facts['modules']:
        return
    flash = sum(facts['text'])
    stock = report_facts(stock_report_path) if stock_report_path and \
        os.path.exists(stock_report_path) else None
    added = flash - sum(stock['text']) if stock and stock['text'] else None
    area = FIRMWARE_AREA_KIB.get(board.name)
    count, mpy_bytes = facts['modules']
    row = '| {} | {:,} bytes{} | {} | {}, {:,} bytes of .mpy |'.format(
        board.name, flash, ' (of {} KiB)'.format(area) if area else '',
        '+{:,} bytes'.format(added) if added is not None else 'not measured',
        count, mpy_bytes)
    rows = _table_rows(DOCS) if os.path.exists(DOCS) else {}
    rows[board.name] = row
    _replace_block(DOCS, TABLE_HEAD + [rows[k] for k in sorted(rows)])
    readme = os.path.join(bundle.BOARDS_DIR, board.name, 'README.md')
    if not os.path.exists(readme):
        return
    lines = ['{} ({}).'.format(facts['title'], compiler), '',
             '| | flash (text + data) | static RAM (data + bss) |',
             '|---|---|---|']
    if stock and stock['text']:
        lines.append('| upstream {} (same sources) | {:,} bytes | {:,} '
                     'bytes |'.format(board.name, sum(stock['text']),
                                      stock['static'][0]))
    lines.append('| with the bundle | {:,} bytes | {:,} bytes |'.format(
        flash, facts['static'][0]))
    if added is not None:
        lines.append('| difference | +{:,} bytes | {:+,} bytes |'.format(
            added, facts['static'][0] - stock['static'][0]))
    lines += ['', 'The bundle: {} frozen modules, {:,} bytes of .mpy (the '
              'image\'s `.size.txt` lists them).'.format(count, mpy_bytes)]
    if area:
        lines.append('The firmware area is {} KiB, so {:,} bytes of it stay '
                     'free.'.format(area, area * 1024 - flash))
    _replace_block(readme, lines)


def compiler_version(board):
    cc = {'rp2': 'arm-none-eabi-gcc', 'esp32': 'xtensa-esp32-elf-gcc'}.get(
        board.port, 'cc')
    try:
        out = subprocess.run([cc, '--version'], capture_output=True,
                             text=True).stdout
    except OSError:
        return cc
    return out.split('\n', 1)[0].strip() or cc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('board', help=' | '.join(bundle.BOARDS))
    parser.add_argument('--mpy-dir', default=os.environ.get('MPY_DIR'),
                        help='an existing MicroPython checkout (default: '
                             'clone the pinned tag)')
    parser.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    parser.add_argument('--picotool-dir', default=os.environ.get(
        'PICOTOOL_DIR'), help='an installed picotool (rp2 boards)')
    parser.add_argument('--variant', help='stock, or a name for --manifest: '
                        'the upstream board, into firmware/build/images/')
    parser.add_argument('--manifest', help='with --variant: freeze this '
                        'manifest instead of the bundle')
    args = parser.parse_args(argv)
    if args.manifest and not args.variant:
        parser.error('--manifest needs --variant NAME')
    board = bundle.board(args.board)
    started = time.monotonic()
    try:
        check_toolchain(board.port)
        if not os.path.isdir(os.path.join(bundle.DEPS, 'utemplate')):
            raise BuildError('deps/utemplate missing: run `make deps`')
        if args.mpy_dir:
            mpy_dir = os.path.abspath(args.mpy_dir)
            check_checkout(mpy_dir)
        else:
            mpy_dir = clone_pinned(board, args.jobs)
        mpy_version = bundle.micropython_version(mpy_dir)
        pinned = bundle.read_pinned()['MICROPY_TAG'].lstrip('v')
        if mpy_version != pinned:
            print('note: {} is MicroPython {}; the pinned release is {}'
                  .format(mpy_dir, mpy_version, pinned), flush=True)
        picotool = None
        if board.port == 'rp2':
            picotool = picotool_dir(args.picotool_dir)
            if not picotool:
                print('note: no installed picotool found (PICOTOOL_DIR); the '
                      'pico-sdk will download and build one (needs internet)',
                      flush=True)
        build_dir, image = build(board, mpy_dir, args.jobs, picotool,
                                 args.variant, args.manifest)
        name = bundle.firmware_name(board.name, mpy_version)
        out = DIST
        if args.variant:
            name = '{}-{}-{}{}'.format(board.name, mpy_version, args.variant,
                                       board.suffix)
            out = IMAGES
        os.makedirs(out, exist_ok=True)
        target = os.path.join(out, name)
        shutil.copyfile(image, target)
        shutil.copymode(image, target)
        report = size_report(board, name, build_dir, image, mpy_version,
                             time.monotonic() - started, args.variant)
        with open(target + '.size.txt', 'w') as f:
            f.write(report)
        if not args.variant:
            stock = os.path.join(IMAGES, '{}-{}-stock{}.size.txt'.format(
                board.name, mpy_version, board.suffix))
            write_size_docs(board, target + '.size.txt', stock,
                            compiler_version(board))
    except BuildError as exc:
        print('build_firmware: error: {}'.format(exc), file=sys.stderr)
        return 2
    step('size report ({}.size.txt)'.format(os.path.relpath(target)))
    print(report, end='')
    step('firmware: ' + os.path.relpath(target))
    return 0


if __name__ == '__main__':
    sys.exit(main())
