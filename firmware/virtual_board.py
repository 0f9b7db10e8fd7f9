#!/usr/bin/env python3
"""A virtual board: the MicroPython unix port behind a pseudo-terminal.

The unix port runs on a pty of its own; a relay thread copies bytes between
it and a second pty, whose path (DIR/tty) mpremote opens as it would a
board's USB serial port:

    python3 firmware/virtual_board.py [--micropython BIN] [--dir DIR]
    mpremote connect DIR/tty resume exec "print('hello')"

Use `resume` with every mpremote command: a soft reset (Ctrl-D) ends the
unix port instead of restarting it. The board's filesystem is DIR (the
process's working directory) and DIR/lib is on its module path, as /lib is
on a board. Apps it runs read the environment of this process (e.g.
HTTP_PORT).

Ctrl-C works as on a board: a board stops the running program when Ctrl-C
arrives on its serial line, which is also how mpremote takes a board back
from a program that an earlier `mpremote run` left running. The unix port
only stops on SIGINT, and only while it runs code (at its prompt SIGINT
would end it), so the relay turns a Ctrl-C byte into SIGINT then, and
passes it on as a byte otherwise.

host_tests/test_mpremote.py uses the VirtualBoard class; run as a script
it serves until Ctrl-C (or SIGTERM), then stops the unix port and removes
the folder it made (not one given with --dir).
"""

import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tty

CTRL_C = b'\x03'
# Output kept for a host that does not read (no mpremote connected): past
# this the oldest is dropped, as a board drops what no host reads, and a
# program that prints never blocks on it.
MAX_PENDING = 64 * 1024
MAX_LOG = 1024 * 1024


class VirtualBoardError(Exception):
    pass


def default_micropython():
    local = os.path.join(os.path.dirname(sys.executable), 'micropython')
    return local if os.path.exists(local) else shutil.which('micropython')


class VirtualBoard:
    """`tty` (the pty's path), `root` (its filesystem), start(), stop(),
    log() (what the board wrote), `process` (the unix port)."""

    def __init__(self, root, micropython=None, env=None):
        self.root = os.path.abspath(root)
        self.tty = os.path.join(self.root, 'tty')
        self.micropython = micropython or default_micropython()
        self.env = env or {}
        self.process = None
        self.log_path = os.path.join(self.root, '.board.log')
        self._relay = None

    def start(self, timeout=10):
        if not self.micropython:
            raise VirtualBoardError('micropython (the unix port) not found: '
                                    'run `make venv`')
        os.makedirs(os.path.join(self.root, 'lib'), exist_ok=True)
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault('MICROPYPATH', '.frozen:' + os.path.join(self.root,
                                                                'lib'))
        host_side, host_tty = _raw_pty()
        board_side, board_tty = _raw_pty()
        if os.path.lexists(self.tty):
            os.remove(self.tty)
        os.symlink(os.ttyname(host_tty), self.tty)
        try:
            self.process = subprocess.Popen(
                [self.micropython], cwd=self.root, env=env, stdin=board_tty,
                stdout=board_tty, stderr=board_tty, start_new_session=True,
                preexec_fn=_ignore_sigint)
        except OSError as exc:
            for fd in (host_side, host_tty, board_side, board_tty):
                os.close(fd)
            raise VirtualBoardError('cannot run {}: {}'.format(
                self.micropython, exc))
        finally:
            os.close(board_tty)
        os.set_blocking(host_side, False)
        self._relay = Relay(host_side, host_tty, board_side,
                            self.process.pid, self.log_path)
        self._relay.start()
        deadline = time.monotonic() + timeout
        while b'>>> ' not in self._relay.output_head:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise VirtualBoardError('the unix port did not start: ' +
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
        """The pid of the unix port while it runs (a list, as before)."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid]

    def stop(self):
        """Stop the unix port (by its pid) and the relay; idempotent."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._relay is not None:
            self._relay.stop()
            self._relay = None
        if os.path.islink(self.tty):
            os.remove(self.tty)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _raw_pty():
    """(master, slave) of a new pty, raw as a serial line is."""
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave


def _ignore_sigint():
    # Started with SIGINT ignored, the unix port catches it only while it
    # runs code (it sets its handler then, and the default after), so the
    # relay can tell the two apart; CPython (the .venv's micropython is a
    # CPython extension) leaves an ignored SIGINT alone at start-up.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def catches_sigint(pid):
    """True while process ``pid`` has a handler for SIGINT."""
    try:
        with open('/proc/{}/status'.format(pid)) as f:
            for line in f:
                if line.startswith('SigCgt:'):
                    return bool(int(line.split()[1], 16) &
                                (1 << (signal.SIGINT - 1)))
    except OSError:
        pass
    return False


class Relay(threading.Thread):
    """Copies bytes between the host's pty (mpremote) and the board's (the
    unix port), turning Ctrl-C into SIGINT while the board runs code."""

    def __init__(self, host_side, host_tty, board_side, pid, log_path):
        super().__init__(daemon=True)
        self.host_side = host_side
        # kept open, so that the host side reads no hang-up between two
        # mpremote commands
        self.host_tty = host_tty
        self.board_side = board_side
        self.pid = pid
        self.to_board = bytearray()
        self.to_host = bytearray()
        self.output_head = b''      # the first output: the banner
        self.log = open(log_path, 'wb')
        self.logged = 0
        self.stopping = False

    def run(self):
        try:
            while not self.stopping:
                if not self.step():
                    return
        finally:
            self.log.close()

    def step(self):
        writers = []
        if self.to_board:
            writers.append(self.board_side)
        if self.to_host:
            writers.append(self.host_side)
        readable, writable, _ = select.select(
            [self.host_side, self.board_side], writers, [], 0.2)
        if self.board_side in readable:
            try:
                data = os.read(self.board_side, 4096)
            except OSError:     # EIO: the unix port has ended
                return False
            if not data:
                return False
            self.from_board(data)
        if self.host_side in readable:
            self.from_host(os.read(self.host_side, 4096))
        if self.board_side in writable:
            del self.to_board[:os.write(self.board_side, self.to_board)]
        if self.host_side in writable:
            try:
                del self.to_host[:os.write(self.host_side, self.to_host)]
            except BlockingIOError:
                pass
        return True

    def from_board(self, data):
        if len(self.output_head) < 4096:
            self.output_head += data
        if self.logged < MAX_LOG:
            self.log.write(data)
            self.log.flush()
            self.logged += len(data)
        self.to_host += data
        if len(self.to_host) > MAX_PENDING:
            del self.to_host[:len(self.to_host) - MAX_PENDING]

    def from_host(self, data):
        # (there is a moment between the check and the signal in which the
        # code could end: SIGINT would then end the unix port; it takes
        # microseconds, against the seconds a Ctrl-C is apart)
        if CTRL_C in data and catches_sigint(self.pid):
            os.kill(self.pid, signal.SIGINT)
        self.to_board += data

    def stop(self):
        self.stopping = True
        self.join(timeout=5)
        for fd in (self.host_side, self.host_tty, self.board_side):
            try:
                os.close(fd)
            except OSError:
                pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--micropython', default=default_micropython())
    parser.add_argument('--dir', help='its filesystem (default: a new '
                                      'temporary folder, removed at the end)')
    args = parser.parse_args(argv)
    root = args.dir or tempfile.mkdtemp(prefix='virtual-board-')
    board = VirtualBoard(root, args.micropython)

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        board.start()
        print('virtual board on {} (filesystem {}); Ctrl-C stops it'.format(
            board.tty, board.root))
        print('try: mpremote connect {} resume exec "import sys; '
              'print(sys.implementation)"'.format(board.tty), flush=True)
        while board.process.poll() is None:
            time.sleep(0.5)
        print('virtual_board: the unix port ended (a soft reset, without '
              '`resume`, ends it)', file=sys.stderr)
        return 1
    except VirtualBoardError as exc:
        print('virtual_board: error: {}'.format(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        board.stop()
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
