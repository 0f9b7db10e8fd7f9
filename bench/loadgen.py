"""A small HTTP load generator: C concurrent clients on one selectors loop.

    loadgen.py PORT PATH [--method POST] [--body-size N | --form] \
        [--concurrency C] [--requests N | --duration S] [--keep-alive] \
        [--browser]

Without ``--keep-alive`` every request opens a new connection, sends
``Connection: close`` and counts as done when the server has answered and
closed it (so the server's whole per-connection work is inside the count).
With it, a connection is reused for as long as the server keeps it open.
Kept deliberately light: one thread, non-blocking sockets, no parsing beyond
the status line and Content-Length. Prints one JSON object.

A request carries Host (and ``Connection: close`` without keep-alive) and
what its body needs; ``--browser`` adds the fields of BROWSER_FIELDS, the
head a browser sends when it opens a page.
"""
import argparse
import errno
import json
import os
import selectors
import socket
import time

HOST = '127.0.0.1'
FORM_BODY = b'name=Ada+Lovelace&lang=en&n=42'

# The header fields after Host of a page opened from the address bar of
# Chrome 131 on Linux, in the order and spelling it sends them, with a
# cookie as an app with a login session would have set (a signed session
# and a plain `name`). With the request line and Host the head is about
# 770 bytes in 16 fields, where wrk sends one. The one definition of the
# "browser" case of bench/run.py, for wrk (through its Lua script) and for
# this load generator (--browser).
BROWSER_FIELDS = (
    ('Connection', 'keep-alive'),
    ('Cache-Control', 'max-age=0'),
    ('sec-ch-ua', '"Google Chrome";v="131", "Chromium";v="131", '
                  '"Not_A Brand";v="24"'),
    ('sec-ch-ua-mobile', '?0'),
    ('sec-ch-ua-platform', '"Linux"'),
    ('Upgrade-Insecure-Requests', '1'),
    ('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 '
                   '(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'),
    ('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,'
               'image/avif,image/webp,image/apng,*/*;q=0.8,'
               'application/signed-exchange;v=b3;q=0.7'),
    ('Sec-Fetch-Site', 'none'),
    ('Sec-Fetch-Mode', 'navigate'),
    ('Sec-Fetch-User', '?1'),
    ('Sec-Fetch-Dest', 'document'),
    ('Accept-Encoding', 'gzip, deflate, br, zstd'),
    ('Accept-Language', 'en-GB,en-US;q=0.9,en;q=0.8'),
    ('Cookie', 'session=eyJ1c2VyIjoiYWRhIn0.Z0XhwA.q8Jd2Lk0bXv7RcN4tWs9pYe3uF;'
               ' name=ada'),
)


def build_request(port, path, method='GET', body=b'', content_type=None,
                  keep_alive=False, fields=()):
    """The request's bytes. `fields`, (name, value) pairs, come after Host
    in their order; a Connection field among them is sent as `close`
    without keep-alive, in its place."""
    lines = ['{} {} HTTP/1.1'.format(method, path),
             'Host: {}:{}'.format(HOST, port)]
    connection = False
    for name, value in fields:
        if name.lower() == 'connection':
            connection = True
            if not keep_alive:
                value = 'close'
        lines.append('{}: {}'.format(name, value))
    if not keep_alive and not connection:
        lines.insert(2, 'Connection: close')
    if body or method == 'POST':
        lines.append('Content-Type: ' + (content_type or
                                         'application/octet-stream'))
        lines.append('Content-Length: {}'.format(len(body)))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


class _Client:
    __slots__ = ('sock', 'out', 'sent', 'buffer', 'started', 'length',
                 'head_end', 'status', 'reused')

    def __init__(self):
        self.sock = None


def run(port, request, concurrency=1, requests=None, duration=None,
        keep_alive=False, timeout=10.0, expect=(200,), max_errors=None,
        give_up=None):
    """Drive the server; returns a dict of counts and timings. With
    `max_errors`, no request is started once that many have failed (a
    server that stopped answering then costs one `timeout`, not one per
    request). `give_up`, a function called about every 0.1 s, ends the
    run at once when it returns true, requests in flight counted as
    failed (a server known to have failed need not be waited for)."""
    if requests is None and duration is None:
        raise ValueError('give requests or duration')
    sel = selectors.DefaultSelector()
    done = errors = started = connects = 0
    statuses = {}
    latencies = []
    clients = [_Client() for _ in range(concurrency)]
    cpu0 = os.times()
    t0 = time.perf_counter()
    deadline = t0 + duration if duration is not None else None

    def want_more():
        if requests is not None and started >= requests:
            return False
        if deadline is not None and time.perf_counter() >= deadline:
            return False
        return max_errors is None or errors < max_errors

    def connect(client):
        nonlocal connects
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex((HOST, port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            raise OSError(code, os.strerror(code))
        client.sock = sock
        connects += 1
        sel.register(sock, selectors.EVENT_WRITE, client)

    def start(client):
        nonlocal started
        started += 1
        client.out = request
        client.sent = 0
        client.buffer = b''
        client.length = None
        client.head_end = -1
        client.status = None
        client.started = time.perf_counter()
        client.reused = client.sock is not None
        if client.sock is None:
            connect(client)
        else:
            sel.modify(client.sock, selectors.EVENT_WRITE, client)

    def retry_or_fail(client):
        # a kept-alive connection the server had already closed: send the
        # request again on a new one, without counting a failure
        if client.reused and not client.buffer:
            drop(client)
            client.reused = False
            client.sent = 0
            connect(client)
        else:
            finish(client, False)

    def drop(client):
        if client.sock is not None:
            try:
                sel.unregister(client.sock)
            except (KeyError, ValueError):
                pass
            client.sock.close()
            client.sock = None

    def finish(client, ok):
        nonlocal done, errors
        if ok and client.status in expect:
            done += 1
            latencies.append(time.perf_counter() - client.started)
        else:
            errors += 1
        if client.status is not None:
            statuses[client.status] = statuses.get(client.status, 0) + 1
        if not keep_alive or not ok:
            drop(client)
        if want_more():
            start(client)
        elif client.sock is not None:
            drop(client)

    def parse_head(client):
        end = client.buffer.find(b'\r\n\r\n')
        if end < 0:
            return
        client.head_end = end + 4
        head = client.buffer[:end]
        try:
            client.status = int(head[9:12])
        except ValueError:
            client.status = -1
        lower = head.lower()
        at = lower.find(b'\r\ncontent-length:')
        if at >= 0:
            stop = lower.find(b'\r\n', at + 2)
            client.length = int(lower[at + 17:stop if stop > 0 else None])

    for client in clients:
        if want_more():
            start(client)
    active = True
    checked = t0
    while active:
        events = sel.select(0.1 if give_up else 0.5)
        now = time.perf_counter()
        if give_up is not None and now - checked >= 0.1:
            checked = now
            if give_up():
                for client in clients:
                    if client.sock is not None:
                        drop(client)
                        errors += 1
                break
        for key, mask in events:
            client = key.data
            sock = client.sock
            if sock is None:
                continue
            if mask & selectors.EVENT_WRITE:
                try:
                    n = sock.send(client.out[client.sent:client.sent + 65536])
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    retry_or_fail(client)
                    continue
                client.sent += n
                if client.sent >= len(client.out):
                    sel.modify(sock, selectors.EVENT_READ, client)
                continue
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                retry_or_fail(client)
                continue
            if not data:
                # closed by the server: a complete answer when it framed
                # none or we asked it to close
                if client.status is None:
                    retry_or_fail(client)
                    continue
                body = len(client.buffer) - client.head_end
                finish(client, client.length is None or
                       body >= client.length)
                continue
            client.buffer += data
            if client.head_end < 0:
                parse_head(client)
            if keep_alive and client.head_end >= 0 and \
                    client.length is not None and \
                    len(client.buffer) - client.head_end >= client.length:
                finish(client, True)
        for client in clients:
            if client.sock is not None and now - client.started > timeout:
                drop(client)
                finish(client, False)
        active = any(client.sock is not None for client in clients)
    elapsed = time.perf_counter() - t0
    cpu1 = os.times()
    latencies.sort()

    def pct(p):
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]
    return {
        'requests': done, 'errors': errors, 'elapsed': elapsed,
        'rps': done / elapsed if elapsed else 0.0,
        'connects': connects, 'statuses': statuses,
        'p50_ms': pct(0.5) * 1000 if latencies else None,
        'p99_ms': pct(0.99) * 1000 if latencies else None,
        'max_ms': latencies[-1] * 1000 if latencies else None,
        'client_cpu': (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('port', type=int)
    parser.add_argument('path')
    parser.add_argument('--method', default='GET')
    parser.add_argument('--body-size', type=int, default=0)
    parser.add_argument('--form', action='store_true')
    parser.add_argument('--concurrency', '-c', type=int, default=1)
    parser.add_argument('--requests', '-n', type=int)
    parser.add_argument('--duration', '-d', type=float)
    parser.add_argument('--keep-alive', action='store_true')
    parser.add_argument('--expect', default='200')
    parser.add_argument('--browser', action='store_true',
                        help='send the header fields of BROWSER_FIELDS')
    args = parser.parse_args(argv)
    if args.form:
        body, ctype = FORM_BODY, 'application/x-www-form-urlencoded'
    else:
        body, ctype = b'x' * args.body_size, None
    request = build_request(args.port, args.path, args.method, body, ctype,
                            args.keep_alive,
                            BROWSER_FIELDS if args.browser else ())
    result = run(args.port, request, args.concurrency, args.requests,
                 args.duration, args.keep_alive,
                 expect=tuple(int(s) for s in args.expect.split(',')))
    print(json.dumps(result))


if __name__ == '__main__':
    main()
