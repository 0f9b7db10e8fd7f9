"""microdot.auth: BasicAuth and TokenAuth through the TestClient."""
import binascii

from microdot import Microdot
from microdot.auth import BasicAuth, TokenAuth
from microdot.test_client import TestClient

USERS = {'susan': 'hello', 'david': 'by:e'}
TOKENS = {'t0k3n': 'susan'}


def basic(username, password):
    pair = (username + ':' + password).encode()
    return 'Basic ' + binascii.b2a_base64(pair).decode().strip()


def basic_app(auth=None):
    app = Microdot()
    auth = auth or BasicAuth()

    @auth.authenticate
    async def verify(request, username, password):
        if USERS.get(username) == password:
            return username

    @app.route('/')
    @auth
    async def index(request):
        return 'Hello, ' + request.g.current_user

    @app.route('/maybe')
    @auth.optional
    def maybe(request):   # a sync handler behind the decorator
        return 'Hello, ' + (request.g.current_user or 'anonymous')

    @app.route('/users/<int:uid>')
    @auth
    async def user(request, uid):
        return {'uid': uid, 'user': request.g.current_user}

    return app


async def test_basic_auth_lets_valid_credentials_in():
    client = TestClient(basic_app())
    res = await client.get('/', headers={'Authorization': basic('susan',
                                                                'hello')})
    assert res.status_code == 200
    assert res.text == 'Hello, susan'
    # a password may contain colons: only the first one separates
    res = await client.get('/', headers={'Authorization': basic('david',
                                                                'by:e')})
    assert res.text == 'Hello, david'


async def test_basic_auth_challenges_missing_or_wrong_credentials():
    client = TestClient(basic_app())
    for headers in ({}, {'Authorization': basic('susan', 'wrong')},
                    {'Authorization': basic('nobody', 'hello')}):
        res = await client.get('/', headers=headers)
        assert res.status_code == 401
        assert res.headers['WWW-Authenticate'] == \
            'Basic realm="Please login", charset="UTF-8"'
        assert res.text == ''


async def test_basic_auth_ignores_malformed_credentials():
    client = TestClient(basic_app())
    bad = ['Basic', 'Basic !!!notbase64', 'Basic ' + binascii.b2a_base64(
        b'no-colon').decode().strip(), 'Basic ' + binascii.b2a_base64(
        b'\xff\xfe:x').decode().strip(), 'Bearer ' + 'abc',
        basic('susan', 'hello').replace('Basic', 'Digest')]
    for value in bad:
        res = await client.get('/', headers={'Authorization': value})
        assert res.status_code == 401, value


async def test_basic_auth_scheme_is_case_insensitive():
    client = TestClient(basic_app())
    value = basic('susan', 'hello').replace('Basic', 'bAsIc')
    res = await client.get('/', headers={'Authorization': value})
    assert res.status_code == 200


async def test_basic_auth_options_shape_the_challenge():
    auth = BasicAuth(realm='My "app"', charset='ISO-8859-1', scheme='Custom',
                     error_status=403)
    res = await TestClient(basic_app(auth)).get('/')
    assert res.status_code == 403
    assert res.headers['WWW-Authenticate'] == \
        'Custom realm="My \\"app\\"", charset="ISO-8859-1"'


async def test_basic_auth_with_app_argument_as_documented():
    app = Microdot()
    auth = BasicAuth(app)   # the docs' spelling: app is not a realm
    res = await TestClient(basic_app(auth)).get('/')
    assert res.headers['WWW-Authenticate'] == \
        'Basic realm="Please login", charset="UTF-8"'


async def test_optional_auth_runs_with_and_without_a_user():
    client = TestClient(basic_app())
    res = await client.get('/maybe')
    assert res.status_code == 200
    assert res.text == 'Hello, anonymous'
    res = await client.get('/maybe', headers={
        'Authorization': basic('susan', 'hello')})
    assert res.text == 'Hello, susan'
    res = await client.get('/maybe', headers={
        'Authorization': basic('susan', 'bad')})
    assert res.text == 'Hello, anonymous'


async def test_route_arguments_pass_through_the_decorator():
    client = TestClient(basic_app())
    res = await client.get('/users/42', headers={
        'Authorization': basic('susan', 'hello')})
    assert res.json == {'uid': 42, 'user': 'susan'}


def token_app(auth):
    app = Microdot()

    @auth.authenticate
    def verify(request, token):   # a sync verifier
        return TOKENS.get(token)

    @app.route('/')
    @auth
    async def index(request):
        return 'Hello, ' + request.g.current_user

    @app.route('/maybe')
    @auth.optional
    async def maybe(request):
        return 'Hello, ' + (request.g.current_user or 'anonymous')

    @app.errorhandler(401)
    async def unauthorized(request):
        return {'error': 'unauthorized'}, 401

    return app


async def test_token_auth_with_bearer_tokens():
    client = TestClient(token_app(TokenAuth()))
    res = await client.get('/', headers={'Authorization': 'Bearer t0k3n'})
    assert res.status_code == 200
    assert res.text == 'Hello, susan'
    res = await client.get('/', headers={'Authorization': 'bearer  t0k3n '})
    assert res.text == 'Hello, susan'


async def test_token_auth_failure_goes_through_the_app_error_handler():
    client = TestClient(token_app(TokenAuth()))
    for headers in ({}, {'Authorization': 'Bearer wrong'},
                    {'Authorization': 'Basic t0k3n'},
                    {'Authorization': 'Bearer'}):
        res = await client.get('/', headers=headers)
        assert res.status_code == 401
        assert res.json == {'error': 'unauthorized'}


async def test_token_auth_error_status():
    res = await TestClient(token_app(TokenAuth(error_status=403))).get('/')
    assert res.status_code == 403


async def test_token_in_a_custom_header_and_scheme():
    client = TestClient(token_app(TokenAuth(header='X-Token')))
    res = await client.get('/', headers={'X-Token': 't0k3n'})
    assert res.text == 'Hello, susan'
    res = await client.get('/', headers={'Authorization': 'Bearer t0k3n'})
    assert res.status_code == 401
    client = TestClient(token_app(TokenAuth(scheme='Token')))
    res = await client.get('/', headers={'Authorization': 'Token t0k3n'})
    assert res.text == 'Hello, susan'
    res = await client.get('/', headers={'Authorization': 'Bearer t0k3n'})
    assert res.status_code == 401


async def test_token_auth_errorhandler_replaces_the_answer():
    auth = TokenAuth()
    app = token_app(auth)

    @auth.errorhandler
    async def denied(request):
        return {'denied': request.path}, 418

    res = await TestClient(app).get('/')
    assert res.status_code == 418
    assert res.json == {'denied': '/'}


async def test_basic_auth_errorhandler_replaces_the_challenge():
    auth = BasicAuth()
    app = basic_app(auth)

    @auth.errorhandler
    def denied(request):
        return 'go away', 401

    res = await TestClient(app).get('/')
    assert res.status_code == 401
    assert res.text == 'go away'
    assert 'WWW-Authenticate' not in res.headers


async def test_optional_token_auth():
    client = TestClient(token_app(TokenAuth()))
    assert (await client.get('/maybe')).text == 'Hello, anonymous'
    res = await client.get('/maybe', headers={'Authorization': 'Bearer t0k3n'})
    assert res.text == 'Hello, susan'


async def test_missing_authenticate_function_is_a_server_error():
    app = Microdot()
    auth = TokenAuth()

    @app.route('/')
    @auth
    async def index(request):
        return 'never'

    res = await TestClient(app).get('/', headers={
        'Authorization': 'Bearer x'})
    assert res.status_code == 500
