"""Header injection over real sockets, on every runtime: client input with
CR/LF that a handler puts in a header value, a redirect location or a
cookie is refused (a 500: the app's mistake, logged) and never written."""
import pytest

from attack import (ResponseReader, assert_serves, connect,
                    selected_runtimes, start_for)

INJECTIONS = ['a%0D%0AX-Injected:%201', 'a%0AX-Injected:%201',
              'a%0DX-Injected:%201', '%0D%0A%0D%0A<script>1</script>',
              'a%E2%80%A8b%0d%0aX-Injected:1']


@pytest.fixture(scope='module', params=selected_runtimes())
def server(request):
    server = start_for(request, request.param)
    yield server
    server.stop()


@pytest.mark.parametrize('route', ['/header?v=', '/redirect?to=',
                                   '/set-cookie?v='])
def test_crlf_from_the_client_is_never_written(server, route):
    for payload in INJECTIONS:
        sock = connect(server.port)
        sock.sendall('GET {}{} HTTP/1.1\r\nHost: x\r\n\r\n'.format(
            route, payload).encode())
        reader = ResponseReader(sock)
        status, headers, body = reader.read()
        assert status == 500, (route, payload)
        assert 'x-injected' not in headers
        assert b'X-Injected' not in reader.buffer + body
        if headers.get('connection') == 'close':
            # refused while the head was written: nothing of it was sent
            assert reader.wait_closed()
        else:
            # refused in the handler: a normal 500, the connection goes on
            sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
            assert reader.read()[2] == b'Hello, world!'
        sock.close()
    assert_serves(server.port)
    # the app is told about its mistake
    assert 'CR or LF' in server.output() or \
        'Invalid character' in server.output()


def test_the_same_routes_serve_clean_values(server):
    for route, header in (('/header?v=plain', 'x-reflected'),
                          ('/redirect?to=/next', 'location'),
                          ('/set-cookie?v=1', 'set-cookie')):
        sock = connect(server.port)
        sock.sendall('GET {} HTTP/1.1\r\nHost: x\r\n\r\n'.format(
            route).encode())
        status, headers, _ = ResponseReader(sock).read()
        assert status in (200, 302) and header in headers, route
        sock.close()
