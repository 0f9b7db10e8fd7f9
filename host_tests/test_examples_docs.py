"""The programs in the README and in docs/ do what the text says.

Every ```python block of the pages below is read from the Markdown. A
block that is a whole program (it calls ``app.run(`` or
``asyncio.run(``, or makes an ASGI app) runs for real: as a server on the
runtimes its check names, with the ```html blocks that follow it written
out as the template files the text names, and a check function below
makes requests to it. Other blocks are fragments: they must compile.

The program runs unchanged except for where it listens: a launcher makes
``Microdot.run()`` serve on 127.0.0.1 at the port the harness chose.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ['README.md', 'docs/quickstart.md', 'docs/extensions.md',
         'docs/migrating.md']
BOTH = ('micropython', 'cpython')
CPYTHON = ('cpython',)

LAUNCHER = '''\
import os
import sys
sys.path.insert(0, os.getcwd())
from microdot import Microdot
_run = Microdot.run


def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None):
    _run(self, '127.0.0.1', int(os.getenv('PORT')), debug, ssl)


Microdot.run = run
import app
'''


class Block:
    def __init__(self, page, heading, ordinal, code):
        self.page = page
        self.heading = heading
        self.ordinal = ordinal       # how many runnable blocks came before
        self.code = code
        self.files = {}              # template files that follow it

    @property
    def key(self):
        return '{} / {} / {}'.format(self.page, self.heading, self.ordinal)

    @property
    def runnable(self):
        """A whole program: it makes an app, and runs it or a script."""
        return 'Microdot(' in self.code and (
            'app.run(' in self.code or 'asyncio.run(' in self.code or
            'microdot.asgi import' in self.code)


def read_blocks(page):
    """The python blocks of a page, with the html blocks after them."""
    with open(os.path.join(ROOT, page)) as f:
        text = f.read()
    blocks = []
    heading = ''
    counts = {}
    position = 0
    fence = re.compile(r'^```(\w*)\n(.*?)^```\n', re.S | re.M)
    for match in fence.finditer(text):
        before = text[position:match.start()]
        position = match.end()
        for line in before.splitlines():
            if line.startswith('#'):
                heading = line.lstrip('#').strip()
        language, code = match.group(1), match.group(2)
        if language == 'python':
            block = Block(page, heading, 0, code)
            if block.runnable:
                block.ordinal = counts.get(heading, 0)
                counts[heading] = block.ordinal + 1
            blocks.append(block)
        elif language == 'html' and blocks and blocks[-1].runnable:
            # "with `templates/hello.html`:" just before the block
            names = re.findall(r'`(templates/[\w.]+)`', before)
            assert names, 'an html block in {} under "{}" names no ' \
                'template file'.format(page, heading)
            blocks[-1].files[names[-1]] = code
    return blocks


def all_blocks():
    return [block for page in PAGES for block in read_blocks(page)]


def test_every_program_of_the_docs_has_a_check():
    runnable = [b.key for b in all_blocks() if b.runnable]
    assert len(runnable) >= 10, runnable
    assert sorted(set(runnable) - set(CHECKS)) == [], \
        'programs without a check in this file'
    assert sorted(set(CHECKS) - set(runnable)) == [], \
        'checks for programs no longer in the docs'


@pytest.mark.parametrize('page', PAGES + ['docs/index.md'])
def test_links_between_pages_lead_somewhere(page):
    """Every relative link of the page names a file of the repository,
    and every #anchor a heading of the page it points to."""
    with open(os.path.join(ROOT, page)) as f:
        text = f.read()
    broken = []
    for target in re.findall(r'\]\(([^)\s]+)\)', text):
        if re.match(r'[a-z]+:', target):
            continue                        # http:, https:, mailto:
        path, _, anchor = target.partition('#')
        path = os.path.normpath(os.path.join(os.path.dirname(page), path)) \
            if path else page
        if not os.path.exists(os.path.join(ROOT, path)):
            broken.append(target)
        elif anchor and path.endswith('.md'):
            with open(os.path.join(ROOT, path)) as f:
                anchors = [github_anchor(line.lstrip('#'))
                           for line in f if line.startswith('#')]
            if anchor not in anchors:
                broken.append(target)
    assert broken == [], 'dead links in ' + page


def github_anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    text = heading.strip().lower()
    return re.sub(r'[^\w\- ]', '', text).replace(' ', '-')


@pytest.mark.parametrize('block', [b for b in all_blocks()
                                   if not b.runnable],
                         ids=lambda b: '{} / {}'.format(b.page, b.heading))
def test_fragments_compile(block):
    compile(block.code, block.key, 'exec')


# --- running a program ----------------------------------------------------
def write_program(block, directory):
    (directory / 'app.py').write_text(block.code)
    for name, content in block.files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (directory / 'launch.py').write_text(LAUNCHER)


def run_script(block, runtime, directory):
    """Run a program that is not a server; (status, output)."""
    if runtime == 'cpython':
        argv = [sys.executable, 'app.py']
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'modules'))
    else:
        argv = [os.path.join(os.path.dirname(sys.executable), 'micropython'),
                'app.py']
        env = dict(os.environ, MICROPYPATH=os.path.join(ROOT, 'modules') +
                   ':' + os.path.join(ROOT, 'deps') + ':.frozen')
    result = subprocess.run(argv, cwd=str(directory), env=env, timeout=60,
                            capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout + result.stderr


def serve_asgi(directory):
    """uvicorn serving app:app from `directory`; (url, process)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    log = open(directory / 'uvicorn.log', 'wb')
    process = subprocess.Popen(
        [sys.executable, '-m', 'uvicorn', 'app:app', '--host', '127.0.0.1',
         '--port', str(port)], cwd=str(directory), stdout=log,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'modules')))
    log.close()
    url = 'http://127.0.0.1:{}'.format(port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + '/', timeout=1)
            return url, process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail('uvicorn did not start:\n' +
                (directory / 'uvicorn.log').read_text())


# --- what each program must do ----------------------------------------------
def get(url, path, **kwargs):
    return httpx.get(url + path, timeout=10, **kwargs)


def check_readme_app(url):
    assert get(url, '/').text == 'Hello, world!'
    assert get(url, '/hello/board').json() == {'greeting': 'Hello, board'}


def check_quickstart_app(url):
    assert get(url, '/?name=board').text == 'Hello, board!'
    assert get(url, '/api/add/2/3').json() == {'sum': 5}
    res = httpx.post(url + '/echo', content=b'some text', timeout=10)
    assert res.text == 'some text'


def check_websocket(url):
    with ws_connect('ws' + url[4:] + '/shout', open_timeout=10) as ws:
        ws.send('hello')
        assert ws.recv(timeout=10) == 'HELLO'
        ws.send('bye')
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1000
    with ws_connect('ws' + url[4:] + '/shout', open_timeout=10) as ws:
        ws.send('x' * 5000)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1009


def check_sse(url):
    with httpx.stream('GET', url + '/clock', timeout=10,
                      headers={'Last-Event-ID': '41'}) as res:
        lines = []
        for line in res.iter_lines():
            lines.append(line)
            if line.startswith('data:'):
                break
    assert lines == ['event: tick', 'id: 42', 'data: {"tick": 42}']


def check_utemplate(url):
    assert get(url, '/hello/Ada').text.strip() == '<h1>Hello, Ada!</h1>'
    page = get(url, '/squares/3').text
    assert '<li>3 squared is 9</li>' in page and page.count('<li>') == 3


def check_jinja(url):
    assert get(url, '/hello/<b>').text.strip() == \
        '<h1>Hello, &lt;b&gt;!</h1>'


def check_sessions(url):
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.get('/visits').text == 'You have been here 1 times.'
        assert client.get('/visits').text == 'You have been here 2 times.'
        client.get('/forget')
        assert client.get('/visits').text == 'You have been here 1 times.'
        # a changed cookie is an empty session
        value = client.cookies['session']
        client.cookies.set('session', value[:-1] + (
            'A' if value[-1] != 'A' else 'B'))
        assert client.get('/visits').text == 'You have been here 1 times.'


def check_login(url):
    with httpx.Client(base_url=url, timeout=10) as client:
        res = client.get('/')
        assert res.status_code == 302
        assert res.headers['location'] == '/login?next=/'
        res = client.post('/login?next=/', data={'name': 'ada',
                                                 'password': 'wrong'})
        assert res.status_code == 401
        res = client.post('/login?next=/', data={
            'name': 'ada', 'password': 'correct horse', 'remember': 'on'})
        assert (res.status_code, res.headers['location']) == (302, '/')
        assert '_remember' in client.cookies
        assert client.get('/').text.startswith('Hello, ada!')
        # a new browser session: only the remember-me cookie is left
        client.cookies.delete('session')
        assert list(client.cookies) == ['_remember']
        assert client.get('/').text.startswith('Hello, ada!')
        client.post('/logout')
        assert client.get('/').status_code == 302


def check_auth(url):
    assert get(url, '/').status_code == 401
    assert 'Basic realm=' in get(url, '/').headers['www-authenticate']
    assert get(url, '/', auth=('ada', 'correct horse')).text == 'Hello, ada!'
    assert get(url, '/', auth=('ada', 'wrong')).status_code == 401
    res = httpx.post(url + '/api/readings', json={'t': 21.5}, timeout=10,
                     headers={'Authorization': 'Bearer secret-token-1'})
    assert res.status_code == 201
    assert res.json() == {'from': 'sensor-7', 'got': {'t': 21.5}}
    res = httpx.post(url + '/api/readings', json={}, timeout=10,
                     headers={'Authorization': 'Bearer nope'})
    assert res.status_code == 401


def check_cors(url):
    good = 'https://dashboard.example.com'
    res = httpx.options(url + '/api/led', timeout=10, headers={
        'Origin': good, 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'Content-Type'})
    assert res.headers['access-control-allow-origin'] == good
    assert res.headers['access-control-max-age'] == '600'
    res = httpx.post(url + '/api/led', json={'on': 1}, timeout=10,
                     headers={'Origin': good})
    assert res.json() == {'led': True}
    assert res.headers['access-control-allow-credentials'] == 'true'
    res = get(url, '/api/status', headers={'Origin': 'https://evil.example'})
    assert res.json() == {'ok': True}
    assert 'access-control-allow-origin' not in res.headers


def check_csrf(url):
    forged = {'Sec-Fetch-Site': 'cross-site', 'Origin': 'https://evil.example'}
    assert httpx.post(url + '/relay', headers=forged,
                      timeout=10).status_code == 403
    own = {'Sec-Fetch-Site': 'same-origin', 'Origin': url}
    assert httpx.post(url + '/relay', headers=own,
                      timeout=10).json() == {'on': True}
    dashboard = {'Origin': 'https://dashboard.example.com'}
    assert httpx.post(url + '/relay', headers=dashboard,
                      timeout=10).json() == {'on': False}
    assert httpx.post(url + '/relay', timeout=10).status_code == 200
    assert httpx.post(url + '/webhook', headers=forged,
                      timeout=10).json() == {'accepted': True}


def check_uploads(url):
    assert 'enctype="multipart/form-data"' in get(url, '/').text
    res = httpx.post(url + '/', data={'note': 'hi'}, timeout=10,
                     files={'photo': ('a.jpg', b'\xff\xd8' * 1000,
                                      'image/jpeg')})
    assert res.text == "Got 2000 bytes of image/jpeg with the note 'hi'."
    res = httpx.post(url + '/', data={'note': 'big'}, timeout=10,
                     files={'photo': ('b.jpg', b'x' * 40000, 'image/jpeg')})
    assert res.status_code == 413


def check_test_client(output):
    assert output.strip().splitlines()[-1] == 'all good'


def check_asgi(url):
    assert get(url, '/').text == 'Served by uvicorn.'


def check_wifi(url):
    assert get(url, '/').text == 'Hello from the board!'


def check_migrating(url):
    assert get(url, '/').text == 'Hello from the same app!'
    assert get(url, '/items/3').json() == {'item': 3}
    assert get(url, '/items/3', headers={'X-Fail': '1'}).status_code == 418


CHECKS = {
    'README.md / Your own app / 0': (BOTH, check_readme_app),
    'docs/quickstart.md / 1. On your computer / 0':
        (BOTH, check_quickstart_app),
    'docs/extensions.md / WebSocket / 0': (BOTH, check_websocket),
    'docs/extensions.md / Server-Sent Events / 0': (BOTH, check_sse),
    'docs/extensions.md / Templates / 0': (BOTH, check_utemplate),
    'docs/extensions.md / Templates / 1': (CPYTHON, check_jinja),
    # the unix port here has no jwt module (see test_session_server.py)
    'docs/extensions.md / Sessions / 0': (CPYTHON, check_sessions),
    'docs/extensions.md / User logins / 0': (CPYTHON, check_login),
    'docs/extensions.md / Authentication / 0': (BOTH, check_auth),
    'docs/extensions.md / CORS / 0': (BOTH, check_cors),
    'docs/extensions.md / CSRF / 0': (BOTH, check_csrf),
    'docs/extensions.md / Forms with files / 0': (BOTH, check_uploads),
    'docs/extensions.md / Test client / 0': (BOTH, check_test_client),
    'docs/extensions.md / ASGI and WSGI / 0': (CPYTHON, check_asgi),
    'docs/extensions.md / Wi-Fi / 0': (BOTH, check_wifi),
    'docs/migrating.md / An app that moves unchanged / 0':
        (BOTH, check_migrating),
}


def program_cases():
    cases = []
    for block in all_blocks():
        if block.runnable and block.key in CHECKS:
            runtimes, _ = CHECKS[block.key]
            for runtime in runtimes:
                cases.append(pytest.param(block, runtime,
                                          id='{} [{}]'.format(block.key,
                                                              runtime)))
    return cases


@pytest.mark.parametrize('block,runtime', program_cases())
def test_program_does_what_the_docs_say(block, runtime, start_server,
                                        tmp_path):
    _, check = CHECKS[block.key]
    write_program(block, tmp_path)
    if 'app.run(' in block.code:
        server = start_server(str(tmp_path / 'launch.py'), runtime,
                              cwd=str(tmp_path))
        check(server.url)
        assert 'Traceback' not in server.output(), server.output()
    elif 'asyncio.run(' in block.code:
        status, output = run_script(block, runtime, tmp_path)
        assert status == 0, output
        check(output)
    else:
        url, process = serve_asgi(tmp_path)
        try:
            check(url)
        finally:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
