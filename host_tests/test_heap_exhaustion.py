"""With the heap full, connections that arrive are dropped, and the server
answers again once memory is back (MicroPython: its heap is fixed).

What may happen to a connection that arrives while no memory is left: an
answer once memory is back, a close, or (rarely) nothing at all, when the
port's own accept() runs out of memory after taking the connection from the
kernel: MicroPython then loses that socket, which no Python code can close.
Once the server has met a MemoryError it probes memory before it accepts
(for the next 32 connections), so only the first connections of such an
episode can be lost that way. What must never happen: the server crashing,
or no longer answering (asyncio's start_server ends its accept loop for
good on a MemoryError, and a half-made poller entry crashes the port).
"""
import os
import socket
import time

import pytest

APP = 'host_tests/apps/heap_fill_app.py'


@pytest.fixture(params=['micropython', 'micropython-mpy'])
def mp_runtime(request):
    return request.param


def send(port, path, timeout=10):
    sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    sock.sendall('GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
                 '\r\n'.format(path).encode())
    return sock


def answer(sock):
    """What the server sends until it closes ('' if it drops us)."""
    data = b''
    try:
        while True:
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return data.decode('latin-1')


def outcome(sock):
    try:
        reply = answer(sock)
    except socket.timeout:
        return 'lost'
    if reply == '':
        return 'dropped'
    assert reply.endswith('\r\n\r\nok'), reply
    return 'answered'


def open_sockets(pid):
    """How many sockets the process holds (Linux's /proc)."""
    fd_dir = '/proc/{}/fd'.format(pid)
    count = 0
    for fd in os.listdir(fd_dir):
        try:
            count += os.readlink(os.path.join(fd_dir, fd)).startswith(
                'socket:')
        except OSError:     # closed meanwhile
            pass
    return count


def test_server_serves_again_after_connections_found_no_memory(
        start_server, mp_runtime):
    server = start_server(APP, mp_runtime,
                          interpreter_args=('-X', 'heapsize=256K'))
    assert answer(send(server.port, '/')).endswith('\r\n\r\nok')
    sockets_before = open_sockets(server.pid)
    # how much is left decides where the allocations fail: accepting,
    # registering with the poller, setting up the connection, reading,
    # parsing, answering
    rounds = []
    for spare in (0, 64, 128, 256, 512, 1024):
        filler = send(server.port, '/fill/1200/{}'.format(spare))
        time.sleep(0.5)             # the heap is full from here on
        starved = [send(server.port, '/', timeout=3) for _ in range(6)]
        assert answer(filler).endswith('\r\n\r\nfilled'), server.output()
        outcomes = {'answered': 0, 'dropped': 0, 'lost': 0}
        for sock in starved:
            outcomes[outcome(sock)] += 1
        rounds.append(outcomes)
        for _ in range(5):
            reply = answer(send(server.port, '/'))
            assert reply.startswith('HTTP/1.1 200 OK'), server.output()
    assert server.running()
    print('connections that arrived with the heap full, by round:', rounds)
    # once the server has met a MemoryError it accepts with care (for 32
    # connections): the port's accept() may lose a socket only before that,
    # at the start of a round; the others are answered or closed (a socket
    # our code failed to close when memory ran out would count as lost)
    for outcomes in rounds:
        assert outcomes['lost'] <= 2, rounds
    lost = sum(outcomes['lost'] for outcomes in rounds)
    assert lost <= 3, rounds
    # and a lost connection stays open only if accept() lost it; one that
    # was just late has been closed by now
    leaked = open_sockets(server.pid) - sockets_before
    assert leaked <= lost, (leaked, rounds, server.output())
