"""Sessions over real sockets, and session tokens across runtimes.

- The sessions example of the docs (host_tests/apps/session_app.py) served
  by each runtime: httpx keeps the cookie one response sets and sends it
  with the next requests; a tampered cookie gives an empty session.
- A cookie set by a CPython server is read by a MicroPython server with the
  same key, and the other way round.
- Without any jwt module: tokens made by PyJWT are verified by
  microdot.hs256 under the unix port, and tokens signed there are accepted
  by PyJWT.

MicroPython needs micropython-lib's jwt for microdot.session: `make deps`
installs it (see the Makefile); where the unix port still cannot import it,
the tests that serve sessions from it are skipped with the command that
installs it.
"""
import json
import os
import shutil
import subprocess
import sys

import httpx
import jwt
import pytest

from conftest import DEPS, MODULES, MPY_LIB_PATHS, ROOT
APP = 'host_tests/apps/session_app.py'
DOCS_KEY = 'top-secret'
FORM = {'Content-Type': 'application/x-www-form-urlencoded'}
LAUNCHER = '''\
import os
app = __import__(os.getenv('EXAMPLE')).app
app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''


def micropython():
    candidate = os.path.join(os.path.dirname(sys.executable), 'micropython')
    return candidate if os.path.exists(candidate) else 'micropython'


def micropython_path(runtime, mpy_path):
    first = list(mpy_path) if runtime == 'micropython-mpy' \
        else [MODULES, DEPS]
    return ':'.join(first + MPY_LIB_PATHS + ['.frozen'])


def run_micropython(code, runtime, mpy_path, tmp_path, args=()):
    """Run `code` on the unix port; return (exit status, output)."""
    script = tmp_path / 'script_under_test.py'
    script.write_text(code)
    env = dict(os.environ, MICROPYPATH=micropython_path(runtime, mpy_path))
    result = subprocess.run([micropython(), str(script)] + list(args),
                            env=env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL,
                            cwd=str(tmp_path))
    return result.returncode, result.stdout + result.stderr


def need_jwt(runtime, request, tmp_path):
    """Skip unless `runtime` can import a jwt module."""
    if runtime == 'cpython':
        return
    mpy_path = request.getfixturevalue('mpy_path') \
        if runtime == 'micropython-mpy' else ()
    status, output = run_micropython('import jwt\n', runtime, mpy_path,
                                     tmp_path)
    if status != 0:
        pytest.skip('microdot.session on the unix port needs micropython-'
                    'lib\'s jwt, which is not installed here (`micropython '
                    '-m mip install pyjwt`, or `mpremote mip install pyjwt` '
                    'on a board): {}'.format(output.strip().splitlines()[-1]))


def log_in(client, base, name):
    res = client.post(base + '/', content='username=' + name, headers=FORM)
    assert res.status_code == 302
    assert res.headers['Location'] == '/'
    return res


def test_docs_example_keeps_the_user_logged_in(start_server, runtime,
                                               request, tmp_path):
    need_jwt(runtime, request, tmp_path)
    server = start_server(APP, runtime)
    with httpx.Client(timeout=10) as client:
        assert client.get(server.url + '/').text == 'Not logged in'
        res = log_in(client, server.url, 'joe')
        set_cookie = res.headers['Set-Cookie']
        assert set_cookie.startswith('session=')
        assert 'HttpOnly' in set_cookie and 'Path=/' in set_cookie
        assert client.cookies.get('session')
        # the cookie is sent back by httpx and read by the next requests
        assert client.get(server.url + '/').text == 'Logged in as joe'
        assert client.get(server.url + '/').text == 'Logged in as joe'
        res = client.post(server.url + '/logout')
        assert res.status_code == 302
        assert 'Max-Age=0' in res.headers['Set-Cookie']
        assert client.get(server.url + '/').text == 'Not logged in'
    assert 'Traceback' not in server.output()


def test_the_session_cookie_is_a_pyjwt_readable_token(start_server, runtime,
                                                      request, tmp_path):
    need_jwt(runtime, request, tmp_path)
    server = start_server(APP, runtime)
    with httpx.Client(timeout=10) as client:
        log_in(client, server.url, 'ada')
        token = client.cookies['session']
    assert jwt.decode(token, DOCS_KEY, algorithms=['HS256']) == \
        {'username': 'ada'}


def test_hostile_cookies_give_an_empty_session(start_server, runtime,
                                               request, tmp_path):
    need_jwt(runtime, request, tmp_path)
    server = start_server(APP, runtime)
    good = jwt.encode({'username': 'admin'}, DOCS_KEY, algorithm='HS256')
    head, body, sig = good.split('.')
    forged_body = jwt.utils.base64url_encode(
        b'{"username":"root"}').decode()
    unsigned = jwt.utils.base64url_encode(
        b'{"alg":"none","typ":"JWT"}').decode() + '.' + body + '.'
    hostile = [
        head + '.' + forged_body + '.' + sig,                 # tampered
        good[:-3],                                           # truncated
        jwt.encode({'username': 'admin'}, 'a-wrong-key-of-32-bytes-or-more!',
                   algorithm='HS256'),                       # wrong key
        unsigned,                                            # alg none
        jwt.encode({'username': 'admin', 'exp': 1000000000}, DOCS_KEY,
                   algorithm='HS256'),                       # expired
        'x' * 1500,                                          # garbage
    ]
    for index, cookie in enumerate(hostile):
        res = httpx.get(server.url + '/', headers={'Cookie': 'session=' +
                                                   cookie}, timeout=10)
        assert res.status_code == 200, index
        assert res.text == 'Not logged in', index
    res = httpx.get(server.url + '/', headers={'Cookie': 'session=' + good},
                    timeout=10)
    assert res.text == 'Logged in as admin'
    assert 'Traceback' not in server.output()


@pytest.mark.parametrize('writer,reader', [
    ('cpython', 'micropython'), ('micropython', 'cpython'),
    ('cpython', 'micropython-mpy'), ('micropython-mpy', 'cpython')])
def test_a_cookie_made_by_one_runtime_is_read_by_the_other(
        start_server, request, tmp_path, writer, reader):
    need_jwt(writer, request, tmp_path)
    need_jwt(reader, request, tmp_path)
    first = start_server(APP, writer)
    second = start_server(APP, reader)
    with httpx.Client(timeout=10) as client:
        log_in(client, first.url, 'kim')
        token = client.cookies['session']
        res = client.get(second.url + '/',
                         headers={'Cookie': 'session=' + token})
    assert res.text == 'Logged in as kim'


# -- the token check under the unix port, without any jwt module --------------

VERIFY_SCRIPT = '''\
import json
import sys
from microdot.hs256 import verify
print(json.dumps(verify(sys.argv[1], sys.argv[2])))
'''
SIGN_SCRIPT = '''\
import json
import sys
from microdot.hs256 import b64url_encode, signature
head = b64url_encode(json.dumps({'typ': 'JWT', 'alg': 'HS256'}).encode())
body = b64url_encode(json.dumps({'user': sys.argv[2], 'n': 7}).encode())
print((head + b'.' + body + b'.' + signature(head + b'.' + body,
                                             sys.argv[1])).decode())
'''
KEY = 'a-key-that-is-at-least-32-bytes-long'


@pytest.mark.parametrize('runtime', ['micropython', 'micropython-mpy'])
def test_pyjwt_tokens_verify_under_micropython(runtime, request, tmp_path):
    mpy_path = request.getfixturevalue('mpy_path') \
        if runtime == 'micropython-mpy' else ()
    token = jwt.encode({'user': 'joe', 'roles': ['a', 'b'], 'n': 1.5}, KEY,
                       algorithm='HS256')
    status, output = run_micropython(VERIFY_SCRIPT, runtime, mpy_path,
                                     tmp_path, [token, KEY])
    assert status == 0, output
    assert json.loads(output) == {'user': 'joe', 'roles': ['a', 'b'],
                                  'n': 1.5}
    status, output = run_micropython(VERIFY_SCRIPT, runtime, mpy_path,
                                     tmp_path, [token, KEY + '!'])
    assert status == 0, output
    assert json.loads(output) is None


@pytest.mark.parametrize('runtime', ['micropython', 'micropython-mpy'])
def test_tokens_signed_under_micropython_verify_with_pyjwt(
        runtime, request, tmp_path):
    mpy_path = request.getfixturevalue('mpy_path') \
        if runtime == 'micropython-mpy' else ()
    status, output = run_micropython(SIGN_SCRIPT, runtime, mpy_path,
                                     tmp_path, [KEY, 'zoë'])
    assert status == 0, output
    token = output.strip()
    assert jwt.decode(token, KEY, algorithms=['HS256']) == {'user': 'zoë',
                                                            'n': 7}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, KEY + '!', algorithms=['HS256'])


# -- the example --------------------------------------------------------------

def test_login_example(start_server, runtime, request, tmp_path):
    need_jwt(runtime, request, tmp_path)
    directory = tmp_path / 'sessions'
    shutil.copytree(os.path.join(ROOT, 'examples', 'sessions'), directory,
                    ignore=shutil.ignore_patterns('__pycache__'))
    (directory / 'launch.py').write_text(LAUNCHER)
    server = start_server(str(directory / 'launch.py'), runtime,
                          env={'EXAMPLE': 'login'})
    with httpx.Client(timeout=10) as client:
        page = client.get(server.url + '/')
        assert page.headers['Content-Type'].startswith('text/html')
        assert '<h1>Not logged in</h1>' in page.text
        assert '<form method="POST">' in page.text
        log_in(client, server.url, '<b>mallory</b>')
        page = client.get(server.url + '/')
        assert '<h1>Logged in as &lt;b&gt;mallory&lt;/b&gt;</h1>' in \
            page.text
        client.post(server.url + '/logout')
        assert '<h1>Not logged in</h1>' in client.get(server.url + '/').text
