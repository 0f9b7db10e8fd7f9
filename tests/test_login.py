"""microdot.login through the TestClient: logging in and out, protected
routes, next URLs, remember-me cookies and fresh logins.

Logins live in the session cookie, so these tests need microdot.session's
jwt module (PyJWT on CPython, micropython-lib's pyjwt on MicroPython);
without it each test is skipped, saying how to install it.
"""
from support import IS_MICROPYTHON, skip

from microdot import Microdot, redirect
from microdot.compat import unix_time
from microdot.test_client import TestClient

KEY = 'login-tests-secret-key-0123456789'
MONTH = 30 * 24 * 60 * 60


def sessions():
    try:
        import jwt  # noqa: F401
    except ImportError:
        if IS_MICROPYTHON:
            skip('microdot.login needs microdot.session, which needs '
                 'micropython-lib\'s jwt: `micropython -m mip install pyjwt` '
                 '(unix port) or `mpremote mip install pyjwt` (board)')
        skip('microdot.login needs microdot.session, which needs PyJWT: '
             'pip install PyJWT')
    import microdot.session
    return microdot.session


class User:
    def __init__(self, id, name, password):
        self.id = id
        self.name = name
        self.password = password


USERS = {1: User(1, 'susan', 'cat'), 2: User(2, 'david', 'dog')}


def make_app(login_url='/login'):
    session_module = sessions()     # skips when there is no jwt module
    from microdot.login import Login
    app = Microdot()
    session = session_module.Session(app, secret_key=KEY)
    login = Login(login_url) if login_url != '/login' else Login()
    app.login = login
    app.session = session

    @login.user_loader
    async def get_user(user_id):
        return USERS.get(user_id)

    @app.route(login_url, methods=['GET', 'POST'])
    async def login_page(request):
        if request.method == 'GET':
            return 'login form'
        for user in USERS.values():
            if user.name == request.form.get('username'):
                if user.password == request.form.get('password'):
                    # 'yes': the default 30 days; a number: that many days
                    remember = request.form.get('remember')
                    if remember == 'yes':
                        remember = True
                    elif remember:
                        remember = int(remember)
                    return await login.login_user(request, user,
                                                  remember=remember)
        return redirect(login_url)

    @app.route('/')
    @login
    async def index(request):
        return 'Hello, ' + request.g.current_user.name

    @app.route('/items/<int:n>')
    @login
    def item(request, n):   # sync handler behind the decorator
        return {'n': n, 'user': request.g.current_user.name}

    @app.get('/fresh')
    @login.fresh
    async def fresh(request):
        return 'fresh ' + request.g.current_user.name

    @app.post('/logout')
    @login
    async def logout(request):
        await login.logout_user(request)
        return redirect('/')

    @app.get('/whoami')
    async def whoami(request):
        user = await login.get_current_user(request)
        return user.name if user else 'nobody'

    return app


FORM = {'Content-Type': 'application/x-www-form-urlencoded'}


async def log_in(client, username='susan', password='cat', remember=None,
                 query=''):
    body = 'username={}&password={}'.format(username, password)
    if remember:
        body += '&remember=' + str(remember)
    return await client.post('/login' + query, headers=FORM, body=body)


async def test_protected_route_redirects_to_the_login_page():
    client = TestClient(make_app())
    res = await client.get('/')
    assert res.status_code == 302
    assert res.headers['Location'] == '/login?next=/'
    res = await client.get('/items/3?x=1&y=2')
    assert res.headers['Location'] == '/login?next=/items/3%3Fx%3D1%26y%3D2'


async def test_log_in_and_use_protected_routes():
    client = TestClient(make_app())
    res = await log_in(client)
    assert res.status_code == 302
    assert res.headers['Location'] == '/'
    assert 'session' in client.cookies
    assert '_remember' not in client.cookies
    res = await client.get('/')
    assert res.status_code == 200
    assert res.text == 'Hello, susan'
    res = await client.get('/items/7')
    assert res.json == {'n': 7, 'user': 'susan'}
    assert (await client.get('/fresh')).text == 'fresh susan'
    assert (await client.get('/whoami')).text == 'susan'


async def test_wrong_password_does_not_log_in():
    client = TestClient(make_app())
    res = await log_in(client, password='wrong')
    assert res.headers['Location'] == '/login'
    assert (await client.get('/')).status_code == 302
    assert (await client.get('/whoami')).text == 'nobody'


async def test_next_url_is_followed_after_login():
    client = TestClient(make_app())
    res = await log_in(client, query='?next=/items/3%3Fx%3D1')
    assert res.headers['Location'] == '/items/3?x=1'


async def test_next_url_off_site_is_replaced():
    client = TestClient(make_app())
    for target in ('https://evil.com/', '//evil.com', '/\\evil.com',
                   'evil', '/ok%0D%0ASet-Cookie:x=1'):
        res = await log_in(client, query='?next=' + target.replace(
            ':', '%3A').replace('/', '%2F'))
        assert res.status_code == 302
        assert res.headers['Location'] == '/', target


async def test_logout():
    client = TestClient(make_app())
    await log_in(client)
    res = await client.post('/logout')
    assert res.status_code == 302
    assert (await client.get('/')).status_code == 302
    assert (await client.get('/whoami')).text == 'nobody'


async def test_remember_me_logs_in_a_later_session():
    app = make_app()
    client = TestClient(app)
    res = await log_in(client, remember='yes')
    cookie = [c for c in res.headers['Set-Cookie']
              if c.startswith('_remember=')][0]
    assert 'Max-Age=' + str(MONTH) in cookie
    assert 'HttpOnly' in cookie
    assert 'Path=/' in cookie

    # a new browser session: the session cookie is gone, the remember-me
    # cookie is not
    later = TestClient(app, cookies={'_remember':
                                     client.cookies['_remember']})
    res = await later.get('/')
    assert res.status_code == 200
    assert res.text == 'Hello, susan'
    assert 'session' in later.cookies   # the login is back in the session
    claims = app.session.decode(later.cookies['session'])
    assert claims['_user_id'] == 1
    assert claims['_fresh'] is False
    # renewed for another 30 days
    assert any(c.startswith('_remember=') and 'Max-Age=' + str(MONTH) in c
               for c in res.headers['Set-Cookie'])
    # a login restored from the cookie is not fresh
    res = await later.get('/fresh')
    assert res.status_code == 302
    assert res.headers['Location'] == '/login?next=/fresh'
    assert (await later.get('/')).status_code == 200
    # logging in again makes it fresh
    await log_in(later)
    assert (await later.get('/fresh')).text == 'fresh susan'


async def test_remember_for_a_number_of_days():
    app = make_app()
    client = TestClient(app)
    res = await log_in(client, remember=7)
    assert any(c.startswith('_remember=') and 'Max-Age=604800' in c
               for c in res.headers['Set-Cookie'])
    later = TestClient(app, cookies={'_remember':
                                     client.cookies['_remember']})
    res = await later.get('/')
    assert any(c.startswith('_remember=') and 'Max-Age=604800' in c
               for c in res.headers['Set-Cookie'])


async def test_logout_removes_the_remember_me_cookie():
    app = make_app()
    client = TestClient(app)
    await log_in(client, remember='yes')
    assert '_remember' in client.cookies
    res = await client.post('/logout')
    assert any(c.startswith('_remember=;') and 'Max-Age=0' in c
               for c in res.headers['Set-Cookie'])
    assert '_remember' not in client.cookies
    assert (await client.get('/')).status_code == 302


async def test_bad_remember_me_cookies_are_ignored():
    app = make_app()
    other = sessions().Session(secret_key='some-other-key-0123456789abcdefg')
    expired = app.session.encode({'_remember': 1, 'days': 1,
                                  'exp': int(unix_time()) - 10})
    forged = other.encode({'_remember': 1, 'days': 1,
                           'exp': int(unix_time()) + 1000})
    session_token = app.session.encode({'_user_id': 1, '_fresh': True})
    for token in (expired, forged, 'garbage', session_token,
                  app.session.encode({'user_id': 1})):
        client = TestClient(app, cookies={'_remember': token})
        res = await client.get('/')
        assert res.status_code == 302, token
        assert (await client.get('/whoami')).text == 'nobody'


async def test_tampered_session_is_not_logged_in():
    app = make_app()
    client = TestClient(app)
    await log_in(client)
    token = client.cookies['session']
    head, payload, signature = token.split('.')
    forged = app.session.encode({'_user_id': 2, '_fresh': True})
    client.cookies['session'] = head + '.' + forged.split('.')[1] + '.' + \
        signature
    assert (await client.get('/')).status_code == 302


async def test_deleted_user_is_logged_out():
    app = make_app()
    client = TestClient(app)
    await log_in(client, 'david', 'dog')
    assert (await client.get('/')).text == 'Hello, david'
    removed = USERS.pop(2)
    try:
        assert (await client.get('/')).status_code == 302
    finally:
        USERS[2] = removed


async def test_custom_login_url_and_sync_user_loader():
    session_module = sessions()
    from microdot.login import Login
    app = Microdot()
    session_module.Session(app, secret_key=KEY)
    login = Login(login_url='/auth/sign-in')

    @login.user_loader
    def load(user_id):
        return USERS.get(user_id)

    @app.post('/auth/sign-in')
    async def sign_in(request):
        return await login.login_user(request, USERS[1],
                                      redirect_url='/home')

    @app.get('/home')
    @login
    async def home(request):
        return request.g.current_user.name

    client = TestClient(app)
    res = await client.get('/home')
    assert res.headers['Location'] == '/auth/sign-in?next=/home'
    res = await client.post('/auth/sign-in')
    assert res.headers['Location'] == '/home'
    assert (await client.get('/home')).text == 'susan'


async def test_login_without_a_session_is_a_server_error():
    sessions()
    from microdot.login import Login
    app = Microdot()
    login = Login()

    @app.get('/')
    @login
    async def index(request):
        return 'never'

    res = await TestClient(app).get('/')
    assert res.status_code == 500
