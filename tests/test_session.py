"""microdot.session: Session, SessionDict, with_session, through the test
client.

microdot.session needs a jwt module (PyJWT on CPython, micropython-lib's
pyjwt on MicroPython); where there is none, every test here is skipped and
says how to install it. The token check itself is tested on every runtime in
test_session_hs256.py.
"""
import json

from support import IS_MICROPYTHON, raises, skip

from microdot import Microdot, NoCaseDict, Request, redirect
from microdot.compat import unix_time
from microdot.hs256 import b64url_encode, signature
from microdot.test_client import TestClient

KEY = 'a-32-byte-long-key-for-the-tests!'
OTHER_KEY = 'another-32-byte-long-key-for-tests'
# made by PyJWT: jwt.encode({'user': 'joe', 'n': 1}, KEY, algorithm='HS256')
PYJWT_TOKEN = ('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiam9lIiwibiI'
               '6MX0.C80E5XBgDZ5XEqIXSvHPB5tf4ZBvB5Y66fFCOT8rsm8')


def session_module():
    """microdot.session, or a skip that says how to get a jwt module."""
    try:
        import jwt  # noqa: F401
    except ImportError:
        if IS_MICROPYTHON:
            skip('microdot.session needs micropython-lib\'s jwt: install it '
                 'with `mpremote mip install pyjwt` (board) or `micropython '
                 '-m mip install pyjwt` (unix port); not installed here')
        skip('microdot.session needs PyJWT: pip install PyJWT')
    import microdot.session
    return microdot.session


def raw_token(claims, key=KEY, header=None):
    """A token with exactly the JSON text given (or json.dumps of it)."""
    def part(value):
        if not isinstance(value, str):
            value = json.dumps(value)
        return b64url_encode(value.encode())
    head = part(header or {'alg': 'HS256', 'typ': 'JWT'})
    body = part(claims)
    return (head + b'.' + body + b'.' +
            signature(head + b'.' + body, key)).decode()


def login_app(sessions, **options):
    """The app of the sessions page of the docs, plus a /data route."""
    app = Microdot()
    sessions.Session(app, secret_key=KEY, **options)
    with_session = sessions.with_session

    @app.route('/', methods=['GET', 'POST'])
    @with_session
    async def index(req, session):
        username = session.get('username')
        if req.method == 'POST':
            username = req.form.get('username')
            session['username'] = username
            session.save()
            return redirect('/')
        if username is None:
            return 'Not logged in'
        else:
            return 'Logged in as ' + username

    @app.post('/logout')
    @with_session
    async def logout(req, session):
        session.delete()
        return redirect('/')

    @app.get('/data')
    @with_session
    def data(req, session):
        return dict(session.items())

    return app


FORM = {'Content-Type': 'application/x-www-form-urlencoded'}


def cookie_header(res):
    cookies = res.headers.get('Set-Cookie') or []
    assert len(cookies) == 1, cookies
    return cookies[0]


# --- the documented flow -----------------------------------------------------

async def test_login_and_logout_as_in_the_docs():
    sessions = session_module()
    client = TestClient(login_app(sessions))
    res = await client.get('/')
    assert res.status_code == 200 and res.text == 'Not logged in'
    assert 'Set-Cookie' not in res.headers
    res = await client.post('/', headers=FORM, body='username=joe')
    assert res.status_code == 302
    assert cookie_header(res).startswith('session=')
    res = await client.get('/')
    assert res.text == 'Logged in as joe'
    res = await client.post('/logout')
    assert res.status_code == 302
    assert 'session' not in client.cookies
    res = await client.get('/')
    assert res.text == 'Not logged in'


async def test_the_cookie_is_an_hs256_jwt_of_the_session():
    sessions = session_module()
    client = TestClient(login_app(sessions))
    await client.post('/', headers=FORM, body='username=ada')
    token = client.cookies['session']
    header = json.loads(_b64(token.split('.')[0]))
    assert header['alg'] == 'HS256'
    assert json.loads(_b64(token.split('.')[1])) == {'username': 'ada'}
    if not IS_MICROPYTHON:   # PyJWT, independently of our code
        import jwt
        assert jwt.decode(token, KEY, algorithms=['HS256']) == \
            {'username': 'ada'}


def _b64(segment):
    from microdot.hs256 import b64url_decode
    return b64url_decode(segment).decode()


async def test_a_cookie_made_by_pyjwt_is_read():
    sessions = session_module()
    client = TestClient(login_app(sessions), cookies={'session': PYJWT_TOKEN})
    res = await client.get('/data')
    assert res.json == {'user': 'joe', 'n': 1}


async def test_a_cookie_in_micropython_lib_format_is_read():
    # micropython-lib's jwt writes json.dumps() text: spaces after ':' and
    # ',', and "typ" before "alg"
    sessions = session_module()
    token = raw_token('{"username": "bob", "n": 2}',
                      header='{"typ": "JWT", "alg": "HS256"}')
    client = TestClient(login_app(sessions), cookies={'session': token})
    res = await client.get('/')
    assert res.text == 'Logged in as bob'


async def test_session_data_keeps_json_types():
    sessions = session_module()
    app = Microdot()
    sessions.Session(app, secret_key=KEY)
    value = {'n': 3, 'f': 1.5, 'ok': True, 'none': None, 'list': [1, 'a'],
             'nested': {'k': 'é'}}

    @app.post('/set')
    @sessions.with_session
    async def set_value(req, session):
        session.update(value)
        session.save()
        return 'saved'

    @app.get('/get')
    @sessions.with_session
    async def get_value(req, session):
        return dict(session.items())

    client = TestClient(app)
    assert (await client.post('/set')).text == 'saved'
    assert (await client.get('/get')).json == value


# --- the Session API ---------------------------------------------------------

async def test_get_returns_the_same_session_for_the_whole_request():
    sessions = session_module()
    app = Microdot()
    session_ext = sessions.Session(app, secret_key=KEY)
    seen = []

    @app.get('/')
    @sessions.with_session
    async def index(req, session):
        other = session_ext.get(req)
        other['x'] = 1
        seen.append(session is other)
        return str(session.get('x'))

    res = await TestClient(app).get('/')
    assert res.text == '1' and seen == [True]


async def test_sync_and_async_handlers_get_the_session_and_route_args():
    sessions = session_module()
    app = Microdot()
    sessions.Session(app, secret_key=KEY)

    @app.get('/sync/<name>')
    @sessions.with_session
    def sync_handler(req, session, name):
        session['name'] = name
        session.save()
        return 'sync ' + name

    @app.get('/async')
    @sessions.with_session
    async def async_handler(req, session):
        return 'async ' + str(session.get('name'))

    client = TestClient(app)
    assert (await client.get('/sync/ann')).text == 'sync ann'
    assert (await client.get('/async')).text == 'async ann'


async def test_initialize_later_with_key_and_cookie_options():
    sessions = session_module()
    session_ext = sessions.Session()
    app = Microdot()
    session_ext.initialize(app, secret_key=KEY, cookie_options={
        'path': '/child', 'http_only': False, 'secure': True,
        'max_age': 600})

    @app.get('/child')
    @sessions.with_session
    def child(req, session):
        session['foo'] = 'bar'
        session.save()
        return ''

    @app.get('/child/delete')
    @sessions.with_session
    def delete(req, session):
        session.delete()
        return ''

    client = TestClient(app)
    cookie = cookie_header(await client.get('/child'))
    fields = cookie.split('; ')
    assert 'Path=/child' in fields and 'Secure' in fields
    assert 'Max-Age=600' in fields and 'HttpOnly' not in fields
    cookie = cookie_header(await client.get('/child/delete'))
    fields = cookie.split('; ')
    assert fields[0] == 'session=' and 'Path=/child' in fields
    assert 'Max-Age=0' in fields


async def test_default_cookie_options_are_root_path_and_http_only():
    sessions = session_module()
    client = TestClient(login_app(sessions))
    res = await client.post('/', headers=FORM, body='username=joe')
    fields = cookie_header(res).split('; ')
    assert 'Path=/' in fields and 'HttpOnly' in fields
    assert 'Secure' not in fields
    assert not [f for f in fields if f.startswith('Max-Age')]


async def test_saving_twice_sends_one_cookie_with_the_last_state():
    sessions = session_module()
    app = Microdot()
    sessions.Session(app, secret_key=KEY)

    @app.get('/twice')
    @sessions.with_session
    def twice(req, session):
        session['n'] = 1
        session.save()
        session['n'] = 2
        session.save()
        return ''

    @app.get('/save-then-delete')
    @sessions.with_session
    def save_then_delete(req, session):
        session['n'] = 3
        session.save()
        session.delete()
        return str(len(session))

    @app.get('/n')
    @sessions.with_session
    def n(req, session):
        return str(session.get('n'))

    client = TestClient(app)
    cookie_header(await client.get('/twice'))
    assert (await client.get('/n')).text == '2'
    res = await client.get('/save-then-delete')
    assert res.text == '0'
    assert 'Max-Age=0' in cookie_header(res)
    assert (await client.get('/n')).text == 'None'


async def test_changes_without_save_are_not_sent():
    sessions = session_module()
    app = Microdot()
    sessions.Session(app, secret_key=KEY)

    @app.get('/')
    @sessions.with_session
    def index(req, session):
        session['n'] = 1
        return ''

    res = await TestClient(app).get('/')
    assert 'Set-Cookie' not in res.headers


def test_encode_and_decode_round_trip_and_take_a_key():
    sessions = session_module()
    session_ext = sessions.Session(secret_key=KEY)
    token = session_ext.encode({'a': 1})
    assert isinstance(token, str) and token.count('.') == 2
    assert session_ext.decode(token) == {'a': 1}
    assert session_ext.decode(token, secret_key=OTHER_KEY) == {}
    other = session_ext.encode({'b': 2}, secret_key=OTHER_KEY)
    assert session_ext.decode(other) == {}
    assert session_ext.decode(other, secret_key=OTHER_KEY) == {'b': 2}


# --- a missing secret key ----------------------------------------------------

async def test_no_secret_key_is_refused_when_the_session_is_used():
    # as in Microdot: attaching without a key works (the key may be set
    # later); reading or saving a session without one raises
    sessions = session_module()
    app = Microdot()
    session_ext = sessions.Session(app)
    sessions.Session(Microdot(), secret_key='')
    sessions.Session().initialize(Microdot())

    @app.get('/')
    @sessions.with_session
    async def index(req, session):
        return 'never'

    @app.get('/later')
    async def later(req):
        return session_ext.get(req).get('a', 'none')

    res = await TestClient(app).get('/')
    assert res.status_code == 500
    with raises(ValueError) as caught:
        session_ext.get(Request(app, None, 'GET', '/', '1.1', NoCaseDict()))
    assert 'secret key' in str(caught.value)
    session_ext.secret_key = 'set later'
    assert (await TestClient(app).get('/later')).text == 'none'


def test_a_session_without_key_refuses_to_encode_or_decode():
    sessions = session_module()
    session_ext = sessions.Session()   # not attached: allowed
    with raises(ValueError):
        session_ext.encode({'a': 1})
    with raises(ValueError):
        session_ext.decode(PYJWT_TOKEN)


def test_a_missing_jwt_module_is_reported_with_how_to_install_it():
    import sys
    saved = {}
    for name in ('jwt', 'microdot.session'):
        if name in sys.modules:
            saved[name] = sys.modules.pop(name)
    try:
        if IS_MICROPYTHON:
            try:
                import jwt  # noqa: F401
                skip('a jwt module is installed here, so none is missing')
            except ImportError:
                pass
        else:
            sys.modules['jwt'] = None   # makes `import jwt` fail
        with raises(ImportError) as caught:
            import microdot.session  # noqa: F401
        message = str(caught.value)
        assert 'mpremote mip install pyjwt' in message
        assert 'pip install PyJWT' in message
    finally:
        sys.modules.pop('jwt', None)
        sys.modules.pop('microdot.session', None)
        for name in saved:
            sys.modules[name] = saved[name]


# --- hostile cookies ---------------------------------------------------------

def hostile_tokens():
    good = raw_token({'username': 'admin'})
    head, body, sig = good.split('.')
    past = int(unix_time()) - 10
    other = 'A' if body[3] != 'A' else 'B'
    return {
        'tampered payload': head + '.' + body[:3] + other + body[4:] + '.' +
        sig,
        'forged payload': head + '.' + b64url_encode(
            b'{"username":"root"}').decode() + '.' + sig,
        'tampered signature': head + '.' + body + '.' + sig[:-1] +
        ('A' if sig[-1] != 'A' else 'B'),
        'truncated': good[:-5],
        'no signature': head + '.' + body + '.',
        'two segments': head + '.' + body,
        'wrong key': raw_token({'username': 'admin'}, key=OTHER_KEY),
        'alg none': (b64url_encode(b'{"alg":"none","typ":"JWT"}') + b'.' +
                     body.encode() + b'.').decode(),
        'alg none, signed': raw_token({'username': 'admin'},
                                      header={'alg': 'none'}),
        'alg HS512': raw_token({'username': 'admin'},
                               header={'alg': 'HS512'}),
        'expired': raw_token({'username': 'admin', 'exp': past}),
        'not yet valid': raw_token({'username': 'admin',
                                    'nbf': past + 3600}),
        'not an object': raw_token(['username', 'admin']),
        'garbage': 'not-a-token',
        'empty-ish': '..',
        'percent-encoded': '%FF%00',
    }


async def test_hostile_cookies_give_an_empty_session_never_an_error():
    sessions = session_module()
    app = login_app(sessions)
    for name, token in hostile_tokens().items():
        client = TestClient(app, cookies={'session': token})
        res = await client.get('/data')
        assert res.status_code == 200, name
        assert res.json == {}, name
        res = await client.get('/')
        assert res.text == 'Not logged in', name


def test_decode_returns_an_empty_dict_for_hostile_tokens():
    sessions = session_module()
    session_ext = sessions.Session(secret_key=KEY)
    for name, token in hostile_tokens().items():
        assert session_ext.decode(token) == {}, name
    for value in (None, 42, b'\xff', ['a']):
        assert session_ext.decode(value) == {}


async def test_a_session_that_expires_later_is_read():
    sessions = session_module()
    later = int(unix_time()) + 3600
    token = raw_token({'username': 'eve', 'exp': later})
    client = TestClient(login_app(sessions), cookies={'session': token})
    assert (await client.get('/')).text == 'Logged in as eve'


async def test_answers_that_read_the_session_vary_on_cookie():
    # a cache must not give one user's page to another, whatever the
    # handler returns, errors included (as in Microdot)
    sessions = session_module()
    app = Microdot()
    sessions.Session(app, secret_key=KEY)

    @app.get('/plain')
    async def plain(req):
        return 'no session'

    @app.get('/mine')
    @sessions.with_session
    async def mine(req, session):
        return str(session.get('n'))

    @app.get('/broken')
    @sessions.with_session
    async def broken(req):      # a wrong signature: a 500
        return 'never'

    client = TestClient(app)
    assert 'Vary' not in (await client.get('/plain')).headers
    assert (await client.get('/mine')).headers['Vary'] == 'Cookie'
    res = await client.get('/broken')
    assert (res.status_code, res.headers['Vary']) == (500, 'Cookie')
