"""Our firmware on an emulated Raspberry Pi Pico (rp2040js), driven the way
a user drives a board: the real mpremote over a serial port (a pty bridged
to the emulator's USB serial port; firmware/pico_emulator.py).

- `mpremote run` of an app that uses the framework through the test
  client (no network on a Pico), on our image with the bundle frozen in;
- `make deploy` of the compiled bundle to a stock RPI_PICO image built from
  the same sources (pyjwt from a package index on 127.0.0.1, the real one
  of micropython-lib), then `mpremote run` of the same app from /lib;
- examples/hello.py on a Pico says in one sentence that there is no
  network;
- the Pico W image boots, with the bundle; its Wi-Fi chip (CYW43, on a
  PIO-driven SPI bus) is not emulated, so its network cannot come up.

The images are built here with firmware/build_firmware.py (MicroPython's
make rebuilds only what changed). Needs MicroPython's sources (MPY_DIR, set
by the Makefile from ../shared/micropython), the Arm toolchain, node with
rp2040js (`make pico-emulator-deps`) and the RP2040 boot ROM; skips,
saying which is missing, otherwise.
"""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import pico_emulator  # noqa: E402
from test_mpremote import MipIndex, index_packages  # noqa: E402

BUILD = os.path.join(ROOT, 'firmware', 'build_firmware.py')
APP = os.path.join(ROOT, 'host_tests', 'apps', 'board_test_client_app.py')
CHECKS = ('GET /', 'JSON', 'URL parameter', 'form POST', '404', 'WebSocket',
          'SSE', 'session')

# building an image takes one to five minutes on two busy cores
SLOW = pytest.mark.timeout(1800)


def tool(name):
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.path.exists(local) else shutil.which(name)


def why_not_here():
    if not os.environ.get('MPY_DIR'):
        return 'MPY_DIR is not set: the Pico images need MicroPython\'s ' \
               'sources (the Makefile sets it from ../shared/micropython)'
    import build_firmware
    if not build_firmware.picotool_dir(os.environ.get('PICOTOOL_DIR')):
        return 'no installed picotool (PICOTOOL_DIR): the Makefile builds ' \
               'one from ../shared/micropython (needs cmake)'
    if not shutil.which('arm-none-eabi-gcc'):
        return 'arm-none-eabi-gcc not found: `make firmware-toolchain` ' \
               '(Debian: apt-get install gcc-arm-none-eabi ' \
               'libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib)'
    return pico_emulator.check_harness()


def build_image(board, *options):
    why = why_not_here()
    if why:
        pytest.skip(why)
    result = subprocess.run(
        [sys.executable, BUILD, board] + list(options),
        capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    for line in result.stdout.splitlines():
        if line.startswith('==> firmware: '):
            return os.path.join(ROOT, line[len('==> firmware: '):])
    raise AssertionError('no image named in:\n' + result.stdout[-2000:])


@pytest.fixture(scope='module')
def frozen_image():
    return build_image('RPI_PICO')


@pytest.fixture(scope='module')
def stock_image():
    return build_image('RPI_PICO', '--variant', 'stock')


@pytest.fixture(scope='module')
def pico_w_image():
    return build_image('RPI_PICO_W')


def start_board(image, tmp_path, board='RPI_PICO'):
    pico = pico_emulator.EmulatedPico(image, board,
                                      log=open(str(tmp_path / 'board.log'),
                                               'wb'))
    pico.start()
    pico.wait_for_repl(60)
    pico.serve_pty(str(tmp_path / 'pico.tty'))
    return pico


def mpremote(pico, *args, timeout=600):
    result = subprocess.run(
        [tool('mpremote'), 'connect', pico.pty[2]] + list(args),
        capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout + result.stderr


def check_app_output(output, where):
    lines = output.splitlines()
    for what in CHECKS:
        assert 'ok ' + what in lines, output
    assert 'done 0' in lines, output
    assert any(line.startswith('where microdot') and where in line
               for line in lines), output


@SLOW
def test_mpremote_run_on_our_frozen_image(frozen_image, tmp_path):
    pico = start_board(frozen_image, tmp_path)
    try:
        status, output = mpremote(pico, 'run', APP)
        assert status == 0, output
        check_app_output(output, '.frozen/microdot')
        # nothing of ours on the filesystem: the framework is the frozen one
        status, listing = mpremote(pico, 'fs', 'ls', ':')
        assert status == 0 and 'microdot' not in listing, listing
    finally:
        pico.stop()


@SLOW
def test_make_deploy_to_a_stock_image_then_mpremote_run(stock_image,
                                                        tmp_path):
    pico = start_board(stock_image, tmp_path)
    try:
        status, output = mpremote(pico, 'exec', 'import microdot')
        assert status != 0 and 'microdot' in output, output  # stock: none
        packages, kind = index_packages()
        assert kind == 'micropython-lib'   # MPY_DIR is set here
        with MipIndex(packages) as index:
            result = subprocess.run(
                ['make', '--no-print-directory', 'deploy',
                 'PORT=' + pico.pty[2], 'INDEX=' + index.url],
                cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert any(r.endswith('/pyjwt/latest.json') for r in index.requests)
        status, output = mpremote(pico, 'run', APP)
        assert status == 0, output
        check_app_output(output, 'lib/microdot')
        status, where = mpremote(pico, 'exec', 'import microdot.app as m; '
                                 'import jwt; print(m.__file__, jwt.__file__)')
        assert status == 0, where
        assert 'lib/microdot/app.mpy' in where and 'lib/jwt' in where, where
    finally:
        pico.stop()


@SLOW
def test_hello_example_on_a_pico_says_there_is_no_network(frozen_image,
                                                          tmp_path):
    pico = start_board(frozen_image, tmp_path)
    try:
        status, output = mpremote(pico, 'run', os.path.join(
            ROOT, 'examples', 'hello.py'))
    finally:
        pico.stop()
    assert status != 0, output
    assert 'this board has no network' in output, output
    assert 'Pico W' in output, output
    assert 'using the host network' not in output, output
    assert "no module named 'socket'" not in output, output


@SLOW
def test_pico_w_boots_with_the_bundle_but_no_wifi_chip(pico_w_image,
                                                       tmp_path):
    pico = pico_emulator.EmulatedPico(pico_w_image, 'RPI_PICO_W')
    with pico:
        pico.wait_for_repl(60)
        out, err = pico.exec_raw(
            'import sys, microdot, socket, network\n'
            'print(sys.implementation._build, microdot.__path__)\n'
            'wlan = network.WLAN(network.STA_IF)\n'
            'wlan.active(True)\n'
            'print("active", wlan.active(), "connected", '
            'wlan.isconnected())\n', 120)
        assert err == '', err
        assert 'RPI_PICO_W .frozen/microdot' in out, out
        # the CYW43 is not there: the driver says so, the radio stays off
        assert 'Failed to start CYW43' in out, out
        assert 'connected False' in out, out
        # what works without it: the framework, through the test client
        with open(APP) as f:
            out, err = pico.exec_raw(f.read(), 300)
        assert err == '', err
        check_app_output(out, '.frozen/microdot')
