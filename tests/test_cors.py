"""microdot.cors: the CORS headers of responses and preflight answers,
through the test client."""
from support import raises

from microdot import Microdot, Response
from microdot.cors import CORS
from microdot.test_client import TestClient

GOOD = 'https://example.com'
CORS_HEADERS = ('Access-Control-Allow-Origin',
                'Access-Control-Allow-Credentials',
                'Access-Control-Allow-Methods',
                'Access-Control-Allow-Headers',
                'Access-Control-Expose-Headers',
                'Access-Control-Max-Age')


def make_app(**options):
    app = Microdot()
    cors = CORS(app, **options)

    @app.route('/', methods=['GET', 'POST'])
    def index(req):
        return 'hello'

    @app.get('/vary')
    def vary(req):
        return 'varies', {'Vary': 'Accept-Encoding, X-Foo'}

    @app.delete('/item')
    def item(req):
        return 'deleted'

    return app, cors


def cors_headers_of(res):
    return [name for name in CORS_HEADERS if name in res.headers]


def preflight(client, path, origin=GOOD, method='POST', headers=None):
    request_headers = {'Origin': origin,
                       'Access-Control-Request-Method': method}
    if headers:
        request_headers['Access-Control-Request-Headers'] = headers
    return client.request('OPTIONS', path, headers=request_headers)


# --- simple requests ---------------------------------------------------------

async def test_an_allowed_origin_is_echoed_with_vary_and_credentials():
    app, _ = make_app(allowed_origins=[GOOD], allow_credentials=True)
    res = await TestClient(app).get('/', headers={'Origin': GOOD})
    assert res.status_code == 200 and res.text == 'hello'
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert res.headers['Access-Control-Allow-Credentials'] == 'true'
    assert res.headers['Vary'] == 'Origin'


async def test_without_allow_credentials_no_credentials_header():
    app, _ = make_app(allowed_origins=[GOOD])
    res = await TestClient(app).get('/', headers={'Origin': GOOD})
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert 'Access-Control-Allow-Credentials' not in res.headers


async def test_a_request_without_origin_gets_no_cors_headers_but_vary():
    # the answer depends on Origin, so caches must key on it
    app, _ = make_app(allowed_origins=[GOOD], allow_credentials=True,
                      expose_headers=['X-Total'])
    res = await TestClient(app).get('/')
    assert res.status_code == 200
    assert cors_headers_of(res) == []
    assert res.headers['Vary'] == 'Origin'


async def test_disallowed_origins_get_no_cors_headers():
    app, _ = make_app(allowed_origins=[GOOD, 'http://localhost:8080'],
                      allow_credentials=True, expose_headers=['X-Total'])
    client = TestClient(app)
    for origin in ('https://evil.com',
                   'https://example.com.evil.com',     # suffix trick
                   'https://evilexample.com',          # prefix trick
                   'https://example.co',               # substring
                   'https://example.comm',
                   'http://example.com',               # other scheme
                   'https://example.com:8443',         # other port
                   'https://sub.example.com',
                   'https://example.com/',
                   'https://example.com, https://evil.com',
                   'null', '*', '', 'localhost:8080',
                   'http://localhost:80800'):
        res = await client.get('/', headers={'Origin': origin})
        assert res.status_code == 200, origin
        assert cors_headers_of(res) == [], origin


async def test_a_single_origin_string_is_not_matched_as_a_substring():
    app, cors = make_app(allowed_origins=GOOD)
    assert cors.allowed_origins == [GOOD]
    client = TestClient(app)
    res = await client.get('/', headers={'Origin': 'https://example.co'})
    assert cors_headers_of(res) == []
    res = await client.get('/', headers={'Origin': GOOD})
    assert res.headers['Access-Control-Allow-Origin'] == GOOD


async def test_configured_origins_are_normalized():
    # browsers send scheme://host[:port] in lower case, without a slash
    app, _ = make_app(allowed_origins=['HTTPS://Example.COM/'])
    res = await TestClient(app).get('/', headers={'Origin': GOOD})
    assert res.headers['Access-Control-Allow-Origin'] == GOOD


async def test_expose_headers_are_sent_to_allowed_origins():
    app, _ = make_app(allowed_origins=[GOOD],
                      expose_headers=['X-Total', 'X-Page'])
    res = await TestClient(app).get('/', headers={'Origin': GOOD})
    assert res.headers['Access-Control-Expose-Headers'] == 'X-Total, X-Page'


async def test_error_responses_carry_cors_headers_too():
    app, _ = make_app(allowed_origins=[GOOD], allow_credentials=True)
    client = TestClient(app)
    res = await client.get('/missing', headers={'Origin': GOOD})
    assert res.status_code == 404
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert res.headers['Access-Control-Allow-Credentials'] == 'true'
    res = await client.request('PUT', '/', headers={'Origin': GOOD})
    assert res.status_code == 405
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    res = await client.get('/missing', headers={'Origin': 'https://evil.com'})
    assert res.status_code == 404 and cors_headers_of(res) == []


async def test_an_existing_vary_header_is_extended_not_replaced():
    app, _ = make_app(allowed_origins=[GOOD])
    client = TestClient(app)
    res = await client.get('/vary', headers={'Origin': GOOD})
    assert res.headers['Vary'] == 'Accept-Encoding, X-Foo, Origin'
    res = await client.get('/vary')
    assert res.headers['Vary'] == 'Accept-Encoding, X-Foo, Origin'


async def test_origin_already_in_vary_is_not_repeated():
    app = Microdot()
    CORS(app, allowed_origins=[GOOD])

    @app.get('/')
    def index(req):
        return 'x', {'Vary': 'origin'}

    res = await TestClient(app).get('/', headers={'Origin': GOOD})
    assert res.headers['Vary'] == 'origin'


# --- allowed_origins='*' -----------------------------------------------------

async def test_star_allows_every_origin_by_echoing_it():
    app, _ = make_app(allowed_origins='*', expose_headers=['X-Total'])
    client = TestClient(app)
    res = await client.get('/', headers={'Origin': 'https://anywhere.org'})
    assert res.headers['Access-Control-Allow-Origin'] == \
        'https://anywhere.org'
    assert res.headers['Vary'] == 'Origin'
    assert res.headers['Access-Control-Expose-Headers'] == 'X-Total'
    assert 'Access-Control-Allow-Credentials' not in res.headers
    res = await client.get('/')
    assert res.headers['Access-Control-Allow-Origin'] == '*'
    assert 'Vary' not in res.headers


async def test_star_answers_a_malformed_origin_with_a_plain_star():
    app, _ = make_app(allowed_origins='*')
    res = await TestClient(app).get('/', headers={
        'Origin': 'https://a.com https://b.com'})
    assert res.headers['Access-Control-Allow-Origin'] == '*'


def test_credentials_with_star_are_refused():
    with raises(ValueError) as caught:
        CORS(Microdot(), allowed_origins='*', allow_credentials=True)
    assert 'allow_credentials' in str(caught.value)


async def test_credentials_are_never_sent_with_star_even_if_set_later():
    app, cors = make_app(allowed_origins='*')
    cors.allow_credentials = True
    client = TestClient(app)
    for headers in ({'Origin': GOOD}, {}):
        res = await client.get('/', headers=headers)
        assert 'Access-Control-Allow-Credentials' not in res.headers
    res = await preflight(client, '/')
    assert 'Access-Control-Allow-Credentials' not in res.headers


async def test_no_allowed_origins_means_no_cors_headers():
    app, _ = make_app()
    res = await TestClient(app).get('/', headers={'Origin': GOOD})
    assert cors_headers_of(res) == [] and 'Vary' not in res.headers


# --- preflight ---------------------------------------------------------------

async def test_preflight_is_answered_with_method_and_headers():
    app, _ = make_app(allowed_origins=[GOOD], allow_credentials=True)
    res = await preflight(TestClient(app), '/', headers='X-Test, Content-Type')
    assert res.status_code == 200
    assert res.body == b''
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert res.headers['Access-Control-Allow-Credentials'] == 'true'
    assert res.headers['Access-Control-Allow-Methods'] == 'POST'
    assert res.headers['Access-Control-Allow-Headers'] == \
        'X-Test, Content-Type'
    assert res.headers['Vary'] == 'Origin'
    assert 'POST' in res.headers['Allow']   # the core's own answer is kept
    assert 'Access-Control-Max-Age' not in res.headers


async def test_preflight_refuses_a_method_the_route_does_not_accept():
    app, _ = make_app(allowed_origins=[GOOD])
    client = TestClient(app)
    res = await preflight(client, '/', method='DELETE')
    assert res.status_code == 200
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert 'Access-Control-Allow-Methods' not in res.headers
    res = await preflight(client, '/item', method='delete')
    assert res.headers['Access-Control-Allow-Methods'] == 'DELETE'


async def test_preflight_honours_allowed_methods_headers_and_max_age():
    app, _ = make_app(allowed_origins='*', allowed_methods=['post'],
                      allowed_headers=['X-Test'], max_age=3600)
    client = TestClient(app)
    res = await preflight(client, '/', headers='x-test, X-Other')
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert res.headers['Access-Control-Allow-Methods'] == 'POST'
    assert res.headers['Access-Control-Allow-Headers'] == 'x-test'
    assert res.headers['Access-Control-Max-Age'] == '3600'
    res = await preflight(client, '/', method='GET', headers='X-Other')
    assert 'Access-Control-Allow-Methods' not in res.headers
    assert 'Access-Control-Allow-Headers' not in res.headers


async def test_max_age_zero_is_sent():
    app, _ = make_app(allowed_origins=[GOOD], max_age=0)
    res = await preflight(TestClient(app), '/')
    assert res.headers['Access-Control-Max-Age'] == '0'


async def test_preflight_from_a_disallowed_origin_gets_no_cors_headers():
    app, _ = make_app(allowed_origins=[GOOD], allow_credentials=True,
                      max_age=600)
    res = await preflight(TestClient(app), '/', origin='https://evil.com',
                          headers='X-Test')
    assert res.status_code == 200
    assert cors_headers_of(res) == []
    assert res.headers['Vary'] == 'Origin'


async def test_plain_options_request_gets_origin_headers_only():
    app, _ = make_app(allowed_origins=[GOOD], max_age=600)
    res = await TestClient(app).request('OPTIONS', '/',
                                        headers={'Origin': GOOD})
    assert res.status_code == 200
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert 'Access-Control-Allow-Methods' not in res.headers
    assert 'Access-Control-Max-Age' not in res.headers


async def test_an_options_route_of_the_app_gets_cors_headers():
    app = Microdot()
    CORS(app, allowed_origins=[GOOD])

    @app.route('/custom', methods=['OPTIONS', 'PATCH'])
    def custom(req):
        return 'mine', 204

    res = await preflight(TestClient(app), '/custom', method='PATCH')
    assert res.status_code == 204
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert res.headers['Access-Control-Allow-Methods'] == 'PATCH'


async def test_preflight_to_an_unknown_path_is_a_404():
    app, _ = make_app(allowed_origins=[GOOD])
    res = await preflight(TestClient(app), '/nowhere')
    assert res.status_code == 404
    assert 'Access-Control-Allow-Methods' not in res.headers


# --- wiring ------------------------------------------------------------------

async def test_initialize_attaches_a_cors_object_made_earlier():
    cors = CORS(allowed_origins=[GOOD])
    app = Microdot()

    @app.get('/')
    def index(req):
        return 'x'

    client = TestClient(app)
    res = await client.get('/', headers={'Origin': GOOD})
    assert cors_headers_of(res) == []
    cors.initialize(app)
    res = await client.get('/', headers={'Origin': GOOD})
    assert res.headers['Access-Control-Allow-Origin'] == GOOD


async def test_handle_cors_false_leaves_headers_to_the_app():
    app = Microdot()
    cors = CORS(app, allowed_origins=[GOOD], handle_cors=False)

    @app.get('/')
    def index(req):
        return 'x'

    @app.get('/manual')
    def manual(req):
        return 'x', cors.get_cors_headers(req)

    client = TestClient(app)
    res = await client.get('/', headers={'Origin': GOOD})
    assert cors_headers_of(res) == [] and 'Vary' not in res.headers
    res = await preflight(client, '/')
    assert cors_headers_of(res) == []
    res = await client.get('/manual', headers={'Origin': GOOD})
    assert res.headers['Access-Control-Allow-Origin'] == GOOD


async def test_a_taken_over_response_is_left_alone():
    # Response.already_handled is shared by every request: never modified
    app = Microdot()
    cors = CORS(app, allowed_origins=[GOOD])

    class Req:
        method = 'GET'
        headers = {'Origin': GOOD}

    before = dict(Response.already_handled.headers)
    assert cors.after_request(Req(), Response.already_handled) is \
        Response.already_handled
    assert dict(Response.already_handled.headers) == before


def test_an_origin_may_hold_any_visible_character_but_a_comma():
    from microdot.cors import _is_origin
    for c in '!"#~':
        assert _is_origin('https://a' + c), c
    for c in ' ,\x7f\x1f':
        assert not _is_origin('https://a' + c), c
    assert not _is_origin('')
