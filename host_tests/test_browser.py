"""The pages of the examples, used as a person would: in headless Chromium.

Debian's chromium (/usr/bin/chromium), driven by Playwright for Python
with that executable (`make browser` installs both; `make test` runs it
first). The tests click, type and read what the page shows; each leaves a
screenshot in build/screenshots/ to look at.

Without Chromium or Playwright the tests are skipped, saying why, except
under CI (CI=true), where that is an install step gone wrong: they fail.

Each example runs from its own directory through a small launcher that
imports it and serves its `app` on the port the harness chose, so that
the page is the example's own, unchanged.
"""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = '/usr/bin/chromium'
SCREENSHOTS = os.path.join(ROOT, 'build', 'screenshots')
# Without the background-networking switches Chromium keeps trying to
# reach Google's services; only 127.0.0.1 is reachable here.
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
                 '--disable-quic', '--no-first-run',
                 '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']
TIMEOUT_MS = 15000

LAUNCHER = '''\
import os
import sys
sys.path.insert(0, os.getenv('EXAMPLE_DIR'))
app = __import__(os.getenv('EXAMPLE_MODULE')).app
app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''


def unavailable(reason):
    if os.environ.get('CI'):
        pytest.fail(reason + ' (under CI, `make browser` should have '
                    'installed it)', pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope='module')
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        unavailable('{} not found: the browser tests need Debian\'s chromium '
                    '(`make browser`, or apt-get install chromium)'.format(
                        CHROMIUM))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable('Playwright for Python is not installed (`make venv` '
                    'installs it from the dev extra)')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh page (own cookies); console errors are collected."""
    context = chromium.new_context(viewport={'width': 1200, 'height': 820})
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    new_page.errors = []
    new_page.on('pageerror', lambda exc: new_page.errors.append(str(exc)))
    yield new_page
    context.close()


def screenshot(page, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, name + '.png')
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 1000
    return path


def serve_example(start_server, tmp_path, example, runtime):
    """Serve examples/<example>.py's app from its own directory."""
    launcher = tmp_path / 'launch.py'
    launcher.write_text(LAUNCHER)
    directory, module = os.path.split(os.path.join(ROOT, 'examples',
                                                   example))
    return start_server(str(launcher), runtime, cwd=directory, env={
        'EXAMPLE_DIR': directory, 'EXAMPLE_MODULE': module})


def text_of(page, selector):
    return page.locator(selector).inner_text()


def wait_for_text(page, selector, pattern):
    """Wait until the element's text matches the regular expression."""
    page.wait_for_function(
        '([selector, pattern]) => {'
        ' const e = document.querySelector(selector);'
        ' return e !== null && new RegExp(pattern).test(e.textContent); }',
        arg=[selector, pattern], timeout=TIMEOUT_MS)
    return text_of(page, selector)


# --- the demo of `make run` -------------------------------------------------
@pytest.mark.parametrize('runtime', ['micropython', 'cpython'])
def test_demo_page_counts_live_and_echoes(start_server, page, runtime):
    server = start_server('examples/hello.py', runtime)
    page.goto(server.url + '/')
    name = 'MicroPython' if runtime == 'micropython' else 'CPython'
    assert name in text_of(page, 'h1')
    assert 'examples/hello.py' in text_of(page, 'main')
    # the counters arrive over SSE, once a second
    wait_for_text(page, '#sse-status', 'receiving')
    first = int(wait_for_text(page, '#sent', r'^\d+$'))
    later = int(wait_for_text(page, '#sent', r'^(?!{}$)\d+$'.format(first)))
    assert later > first
    assert text_of(page, '#listeners') == '1'
    memory = text_of(page, '#memory')
    if runtime == 'micropython':
        assert re.match(r'^\d+ KiB$', memory), memory
    else:
        assert memory == 'n/a'
    # the echo box, over a WebSocket: a click, then the Enter key
    wait_for_text(page, '#ws-status', '^connected$')
    page.fill('#echo-input', 'hello board')
    page.click('#echo-send')
    wait_for_text(page, '#log', 'server: hello board')
    page.fill('#echo-input', 'ünïcode ✓')
    page.press('#echo-input', 'Enter')
    wait_for_text(page, '#log', 'server: ünïcode ✓')
    assert page.locator('#log li').all_inner_texts() == [
        'you: hello board', 'server: hello board',
        'you: ünïcode ✓', 'server: ünïcode ✓']
    assert page.input_value('#echo-input') == ''
    # the server counted both messages, and says so over SSE
    wait_for_text(page, '#echoes', '^2$')
    screenshot(page, 'demo-' + runtime)
    assert page.errors == []
    # leaving the page ends its event stream on the server
    page.goto('about:blank')
    page.wait_for_timeout(1500)
    assert server.running()
    assert 'Traceback' not in server.output()


# --- examples/websocket -----------------------------------------------------
def test_websocket_example_page_echoes(start_server, page, tmp_path):
    server = serve_example(start_server, tmp_path, 'websocket/echo',
                           'micropython')
    page.goto(server.url + '/')
    wait_for_text(page, '#status', '^connected$')
    page.fill('#text', 'first message')
    page.click('button')
    page.fill('#text', 'second, with Enter')
    page.press('#text', 'Enter')
    wait_for_text(page, '#log', 'received: second, with Enter')
    assert page.locator('#log li').all_inner_texts() == [
        'sent: first message', 'received: first message',
        'sent: second, with Enter', 'received: second, with Enter']
    screenshot(page, 'websocket-echo')
    assert page.errors == []
    server.stop()
    # the page notices the server going away
    wait_for_text(page, '#status', r'^closed \(code \d+\)$')


# --- examples/sse -----------------------------------------------------------
def test_sse_example_page_counts_to_the_end(start_server, page, tmp_path):
    server = serve_example(start_server, tmp_path, 'sse/counter',
                           'micropython')
    page.goto(server.url + '/')
    wait_for_text(page, '#status', '^receiving$')
    wait_for_text(page, '#counter', '^2$')
    screenshot(page, 'sse-counter')
    # ten events a second apart, then the named "comment" event ends it
    page.wait_for_function(
        "document.getElementById('status').textContent"
        ".startsWith('stream ended')", timeout=20000)
    assert text_of(page, '#status') == 'stream ended: end'
    assert text_of(page, '#counter') == '9'
    screenshot(page, 'sse-counter-ended')
    assert page.errors == []
    assert 'Traceback' not in server.output()


# --- sessions: the login page ------------------------------------------------
def test_login_page_remembers_the_user(start_server, page, tmp_path):
    # CPython: the unix port here has no jwt module (see test_session_server)
    server = serve_example(start_server, tmp_path, 'sessions/login',
                           'cpython')
    page.goto(server.url + '/')
    assert text_of(page, 'h1') == 'Not logged in'
    assert page.context.cookies() == []
    page.fill('input[name=username]', 'Ada <script>')
    page.click('button[type=submit]')
    wait_for_text(page, 'h1', '^Logged in as')
    # the name comes back as text, not as markup
    assert text_of(page, 'h1') == 'Logged in as Ada <script>'
    cookies = page.context.cookies()
    assert [c['name'] for c in cookies] == ['session']
    screenshot(page, 'login-logged-in')
    # a new visit with the same cookie is still logged in
    page.goto(server.url + '/')
    assert text_of(page, 'h1') == 'Logged in as Ada <script>'
    # a tampered cookie is refused: the page forgets the user
    cookie = dict(cookies[0])
    cookie['value'] = cookie['value'][:-2] + (
        'AA' if not cookie['value'].endswith('AA') else 'BB')
    page.context.clear_cookies()
    page.context.add_cookies([cookie])
    page.goto(server.url + '/')
    assert text_of(page, 'h1') == 'Not logged in'
    # log in again, then out
    page.fill('input[name=username]', 'Grace')
    page.click('button[type=submit]')
    wait_for_text(page, 'h1', '^Logged in as Grace$')
    page.click('text=Log out')
    wait_for_text(page, 'h1', '^Not logged in$')
    screenshot(page, 'login-logged-out')
    assert page.errors == []
    assert 'Traceback' not in server.output()


# --- examples/login: user logins ---------------------------------------------
LOGIN_URL = re.compile(r'/login\?next=')


def test_login_example_logs_in_remembers_and_logs_out(start_server, page,
                                                      tmp_path):
    # CPython: the unix port here has no jwt module (see test_login_server)
    server = serve_example(start_server, tmp_path, 'login/login', 'cpython')
    page.goto(server.url + '/settings')
    # not logged in: sent to the log-in page, which remembers where to
    page.wait_for_url(LOGIN_URL)
    assert text_of(page, 'h1') == 'Please log in'
    page.fill('input[name=username]', 'susan')
    page.fill('input[name=password]', 'dog')
    page.click('button[type=submit]')
    page.wait_for_selector('text=Wrong user name or password.')
    page.fill('input[name=username]', 'susan')
    page.fill('input[name=password]', 'cat')
    page.check('input[name=remember]')
    screenshot(page, 'login-form')
    page.click('button[type=submit]')
    wait_for_text(page, 'h1', '^Settings of susan$')
    page.click('text=Back')
    wait_for_text(page, 'h1', '^Hello, susan!$')
    names = sorted(c['name'] for c in page.context.cookies())
    assert names == ['_remember', 'session']
    screenshot(page, 'login-home')
    # the browser is closed and opened again: only the lasting cookie stays
    remember = [c for c in page.context.cookies() if c['name'] == '_remember']
    page.context.clear_cookies()
    page.context.add_cookies(remember)
    page.goto(server.url + '/')
    assert text_of(page, 'h1') == 'Hello, susan!'
    # remembered is not fresh: settings ask for the password again
    page.click('text=Settings')
    page.wait_for_url(LOGIN_URL)
    page.goto(server.url + '/')
    page.click('text=Log out')
    page.wait_for_url(LOGIN_URL)
    assert text_of(page, 'h1') == 'Please log in'
    assert [c['name'] for c in page.context.cookies()] == ['session']
    assert page.errors == []
    assert 'Traceback' not in server.output()


# --- examples/static and examples/forms --------------------------------------
def test_static_example_page_loads_its_gzipped_files(start_server, page):
    server = start_server('examples/static/static_files.py', 'micropython')
    encodings = {}
    page.on('response', lambda res: encodings.__setitem__(
        res.url.rsplit('/', 1)[1], res.headers.get('content-encoding')))
    page.goto(server.url + '/')
    # the script ran, and the style sheet applies: both came as gzip
    wait_for_text(page, '#script-status', '^The script ran')
    color = page.eval_on_selector('#script-status',
                                  'e => getComputedStyle(e).color')
    assert color == 'rgb(23, 112, 58)'
    assert encodings['style.css'] == 'gzip'
    assert encodings['app.js'] == 'gzip'
    assert encodings['logo.svg'] is None
    assert page.eval_on_selector('img', 'e => e.naturalWidth') > 0
    screenshot(page, 'static-files')
    assert page.errors == []


def test_guestbook_form_posts_and_shows_entries(start_server, page):
    server = start_server('examples/forms/guestbook.py', 'micropython')
    page.goto(server.url + '/')
    assert text_of(page, '#entries') == 'No entries yet.'
    page.fill('input[name=name]', 'Ada')
    page.click('button[type=submit]')
    # a message is missing: the form says so and keeps the name
    wait_for_text(page, '#error', 'Please give your name and a message.')
    assert page.input_value('input[name=name]') == 'Ada'
    page.fill('textarea[name=message]', 'Hello <b>board</b> & all')
    page.click('button[type=submit]')
    wait_for_text(page, '#entries', 'Ada: Hello <b>board</b> & all')
    assert page.url == server.url + '/'
    page.fill('input[name=name]', 'Grace')
    page.fill('textarea[name=message]', 'Second')
    page.click('button[type=submit]')
    wait_for_text(page, '#entries li:first-child', '^Grace: Second$')
    assert page.locator('#entries li').count() == 2
    screenshot(page, 'guestbook')
    assert page.errors == []


# --- debug=True: the traceback of a failing handler -------------------------
@pytest.mark.parametrize('runtime', ['micropython', 'cpython'])
def test_debug_shows_the_traceback_in_the_page_and_only_then(
        start_server, page, runtime):
    debugging = start_server('host_tests/apps/debug_app.py', runtime,
                             env={'DEBUG': '1'})
    page.goto(debugging.url + '/')
    page.click('a')
    page.wait_for_url('**/broken')
    shown = page.locator('body').inner_text()
    assert shown.startswith('Internal server error (shown with its '
                            'traceback because the app runs with '
                            'debug=True)'), shown
    assert 'Traceback (most recent call last):' in shown
    assert ', in broken' in shown
    assert 'ValueError: <b id="injected">the answer is 42</b>' in shown
    assert page.locator('#injected').count() == 0     # text, not markup
    screenshot(page, 'debug-traceback-' + runtime)

    quiet = start_server('host_tests/apps/debug_app.py', runtime,
                         env={'DEBUG': '0'})
    response = page.goto(quiet.url + '/broken')
    assert response.status == 500
    assert page.locator('body').inner_text() == 'Internal server error'
