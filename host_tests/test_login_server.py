"""User logins over real sockets: examples/login/login.py served by each
runtime, with httpx as the browser.

A remember-me cookie outlives the server process: one minted by a server
logs the user in on a new server process with the same key (a reboot of
the board), and not on one with another key.

MicroPython needs micropython-lib's jwt for sessions; where the unix port
cannot import it, its runs are skipped with the command that installs it.
The unix port with the bundle frozen in (host_tests/frozen_firmware.py)
has it frozen too: the login flow also runs there, in a 64 KiB heap, on
the 32-bit build of tools/unix32.py (a board is 32-bit) when MPY_DIR names
a MicroPython checkout or that build is up to date, else on the 64-bit one
of firmware/dist; skipped, saying why, when neither holds the current
modules.
"""
import os
import subprocess

import httpx
import pytest

from conftest import runtime_command
from frozen_firmware import board_firmware, start_frozen

APP = 'examples/login/login.py'
KEY = 'host-tests-login-key-0123456789abcdef'


def has_jwt(runtime, request):
    if runtime == 'cpython':
        return True
    mpy_paths = request.getfixturevalue('mpy_path') \
        if runtime == 'micropython-mpy' else ()
    argv, env = runtime_command(runtime, '-c', mpy_paths)
    result = subprocess.run(argv + ['import jwt'], capture_output=True,
                            env=dict(os.environ, **env), timeout=30,
                            stdin=subprocess.DEVNULL)
    return result.returncode == 0


def serve(start_server, runtime, request, key=KEY):
    if not has_jwt(runtime, request):
        pytest.skip('microdot.login needs micropython-lib\'s jwt on the '
                    'unix port: `micropython -m mip install pyjwt`; not '
                    'installed here')
    return start_server(APP, runtime, env={'SECRET_KEY': key})


def log_in(client, remember=False):
    data = {'username': 'susan', 'password': 'cat'}
    if remember:
        data['remember'] = 'on'
    return client.post('/login', data=data)


def test_login_flow(start_server, runtime, request):
    check_login_flow(serve(start_server, runtime, request))


def test_login_flow_on_the_frozen_firmware_in_a_64k_heap(start_server,
                                                         mpy_path):
    check_login_flow(start_frozen(start_server, mpy_path, APP, heap='64K',
                                  env={'SECRET_KEY': KEY},
                                  executable=board_firmware(mpy_path)))


def check_login_flow(server):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        res = client.get('/settings')
        assert res.headers['location'] == '/login?next=/settings'
        res = client.post('/login?next=/settings', data={
            'username': 'susan', 'password': 'wrong'})
        assert 'Wrong user name or password.' in res.text
        res = client.post('/login?next=/settings', data={
            'username': 'susan', 'password': 'cat'})
        assert res.headers['location'] == '/settings'
        assert 'Settings of susan' in client.get('/settings').text
        assert client.post('/logout').status_code == 302
        assert client.get('/').status_code == 302
    output = server.output()
    assert 'Traceback' not in output, output


def test_remember_me_survives_a_restart(start_server, runtime, request):
    first = serve(start_server, runtime, request)
    with httpx.Client(base_url=first.url, timeout=10) as client:
        assert log_in(client, remember=True).status_code == 302
        remember = client.cookies['_remember']
    first.stop()

    second = serve(start_server, runtime, request)
    with httpx.Client(base_url=second.url, timeout=10,
                      cookies={'_remember': remember}) as client:
        assert 'Hello, susan!' in client.get('/').text
        assert client.get('/settings').status_code == 302   # not fresh

    other_key = serve(start_server, runtime, request, key=KEY + '-other')
    with httpx.Client(base_url=other_key.url, timeout=10,
                      cookies={'_remember': remember}) as client:
        assert client.get('/').status_code == 302
