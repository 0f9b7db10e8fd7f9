"""What the firmware bundle is made of, and the versions it is built from.

Shared by the scripts of firmware/ and by host_tests/: the pinned
MicroPython release (firmware/pinned.env), our version (__version__ of
modules/microdot/__init__.py), the boards we build, and the set of
CPython-only modules (read from the root manifest.py, where it is defined).
Standard library only; runs on CPython 3.9+.
"""

import ast
import os
import re

FIRMWARE_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FIRMWARE_DIR)
MANIFEST = os.path.join(ROOT, 'manifest.py')
MODULES = os.path.join(ROOT, 'modules')
DEPS = os.path.join(ROOT, 'deps')
BOARDS_DIR = os.path.join(ROOT, 'boards')
PINNED = os.path.join(FIRMWARE_DIR, 'pinned.env')


class Board:
    """A build target: `name` as given to BOARD=, the MicroPython `port`
    folder, the image file the port writes and the suffix ours gets."""

    def __init__(self, name, port, image, suffix, flash_offset=None):
        self.name = name
        self.port = port
        self.image = image
        self.suffix = suffix
        self.flash_offset = flash_offset

    @property
    def board_dir(self):
        """Our out-of-tree board definition (None for the unix port)."""
        if self.port == 'unix':
            return None
        return os.path.join(BOARDS_DIR, self.name)


# The ESP32 offsets are where the combined image (bootloader, partition
# table, app) starts: 0x1000 on the ESP32, 0 on the ESP32-S3.
BOARDS = {
    'unix': Board('unix', 'unix', 'micropython', ''),
    'RPI_PICO': Board('RPI_PICO', 'rp2', 'firmware.uf2', '.uf2'),
    'RPI_PICO_W': Board('RPI_PICO_W', 'rp2', 'firmware.uf2', '.uf2'),
    'ESP32_GENERIC': Board('ESP32_GENERIC', 'esp32', 'firmware.bin', '.bin',
                           flash_offset='0x1000'),
    'ESP32_GENERIC_S3': Board('ESP32_GENERIC_S3', 'esp32', 'firmware.bin',
                              '.bin', flash_offset='0x0'),
}


def board(name):
    try:
        return BOARDS[name]
    except KeyError:
        raise SystemExit('unknown BOARD={!r}; one of: {}'.format(
            name, ' '.join(BOARDS)))


def read_pinned(path=PINNED):
    """KEY=value lines of pinned.env as a dict (comments skipped)."""
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                key, sep, value = line.partition('=')
                if not sep:
                    raise ValueError('{}: not KEY=value: {!r}'.format(path,
                                                                      line))
                values[key.strip()] = value.strip()
    return values


def our_version(modules=MODULES):
    """__version__ of modules/microdot/__init__.py, read without importing."""
    path = os.path.join(modules, 'microdot', '__init__.py')
    with open(path) as f:
        match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", f.read(),
                          re.M)
    if not match:
        raise SystemExit('no __version__ in ' + path)
    return match.group(1)


def micropython_version(mpy_dir):
    """'1.29.0', or '1.29.0-preview' for a commit between releases, read
    from py/mpconfig.h of a MicroPython checkout."""
    with open(os.path.join(mpy_dir, 'py', 'mpconfig.h')) as f:
        text = f.read()
    parts = {}
    for key in ('MAJOR', 'MINOR', 'MICRO', 'PRERELEASE'):
        match = re.search(r'#define MICROPY_VERSION_{}\s+\(?(\d+)'.format(key),
                          text)
        parts[key] = match.group(1) if match else '0'
    version = '{MAJOR}.{MINOR}.{MICRO}'.format(**parts)
    if parts['PRERELEASE'] != '0':
        version += '-preview'
    return version


def cpython_only(manifest=MANIFEST):
    """The CPYTHON_ONLY tuple of the root manifest.py (never frozen)."""
    with open(manifest) as f:
        tree = ast.parse(f.read(), manifest)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == 'CPYTHON_ONLY'):
            return tuple(ast.literal_eval(node.value))
    raise SystemExit('no CPYTHON_ONLY = (...) in ' + manifest)


def package_files(top, package, skip=()):
    """Sorted .py files of `package` under `top`, relative to the package
    folder, '/'-separated, minus `skip`, __pycache__ left out."""
    root = os.path.join(top, package)
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d != '__pycache__']
        for name in names:
            rel = os.path.relpath(os.path.join(folder, name), root)
            rel = rel.replace(os.sep, '/')
            if name.endswith('.py') and rel not in skip:
                found.append(rel)
    return sorted(found)


def firmware_name(board_name, mpy_version, version=None):
    """<BOARD>-<micropython version>-<our version><suffix>"""
    return '{}-{}-{}{}'.format(board_name, mpy_version,
                               version or our_version(),
                               board(board_name).suffix)
