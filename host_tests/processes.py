"""Server processes on 127.0.0.1, shared by the pytest fixtures
(conftest.py) and by the attack helpers that tools/soak.py and
tools/fuzz_server.py use outside pytest: so no pytest here."""
import os
import signal
import socket
import subprocess
import sys

HOST = '127.0.0.1'


def find_tool(name):
    """A tool installed next to the running Python (the venv), else on
    PATH; RuntimeError when there is none."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(candidate):
        return candidate
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError('{} not found: run `make venv`'.format(name))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def is_listening(port):
    """True once something listens on 127.0.0.1:port.

    Reads /proc/net/tcp so that waiting for a server never opens a
    connection to it (which the server would see, and maybe log, as a
    client that went away, or count against its connection cap);
    connects instead where /proc is missing.
    """
    wanted = ':{:04X}'.format(port)
    try:
        with open('/proc/net/tcp') as f:
            next(f)
            for line in f:
                fields = line.split()
                # local address 0100007F:PPPP (127.0.0.1) or 00000000:PPPP
                if fields[3] == '0A' and fields[1].endswith(wanted):
                    return True
        return False
    except OSError:
        pass
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return True
    except OSError:
        return False


class ServerProcess:
    """A running app: `url`, `port`, `runtime`, `pid`, `output()`,
    `running()`, `stop()`."""

    def __init__(self, runtime, port, process, log_path):
        self.runtime = runtime
        self.host = HOST
        self.port = port
        self.url = 'http://{}:{}'.format(HOST, port)
        self.process = process
        self.pid = process.pid
        self.log_path = log_path

    def __repr__(self):
        return '<Server {} on {} pid {}>'.format(self.runtime, self.url,
                                                 self.pid)

    def output(self):
        """Everything the process wrote to stdout and stderr so far."""
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def running(self):
        return self.process.poll() is None

    def stop(self):
        """Stop the process by its pid (SIGTERM, then SIGKILL) and wait
        for it; idempotent."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode


def selected_runtimes(known):
    """The runtimes named in MDFW_RUNTIMES (comma-separated), else all of
    ``known``; ValueError for a name not in ``known``."""
    wanted = os.environ.get('MDFW_RUNTIMES')
    if not wanted:
        return known
    chosen = tuple(r.strip() for r in wanted.split(',') if r.strip())
    unknown = set(chosen) - set(known)
    if unknown:
        raise ValueError('MDFW_RUNTIMES: unknown runtime(s) {}'.format(
            ', '.join(sorted(unknown))))
    return chosen
