#!/usr/bin/env python3
"""Socket-level fuzzing of the built-in server: mutated requests over real
connections to 127.0.0.1 only, bounded in count and in time.

    python tools/fuzz_server.py [--cases 20000] [--seconds 600]
                                [--runtime micropython-mpy] [--seed N]
                                [--workers 8]

Serves host_tests/apps/hostile_app.py (HEADER_TIMEOUT, IO_TIMEOUT and
IDLE_TIMEOUT of 1 s) and sends requests made by mutating the hostile
corpus (host_tests/corpus/requests.json) and a set of valid requests:
bytes flipped, inserted, deleted, repeated or truncated, framing tokens
and numbers spliced in, requests glued together, sent whole or in pieces.
Most cases half-close their side once sent; some wait for the server's
timeouts instead. For every case, whatever the server sends must parse as
well-formed HTTP/1.1 responses, and it must close the connection within a
bound; every --check-every cases a normal request must be served. At the
end no connection may be left open, no file descriptor leaked, and the
server must not have printed a traceback or a MemoryError. Exit status 1
on any failure, with the failing cases written to --failures (JSON: the
problem, and the bytes sent as a latin-1 string) for replay.
"""
import argparse
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'host_tests'))

from attack import (NoResponse, ResponseReader, compile_mpy,  # noqa: E402
                    connect, get, settle, spawn)

TIMEOUTS = {'HEADER_TIMEOUT': '1', 'IO_TIMEOUT': '1', 'IDLE_TIMEOUT': '1'}
FAST_BOUND = 3.0    # seconds to close after the client half-closes
SLOW_BOUND = 5.0    # when the client waits for the server's timeouts
HARD_BOUND = 30.0   # for a whole case, however long its answers

VALID = [
    b'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /query?a=1&b=%C3%A9&a=2 HTTP/1.1\r\nHost: x\r\n\r\n',
    b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
    b'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'5\r\nhello\r\n6;e=1\r\n world\r\n0\r\nT: 1\r\n\r\n',
    b'POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: '
    b'application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\na=1&b=%20',
    b'POST /json HTTP/1.1\r\nContent-Type: application/json\r\n'
    b'Content-Length: 8\r\n\r\n{"a": 1}',
    b'GET /cookies HTTP/1.1\r\nCookie: a=1; b="2"\r\n\r\n',
    b'GET /users/12 HTTP/1.0\r\n\r\n',
    b'GET /stream?n=3 HTTP/1.1\r\nHost: x\r\n\r\n',
    b'HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n',
    b'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
    b'POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n'
    b'\r\nok',
    b'GET /redirect?to=/a HTTP/1.1\r\nConnection: close\r\n\r\n',
]
TOKENS = [b'\r\n', b'\n', b'\r', b'\r\n\r\n', b' ', b'  ', b'\t', b':',
          b'\x00', b'%', b'%0', b'%zz', b'%c0%ae', b'\xff', b'\xc0\xaf',
          b'/', b'/..', b'?', b'&', b'=', b';', b'"', b',', b'HTTP/1.1',
          b'HTTP/9.9', b'Content-Length: ', b'Transfer-Encoding: chunked',
          b'Expect: 100-continue', b'Connection: close', b'0\r\n\r\n',
          b'-1', b'99999999999999999999', b'ffffffff', b'18446744073709551616',
          b'\x7f', b'\xed\xa0\x80', b'GET / HTTP/1.1\r\n\r\n']


def load_corpus():
    path = os.path.join(ROOT, 'host_tests', 'corpus', 'requests.json')
    with open(path) as f:
        cases = json.load(f)
    seeds = []
    for case in cases:
        data = _to_bytes(case['send'])
        if data and len(data) < 30000:
            seeds.append(data)
    return seeds


def _to_bytes(parts):
    out = bytearray()
    for part in parts:
        if isinstance(part, str):
            out += bytes(ord(char) for char in part)
        else:
            out += _to_bytes(part['repeat']) * part['times']
    return bytes(out)


def mutate(rng, data, seeds):
    """One to four random edits of ``data``."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(9)
        position = rng.randint(0, len(data))
        if choice == 0 and data:          # flip a byte
            data[min(position, len(data) - 1)] = rng.randrange(256)
        elif choice == 1:                 # insert a framing token
            data[position:position] = rng.choice(TOKENS)
        elif choice == 2 and data:        # delete a range
            data[position:position + rng.randint(1, 16)] = b''
        elif choice == 3 and data:        # repeat a range
            end = min(len(data), position + rng.randint(1, 32))
            data[position:position] = data[position:end] * rng.randint(1, 50)
        elif choice == 4:                 # truncate
            data = data[:position]
        elif choice == 5:                 # glue another request on
            data += rng.choice(seeds)
        elif choice == 6:                 # a number where a number is
            digits = [i for i, b in enumerate(data) if 48 <= b <= 57]
            if digits:
                i = rng.choice(digits)
                data[i:i + 1] = rng.choice(TOKENS[-6:-1])
        elif choice == 7 and data:        # case changes
            i = min(position, len(data) - 1)
            data[i:i + 8] = bytes(data[i:i + 8]).swapcase()
        else:                             # random bytes
            data[position:position] = bytes(
                rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(data[:40000])


def make_case(rng, seeds):
    """(bytes, pieces, half_close)."""
    data = mutate(rng, rng.choice(seeds), seeds)
    pieces = 1 if rng.random() < 0.7 else rng.randint(2, 6)
    return data, pieces, rng.random() < 0.9


def _bodiless_next(reader, bound):
    """True if the next response's head is followed by another status
    line rather than by a body (peeks; reads no more than needed)."""
    deadline = time.monotonic() + bound
    while b'\r\n\r\n' not in reader.buffer:
        try:
            reader._more(deadline)
        except NoResponse:
            return False
    rest = reader.buffer.partition(b'\r\n\r\n')[2]
    while len(rest) < 9:
        try:
            reader._more(deadline)
        except NoResponse:
            return not rest
        rest = reader.buffer.partition(b'\r\n\r\n')[2]
    return rest.startswith(b'HTTP/1.')


def run_case(port, data, pieces, half_close, statuses=None):
    """None, or what went wrong; the statuses received are added to the
    dict ``statuses``."""
    sock = connect(port, timeout=5)
    started = time.monotonic()
    try:
        try:
            if pieces == 1:
                sock.sendall(data)
            else:
                step = len(data) // pieces + 1
                for i in range(0, len(data), step):
                    sock.sendall(data[i:i + step])
                    time.sleep(0.01)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass   # the server answered and closed before all was sent
        bound = FAST_BOUND if half_close else SLOW_BOUND
        reader = ResponseReader(sock)
        # a response to HEAD has no body; mutated requests may hold HEAD
        # anywhere, so a response followed at once by a status line is
        # taken for one
        lenient = b'HEAD' in data
        while True:
            if time.monotonic() - started > HARD_BOUND:
                return 'still answering after {} s'.format(HARD_BOUND)
            try:
                status, headers, body = reader.read(
                    bound, head_only=lenient and _bodiless_next(reader,
                                                                bound))
            except NoResponse:
                if reader.closed and not reader.buffer:
                    return None
                if reader.closed:
                    return 'closed mid-response: {!r}'.format(
                        reader.buffer[:100])
                return 'not closed within {} s'.format(bound)
            except (AssertionError, ValueError, IndexError) as exc:
                return 'malformed response: {!r} {!r}'.format(
                    exc, reader.buffer[:100])
            if not 100 <= status <= 599:
                return 'status {}'.format(status)
            if statuses is not None:
                statuses[status] = statuses.get(status, 0) + 1
    finally:
        sock.close()


class Fuzz:
    def __init__(self, port, cases, seconds, seed, workers, check_every,
                 output=None):
        self.port = port
        self.cases = cases
        self.seconds = seconds
        self.seed = seed
        self.workers = workers
        self.check_every = check_every
        self.output = output or (lambda: '')
        self.seeds = load_corpus() + VALID
        self.failures = []
        self.done = 0
        self.statuses = {}
        self.lock = threading.Lock()

    def _worker(self, index, deadline):
        rng = random.Random(self.seed * 1000 + index)
        while time.monotonic() < deadline:
            with self.lock:
                if self.done >= self.cases or len(self.failures) > 20:
                    return
                self.done += 1
                number = self.done
            data, pieces, half_close = make_case(rng, self.seeds)
            try:
                problem = run_case(self.port, data, pieces, half_close,
                                   self.statuses)
            except OSError as exc:
                problem = 'connection failed: {!r}'.format(exc)
            if problem is None and number % self.check_every == 0:
                problem = self._check()
            if problem:
                with self.lock:
                    self.failures.append((problem, data, pieces,
                                          half_close))

    def _check(self):
        try:
            status, _, body = get(self.port, '/')
        except Exception as exc:
            return 'a normal request then failed: {!r}'.format(exc)
        if (status, body) != (200, b'Hello, world!'):
            return 'a normal request then got {} {!r}'.format(status, body)
        if 'Traceback' in self.output():
            return 'the server printed a traceback'
        return None

    def run(self):
        started = time.monotonic()
        self.before = settle(self.port, timeout=0)
        deadline = started + self.seconds
        threads = [threading.Thread(target=self._worker, args=(i, deadline))
                   for i in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.elapsed = time.monotonic() - started
        self.after = settle(self.port, timeout=SLOW_BOUND + 2,
                            connections=0, fds=self.before['fds'])
        return self

    def problems(self):
        found = ['{} (case {!r})'.format(problem, data[:200])
                 for problem, data, _, _ in self.failures]
        if self.after['connections'] != 0:
            found.append('{} connections left open'.format(
                self.after['connections']))
        if self.after['fds'] != self.before['fds']:
            found.append('file descriptors: {} before, {} after'.format(
                self.before['fds'], self.after['fds']))
        output = self.output()
        for word in ('Traceback', 'MemoryError'):
            if word in output:
                found.append('the server printed a ' + word)
        return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cases', type=int, default=20000)
    parser.add_argument('--seconds', type=float, default=600)
    parser.add_argument('--runtime', default='micropython-mpy',
                        choices=('micropython', 'micropython-mpy',
                                 'cpython'))
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--workers', type=int, default=8)
    parser.add_argument('--check-every', type=int, default=200)
    parser.add_argument('--failures', default='build/fuzz-failures.json')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='mdfw-fuzz-')
    mpy_paths = compile_mpy(os.path.join(workdir, 'mpy')) \
        if args.runtime == 'micropython-mpy' else ()
    server = spawn(args.runtime, os.path.join(workdir, 'server.log'),
                   TIMEOUTS, mpy_paths)
    print('fuzz: up to {} cases in {} s against {} (pid {}), seed {}'.format(
        args.cases, args.seconds, args.runtime, server.pid, args.seed))
    try:
        fuzz = Fuzz(server.port, args.cases, args.seconds, args.seed,
                    args.workers, args.check_every, server.output).run()
        found = fuzz.problems()
    finally:
        server.stop()
    print('fuzz: {} cases in {:.0f} s ({:.0f}/s); statuses: {}'.format(
        fuzz.done, fuzz.elapsed, fuzz.done / fuzz.elapsed,
        ', '.join('{} x{}'.format(k, v)
                  for k, v in sorted(fuzz.statuses.items()))))
    if found:
        print('fuzz: FAILED:\n  ' + '\n  '.join(found[:20]))
        os.makedirs(os.path.dirname(args.failures) or '.', exist_ok=True)
        with open(args.failures, 'w') as f:
            json.dump([{'problem': problem, 'data': data.decode('latin-1'),
                        'pieces': pieces, 'half_close': half_close}
                       for problem, data, pieces, half_close in
                       fuzz.failures], f, indent=1)
        print('failing cases written to ' + args.failures)
        print(server.output()[-3000:])
        return 1
    print('fuzz: passed')
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
