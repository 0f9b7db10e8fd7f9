#!/usr/bin/env python3
"""An emulated Raspberry Pi Pico: our firmware image in rp2040js.

    python3 firmware/pico_emulator.py [--image FIRMWARE.uf2] [--tty PATH]
                                      [--flash-file FILE] [--fs-image FS]

firmware/pico/emulator.mjs (Node.js, rp2040js from firmware/pico/
node_modules, `make pico-emulator-deps`) runs the image; its stdin and
stdout are the board's USB serial port. This module starts it and, with
--tty, puts a pseudo-terminal in front of it, so that mpremote talks to
it as to a board plugged in over USB:

    python3 firmware/pico_emulator.py --tty build/pico.tty &
    mpremote connect build/pico.tty exec "import sys; print(sys.platform)"

Without --tty the REPL is on this terminal (Ctrl-] quits). The boot ROM
comes from ../shared/micropython (or PICO_BOOTROM). --flash-file keeps the
flash (and so the filesystem) from one run to the next. `make pico-emulator`
runs this with the RPI_PICO image that `make firmware BOARD=RPI_PICO`
built. The EmulatedPico class is what host_tests/ and bench/ use.
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

FIRMWARE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FIRMWARE)
HARNESS_DIR = os.path.join(FIRMWARE, 'pico')
HARNESS = os.path.join(HARNESS_DIR, 'emulator.mjs')
BOOTROM_NAME = 'rp2040-bootrom-b1.bin'
# Where the filesystem starts in the flash of each board (the flash is 2
# MiB; MicroPython keeps MICROPY_HW_FLASH_STORAGE_BYTES at its end).
FS_OFFSET = {'RPI_PICO': 0xA0000, 'RPI_PICO_W': 0x200000 - 848 * 1024}
FS_BLOCK = 4096


class EmulatorError(Exception):
    pass


def bootrom_path():
    """The RP2040 boot ROM image: $PICO_BOOTROM, else the one beside the
    MicroPython bundle in ../shared/micropython."""
    given = os.environ.get('PICO_BOOTROM')
    candidates = [given] if given else [
        os.path.join(os.path.dirname(ROOT), 'shared', 'micropython',
                     BOOTROM_NAME)]
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    raise EmulatorError('no RP2040 boot ROM (rp2040js ships none): set '
                        'PICO_BOOTROM=/path/to/{} or put it in '
                        '../shared/micropython/'.format(BOOTROM_NAME))


def check_harness():
    """Why the emulator cannot run here, or None."""
    if shutil.which('node') is None:
        return 'node not found: install Node.js 18 or later (Debian: ' \
               'apt-get install nodejs npm)'
    if not os.path.isdir(os.path.join(HARNESS_DIR, 'node_modules',
                                      'rp2040js')):
        return 'rp2040js is not installed: run `make pico-emulator-deps` ' \
               '(npm ci in firmware/pico)'
    try:
        bootrom_path()
    except EmulatorError as exc:
        return str(exc)
    return None


def latest_image(board='RPI_PICO'):
    """The newest firmware/dist/<board>-*.uf2, or None."""
    images = glob.glob(os.path.join(FIRMWARE, 'dist', board + '-*.uf2'))
    return max(images, key=os.path.getmtime) if images else None


def fs_blocks(board='RPI_PICO'):
    return (0x200000 - FS_OFFSET[board]) // FS_BLOCK


class EmulatedPico:
    """One emulator process. read()/write() talk to the board's USB serial
    port; serve_pty() bridges it to a pseudo-terminal; stop() ends it."""

    def __init__(self, image, board='RPI_PICO', flash_file=None,
                 save_flash=False, fs_image=None, log=None):
        self.image = image
        self.board = board
        self.flash_file = flash_file
        self.save_flash = save_flash
        self.fs_image = fs_image
        self.log = log
        self.process = None
        self.output = bytearray()   # what the board wrote, until read
        self.lock = threading.Condition()
        self.closed = False
        self.stderr = b''
        self.pty = None

    def argv(self):
        argv = ['node', HARNESS, '--bootrom', bootrom_path(),
                '--image', self.image,
                '--fs-offset', hex(FS_OFFSET[self.board])]
        if self.flash_file:
            argv += ['--flash-file', self.flash_file]
            if self.save_flash:
                argv.append('--save-flash')
        if self.fs_image:
            argv += ['--fs-image', self.fs_image]
        return argv

    def start(self):
        why = check_harness()
        if why:
            raise EmulatorError(why)
        if not os.path.isfile(self.image):
            raise EmulatorError('no firmware image ' + self.image)
        self.process = subprocess.Popen(
            self.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0)
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        return self

    def _pump_stdout(self):
        while True:
            data = self.process.stdout.read1(4096) if hasattr(
                self.process.stdout, 'read1') else os.read(
                self.process.stdout.fileno(), 4096)
            if self.log:
                self.log.write(data)
                self.log.flush()
            with self.lock:
                if not data:
                    self.closed = True
                    self.lock.notify_all()
                    return
                if self.pty is not None:
                    self._to_pty(data)
                else:
                    self.output += data
                self.lock.notify_all()

    def _pump_stderr(self):
        self.stderr = self.process.stderr.read()

    def write(self, data):
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise EmulatorError('the emulator has stopped: ' +
                                self.stderr.decode('utf-8', 'replace'))

    def read_until(self, marker, timeout):
        """Everything the board wrote up to and including `marker` (bytes);
        EmulatorError after `timeout` seconds without it."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                at = self.output.find(marker)
                if at >= 0:
                    end = at + len(marker)
                    data = bytes(self.output[:end])
                    del self.output[:end]
                    return data
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    why = 'stopped' if self.closed else \
                        'gave no {!r} within {} s'.format(marker, timeout)
                    raise EmulatorError('the emulated board {}; it wrote: '
                                        '{!r}{}'.format(
                                            why, bytes(self.output[-2000:]),
                                            self._stderr_note()))
                self.lock.wait(min(left, 1))

    def _stderr_note(self):
        text = self.stderr.decode('utf-8', 'replace').strip()
        return '; emulator: ' + text if text else ''

    def wait_for_repl(self, timeout=60):
        """Wait until the board shows its REPL prompt (boot done)."""
        self.write(b'\r\n')
        return self.read_until(b'>>> ', timeout)

    # -- a raw-REPL exec, for scripts that drive the board ------------------

    def exec_raw(self, code, timeout=600):
        """Run `code` through the raw REPL; return (stdout, stderr) as
        text. Raises EmulatorError on a timeout."""
        self.write(b'\r\x03\x03')
        time.sleep(0.2)
        with self.lock:
            self.output.clear()
        self.write(b'\x01')
        self.read_until(b'raw REPL; CTRL-B to exit\r\n>', 30)
        if isinstance(code, str):
            code = code.encode()
        self.write(code + b'\x04')
        self.read_until(b'OK', 60)
        out = self.read_until(b'\x04', timeout)[:-1]
        err = self.read_until(b'\x04', 30)[:-1]
        self.read_until(b'>', 30)
        self.write(b'\x02')
        return (out.decode('utf-8', 'replace'),
                err.decode('utf-8', 'replace'))

    # -- a pseudo-terminal for mpremote -------------------------------------

    def serve_pty(self, link):
        """Bridge the board to a new pty whose path is linked at `link`.
        We keep our own handle on the pty's terminal side open: without it
        the pty hangs up when the first client closes it, and the next
        client gets EIO."""
        import tty
        master, slave = os.openpty()
        tty.setraw(slave)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.ttyname(slave), link)
        self.pty = (master, slave, link)
        with self.lock:
            if self.output:
                self._to_pty(bytes(self.output))
                self.output.clear()
        threading.Thread(target=self._pump_pty, daemon=True).start()
        return link

    def _to_pty(self, data):
        try:
            os.write(self.pty[0], data)
        except OSError:
            pass  # nobody reads: a board's output is lost the same way

    def _pump_pty(self):
        master = self.pty[0]
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            try:
                self.write(data)
            except EmulatorError:
                return

    def stop(self):
        """Stop the emulator by its pid (it saves the flash first when
        asked to); idempotent."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.pty:
            master, slave, link = self.pty
            for fd in (master, slave):
                try:
                    os.close(fd)
                except OSError:
                    pass
            if os.path.islink(link):
                os.remove(link)
            self.pty = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def interact(board):
    """The board's console on this terminal until Ctrl-]."""
    import termios
    import tty
    print('emulated Pico: Ctrl-] quits', flush=True)
    board.serve_pty(os.path.join(ROOT, 'build', '.pico-console.tty'))
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    peer = os.open(board.pty[2], os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    try:
        import selectors
        selector = selectors.DefaultSelector()
        selector.register(fd, selectors.EVENT_READ)
        selector.register(peer, selectors.EVENT_READ)
        while board.process.poll() is None:
            for key, _ in selector.select(0.5):
                data = os.read(key.fd, 1024)
                if key.fd == fd:
                    if b'\x1d' in data:
                        return
                    os.write(peer, data)
                else:
                    os.write(sys.stdout.fileno(), data)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        os.close(peer)


CHECK = '''import sys, gc, microdot
print(sys.implementation._machine, '|', microdot.__path__,
      microdot.__version__, '|', gc.mem_free(), 'bytes free')
'''


def check(board):
    """The --check of the release workflow: the image boots to its REPL
    and imports the framework from its frozen modules."""
    board.wait_for_repl(60)
    out, err = board.exec_raw(CHECK, 120)
    print(out.strip() or err.strip(), flush=True)
    if err or '.frozen/microdot' not in out:
        print('pico_emulator: the image did not import the frozen '
              'framework', file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--image', help='a .uf2 (default: the newest '
                        'firmware/dist/RPI_PICO-*.uf2)')
    parser.add_argument('--board', default='RPI_PICO',
                        choices=sorted(FS_OFFSET))
    parser.add_argument('--tty', help='serve the board on a pty linked '
                        'here, for mpremote')
    parser.add_argument('--flash-file', help='load the flash from this file '
                        'and save it back on exit')
    parser.add_argument('--fs-image', help='a littlefs image to put in the '
                        'filesystem area before boot')
    parser.add_argument('--check', action='store_true', help='boot, import '
                        'the frozen framework, print what it found, stop '
                        '(exit status 1 if that fails)')
    args = parser.parse_args(argv)
    image = args.image or latest_image(args.board)
    if not image:
        print('pico_emulator: no firmware/dist/{}-*.uf2: run `make firmware '
              'BOARD={}`'.format(args.board, args.board), file=sys.stderr)
        return 2
    board = EmulatedPico(image, args.board, flash_file=args.flash_file,
                         save_flash=bool(args.flash_file),
                         fs_image=args.fs_image)

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt
    # SIGINT too: a shell starts a background job with SIGINT ignored
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        board.start()
        if args.check:
            return check(board)
        if args.tty:
            os.makedirs(os.path.dirname(os.path.abspath(args.tty)),
                        exist_ok=True)
            board.serve_pty(args.tty)
            print('emulated {} ({}) on {}; Ctrl-C stops it'.format(
                args.board, os.path.basename(image), args.tty), flush=True)
            print('try: mpremote connect {} exec "import sys; '
                  'print(sys.implementation)"'.format(args.tty), flush=True)
            while board.process.poll() is None:
                time.sleep(0.5)
        else:
            interact(board)
    except KeyboardInterrupt:
        pass
    except EmulatorError as exc:
        print('pico_emulator: error: {}'.format(exc), file=sys.stderr)
        return 2
    finally:
        board.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
