#!/usr/bin/env python3
"""A virtual board: the MicroPython unix port behind a pseudo-terminal.

socat runs `micropython` (its REPL) on a pty and links the pty to a path, so
mpremote talks to it as it would to a board's USB serial port:

    python3 firmware/virtual_board.py [--micropython BIN] [--dir DIR]
    mpremote connect DIR/tty resume exec "print('hello')"

Use `resume` with every mpremote command: a soft reset (Ctrl-D) ends the
unix port instead of restarting it. The board's filesystem is DIR (the
process's working directory) and DIR/lib is on its module path, as /lib is
on a board. Apps it runs read the environment of this process (e.g. HTTP_PORT).
host_tests/test_mpremote.py uses the VirtualBoard class; run as a script it
serves until Ctrl-C.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class VirtualBoardError(Exception):
    pass


def default_micropython():
    local = os.path.join(os.path.dirname(sys.executable), 'micropython')
    return local if os.path.exists(local) else shutil.which('micropython')


class VirtualBoard:
    """`tty` (the pty's path), `root` (its filesystem), start(), stop()."""

    def __init__(self, root, micropython=None, env=None):
        self.root = os.path.abspath(root)
        self.tty = os.path.join(self.root, 'tty')
        self.micropython = micropython or default_micropython()
        self.env = env or {}
        self.process = None
        self.log_path = os.path.join(self.root, '.socat.log')

    def start(self, timeout=10):
        if shutil.which('socat') is None:
            raise VirtualBoardError('socat not found: install it (Debian: '
                                    'apt-get install socat, or make '
                                    'firmware-tools)')
        if not self.micropython:
            raise VirtualBoardError('micropython (the unix port) not found: '
                                    'run `make venv`')
        os.makedirs(os.path.join(self.root, 'lib'), exist_ok=True)
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault('MICROPYPATH', '.frozen:' + os.path.join(self.root,
                                                                'lib'))
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                ['socat', 'PTY,link={},raw,echo=0'.format(self.tty),
                 'EXEC:{},pty,raw,echo=0'.format(self.micropython)],
                cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not (os.path.exists(self.tty) and self.child_pids()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise VirtualBoardError('socat did not start the board: ' +
                                        self.log())
            time.sleep(0.05)
        return self

    def log(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def child_pids(self):
        """Pids of socat's children (the micropython process)."""
        if self.process is None:
            return []
        path = '/proc/{0}/task/{0}/children'.format(self.process.pid)
        try:
            with open(path) as f:
                return [int(pid) for pid in f.read().split()]
        except OSError:
            return []

    def stop(self):
        """Stop micropython, then socat, by their pids; idempotent."""
        if self.process is None:
            return
        for pid in self.child_pids():
            _terminate(pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _terminate(pid):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--micropython', default=default_micropython())
    parser.add_argument('--dir', help='its filesystem (default: a new '
                                      'temporary folder)')
    args = parser.parse_args(argv)
    root = args.dir or tempfile.mkdtemp(prefix='virtual-board-')
    board = VirtualBoard(root, args.micropython)
    try:
        board.start()
    except VirtualBoardError as exc:
        print('virtual_board: error: {}'.format(exc), file=sys.stderr)
        return 2
    print('virtual board on {} (filesystem {}); Ctrl-C stops it'.format(
        board.tty, board.root))
    print('try: mpremote connect {} resume exec "import sys; '
          'print(sys.implementation)"'.format(board.tty), flush=True)

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        while board.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        board.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
