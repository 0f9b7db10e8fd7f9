#!/usr/bin/env python3
"""Write a built firmware image to a board.

    python3 firmware/flash_firmware.py BOARD [--port PORT] [--image FILE]
                                             [--erase]

The image is the newest firmware/dist/<BOARD>-*.{uf2,bin} unless --image
names one. `make flash BOARD=... SERIAL=...` runs this script.

RP2040 boards (.uf2): --port may be the mounted RPI-RP2 drive (a folder), and
the image is copied onto it. Otherwise the board is looked for as a
mounted RPI-RP2 drive (after asking a running MicroPython on --port, if it
is a serial port, to restart into its bootloader), then with picotool.
ESP32 boards (.bin): esptool writes the image at the board's offset
(--erase wipes the flash first, filesystem included).
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402

DIST = os.path.join(bundle.FIRMWARE_DIR, 'dist')
MOUNT_GLOBS = ('/media/*/*', '/run/media/*/*', '/media/*', '/mnt/*',
               '/Volumes/*')


class FlashError(Exception):
    pass


def newest_image(board):
    pattern = os.path.join(DIST, '{}-*{}'.format(board.name, board.suffix))
    images = sorted(glob.glob(pattern), key=os.path.getmtime)
    if not images:
        raise FlashError('no {} in firmware/dist/: run `make firmware '
                         'BOARD={}` first'.format(os.path.basename(pattern),
                                                  board.name))
    return images[-1]


def tool(name):
    """A tool next to the running Python (a venv), else on PATH."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(local):
        return local
    return shutil.which(name)


def uf2_drives():
    """Mounted drives of an RP2040 in its bootloader (they hold
    INFO_UF2.TXT)."""
    found = []
    for pattern in MOUNT_GLOBS:
        for path in glob.glob(pattern):
            if os.path.isfile(os.path.join(path, 'INFO_UF2.TXT')):
                found.append(path)
    return found


def flash_rp2(image, port):
    if port and os.path.isdir(port):
        drives = [port]
    else:
        drives = uf2_drives()
        if not drives and port and os.path.exists(port):
            mpremote = tool('mpremote')
            if mpremote:
                print('asking the board on {} to restart into its bootloader'
                      .format(port), flush=True)
                subprocess.run([mpremote, 'connect', port, 'bootloader'],
                               timeout=30)
                deadline = time.monotonic() + 15
                while not drives and time.monotonic() < deadline:
                    time.sleep(0.5)
                    drives = uf2_drives()
    if drives:
        target = os.path.join(drives[0], os.path.basename(image))
        print('copying {} to {}'.format(image, drives[0]), flush=True)
        shutil.copyfile(image, target)
        print('done: the board restarts into the new firmware')
        return
    picotool = tool('picotool')
    if picotool:
        argv = [picotool, 'load', '-x', '-f', image]
        print('$ ' + ' '.join(argv), flush=True)
        if subprocess.run(argv).returncode == 0:
            return
    raise FlashError('no RP2040 bootloader drive found: hold BOOTSEL while '
                     'plugging the board in, then run again (or give '
                     'SERIAL=<the RPI-RP2 mount point>)')


def flash_esp32(board, image, port, erase):
    if not port:
        raise FlashError('ESP32 boards need SERIAL=<serial port>, e.g. '
                         'SERIAL=/dev/ttyUSB0')
    esptool = tool('esptool') or tool('esptool.py')
    if not esptool:
        raise FlashError('esptool not found: pip install esptool')
    base = [esptool, '--port', port, '--baud', '460800']
    if erase:
        print('$ ' + ' '.join(base + ['erase_flash']), flush=True)
        if subprocess.run(base + ['erase_flash']).returncode:
            raise FlashError('esptool could not erase the flash')
    argv = base + ['write_flash', board.flash_offset, image]
    print('$ ' + ' '.join(argv), flush=True)
    if subprocess.run(argv).returncode:
        raise FlashError('esptool failed (is SERIAL right, the board in its '
                         'bootloader?)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('board')
    parser.add_argument('--port', default=os.environ.get('SERIAL') or None)
    parser.add_argument('--image')
    parser.add_argument('--erase', action='store_true')
    args = parser.parse_args(argv)
    board = bundle.board(args.board)
    try:
        if board.port == 'unix':
            raise FlashError('BOARD=unix is a program, not a board: run '
                             'firmware/dist/unix-* directly')
        image = args.image or newest_image(board)
        if board.port == 'rp2':
            flash_rp2(image, args.port)
        else:
            flash_esp32(board, image, args.port, args.erase)
    except (FlashError, subprocess.TimeoutExpired) as exc:
        print('flash_firmware: error: {}'.format(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
