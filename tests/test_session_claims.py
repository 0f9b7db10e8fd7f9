"""Session cookies whose signature is right but whose time claims are not
numbers, and the constant-time comparison of signatures.

A token signed with the app's key but with ``exp`` or ``nbf`` that is not
a number (a string of digits, ``true``, a list...) must give an empty
session: jwt libraries read some of these as numbers (``int("99999")``,
``int(True)``), so microdot.hs256's own check is what refuses them.
The comparison of signatures cannot be timed in a test; what is observable
is that every signature goes through ``hs256.equal`` (which reads every
byte, see test_session_hs256.py) and never through ``==``/``!=``."""
import json

from test_session import KEY, login_app, session_module

import microdot.hs256 as hs256
from microdot.compat import unix_time
from microdot.hs256 import b64url_encode, signature, verify
from microdot.test_client import TestClient

LATER = int(unix_time()) + 3600
EARLIER = int(unix_time()) - 3600


def token(claims_json, key=KEY):
    """A token signed with ``key`` whose payload is ``claims_json``, the
    JSON text exactly as given."""
    head = b64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = b64url_encode(claims_json.encode())
    return (head + b'.' + body + b'.' +
            signature(head + b'.' + body, key)).decode()


# (claims, what is wrong): each signed with the right key
NOT_NUMBERS = (
    ('{"username": "admin", "exp": "' + str(LATER) + '"}', 'exp a string'),
    ('{"username": "admin", "exp": true}', 'exp true'),
    ('{"username": "admin", "exp": [' + str(LATER) + ']}', 'exp a list'),
    ('{"username": "admin", "exp": {"t": ' + str(LATER) + '}}',
     'exp an object'),
    ('{"username": "admin", "exp": null}', 'exp null'),
    ('{"username": "admin", "nbf": "' + str(EARLIER) + '"}', 'nbf a string'),
    ('{"username": "admin", "nbf": "0"}', 'nbf "0"'),
    ('{"username": "admin", "nbf": true}', 'nbf true'),
    ('{"username": "admin", "nbf": false}', 'nbf false'),
    ('{"username": "admin", "nbf": [0]}', 'nbf a list'),
    ('{"username": "admin", "nbf": null}', 'nbf null'),
    ('{"username": "admin", "exp": ' + str(LATER) + ', "nbf": true}',
     'a good exp, nbf true'),
)
NUMBERS = (
    '{"username": "admin", "exp": ' + str(LATER) + '}',
    '{"username": "admin", "exp": ' + str(LATER) + '.5}',
    '{"username": "admin", "nbf": ' + str(EARLIER) + '}',
    '{"username": "admin", "nbf": 0, "exp": ' + str(LATER) + '}',
)


def test_verify_refuses_time_claims_that_are_not_numbers():
    for claims, why in NOT_NUMBERS:
        assert verify(token(claims), KEY) is None, why
    for claims in NUMBERS:
        assert verify(token(claims), KEY) == json.loads(claims), claims


def test_decode_gives_an_empty_session_for_such_claims():
    sessions = session_module()
    session_ext = sessions.Session(secret_key=KEY)
    for claims, why in NOT_NUMBERS:
        assert session_ext.decode(token(claims)) == {}, why
    for claims in NUMBERS:
        assert session_ext.decode(token(claims)) == json.loads(claims), \
            claims


async def test_such_a_cookie_is_an_empty_session_for_the_handler():
    sessions = session_module()
    app = login_app(sessions)
    for claims, why in NOT_NUMBERS:
        client = TestClient(app, cookies={'session': token(claims)})
        res = await client.get('/')
        assert res.text == 'Not logged in', why
    client = TestClient(app, cookies={'session': token(NUMBERS[0])})
    assert (await client.get('/')).text == 'Logged in as admin'


class RecordingEqual:
    """Stands for hs256.equal while installed, recording its arguments."""

    def __init__(self):
        self.calls = []
        self.original = hs256.equal

    def __call__(self, a, b):
        self.calls.append((bytes(a), bytes(b)))
        return self.original(a, b)

    def __enter__(self):
        hs256.equal = self
        return self

    def __exit__(self, *exc):
        hs256.equal = self.original


def test_every_signature_is_compared_with_equal():
    good = token('{"username": "admin"}')
    head, body, sig = good.split('.')
    wrong = token('{"username": "admin"}', key='another key')
    tampered = head + '.' + body + '.' + sig[:-2] + \
        ('AA' if sig[-2:] != 'AA' else 'BB')
    with RecordingEqual() as equal:
        assert verify(good, KEY) == {'username': 'admin'}
        assert verify(wrong, KEY) is None
        assert verify(tampered, KEY) is None
    expected = sig.encode()
    assert equal.calls == [(expected, expected),
                           (expected, wrong.split('.')[2].encode()),
                           (expected, tampered.split('.')[2].encode())]


def test_the_session_compares_signatures_with_equal():
    sessions = session_module()
    session_ext = sessions.Session(secret_key=KEY)
    good = token('{"username": "admin"}')
    with RecordingEqual() as equal:
        assert session_ext.decode(good) == {'username': 'admin'}
        assert session_ext.decode(token('{"a": 1}', key='x' * 32)) == {}
    assert len(equal.calls) == 2
    assert equal.calls[0][1] == good.split('.')[2].encode()


async def test_with_session_passes_arguments_and_keeps_the_name():
    sessions = session_module()
    from microdot import Microdot
    app = Microdot()
    sessions.Session(app, secret_key=KEY)
    seen = []

    async def handler(req, session, *args, **kwargs):
        """Handler's own doc."""
        # (items(): MicroPython's dict() takes no dict subclass)
        seen.append(({k: v for k, v in session.items()}, args, kwargs))
        return 'ok'

    wrapped = sessions.with_session(handler)
    from support import IS_MICROPYTHON
    if not IS_MICROPYTHON:   # MicroPython functions take no attributes
        assert wrapped.__name__ == 'handler'
        assert wrapped.__doc__ == 'Handler\'s own doc.'

    @app.get('/<int:n>')
    async def route(req, n):
        return await wrapped(req, 'extra', n=n)

    client = TestClient(app, cookies={'session': token(NUMBERS[0])})
    assert (await client.get('/5')).text == 'ok'
    assert seen == [(json.loads(NUMBERS[0]), ('extra',), {'n': 5})]


def test_b64url_keeps_trailing_letters_and_says_what_it_refuses():
    from microdot.hs256 import b64url_decode
    from support import raises
    for data, text in ((b'\x00\x00\x17', b'AAAX'), (b'\x00\x17', b'ABc'),
                       (b'\xff\xff\xfe', b'___-'), (b'\x00', b'AA')):
        assert b64url_encode(data) == text, data
        assert b64url_decode(text) == data, text
    for text in ('A', 'AA=A', 'AB+C', 'AB/C', 'AA==', 'A A'):
        with raises(ValueError) as caught:
            b64url_decode(text)
        assert str(caught.value) == 'Malformed base64url', text


async def test_a_session_attached_to_a_mounted_sub_app_serves_its_routes():
    sessions = session_module()
    from microdot import Microdot
    app = Microdot()
    sub = Microdot()
    sessions.Session(sub, secret_key=KEY)

    @sub.get('/who')
    @sessions.with_session
    async def who(req, session):
        return session.get('username', 'nobody')

    app.mount(sub, url_prefix='/sub')
    client = TestClient(app, cookies={'session': token(NUMBERS[0])})
    res = await client.get('/sub/who')
    assert (res.status_code, res.text) == (200, 'admin')


async def test_without_a_session_or_a_key_the_errors_say_what_to_do():
    sessions = session_module()
    from microdot import Microdot
    from support import raises
    app = Microdot()
    errors = []

    @app.get('/')
    @sessions.with_session
    async def index(req, session):
        return 'never'

    @app.errorhandler(RuntimeError)
    async def runtime_error(req, exc):
        errors.append(str(exc))
        return 'no session', 500

    res = await TestClient(app).get('/')
    assert res.status_code == 500
    assert errors == ['No Session is attached to this app: create '
                      'Session(app, secret_key=...) first']
    with raises(ValueError) as caught:
        sessions.Session().encode({'a': 1})
    assert str(caught.value) == 'The session secret key is not ' \
        'configured: use Session(app, secret_key=...)'
