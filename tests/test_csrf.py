"""microdot.csrf: Sec-Fetch-Site and Origin checks, exemptions, CORS."""
from microdot import Microdot
from microdot.cors import CORS
from microdot.csrf import CSRF
from microdot.test_client import TestClient

TRUSTED = 'https://example.com'


def make_app(protect_all=True, allow_subdomains=False, origins=None,
             with_cors=True):
    app = Microdot()
    cors = CORS(app, allowed_origins=origins or [TRUSTED]) \
        if with_cors else None
    csrf = CSRF(app, cors, protect_all=protect_all,
                allow_subdomains=allow_subdomains)

    @app.route('/data', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
    async def data(request):
        return request.method

    @app.post('/webhook')
    @csrf.exempt
    async def webhook(request):
        return 'hooked'

    @app.post('/submit-form')
    @csrf.protect
    async def submit_form(request):
        return 'submitted'

    @app.get('/sensitive')
    @csrf.protect
    async def sensitive(request):
        return 'sensitive'

    return app


async def status(app, method, path, **headers):
    headers = {name.replace('_', '-'): value
               for name, value in headers.items()}
    res = await TestClient(app, host='api.test').request(method, path,
                                                         headers=headers)
    return res.status_code


async def test_safe_methods_are_never_checked_by_default():
    app = make_app()
    for method in ('GET', 'HEAD'):
        assert await status(app, method, '/data',
                            Sec_Fetch_Site='cross-site') == 200
    assert await status(app, 'OPTIONS', '/data',
                        Sec_Fetch_Site='cross-site') == 200


async def test_state_changing_methods_follow_sec_fetch_site():
    app = make_app()
    for method in ('POST', 'PUT', 'PATCH', 'DELETE'):
        for site, expected in (('same-origin', 200), ('none', 200),
                               ('same-site', 403), ('cross-site', 403),
                               ('Same-Origin', 200), ('bogus', 403)):
            assert await status(app, method, '/data',
                                Sec_Fetch_Site=site) == expected, \
                (method, site)


async def test_forbidden_answer():
    res = await TestClient(make_app()).post('/data', headers={
        'Sec-Fetch-Site': 'cross-site'})
    assert res.status_code == 403
    assert res.text == 'Forbidden'


async def test_requests_without_browser_headers_pass():
    assert await status(make_app(), 'POST', '/data') == 200
    assert await status(make_app(with_cors=False), 'POST', '/data') == 200


async def test_origin_is_checked_when_sec_fetch_site_is_missing():
    app = make_app()
    assert await status(app, 'POST', '/data', Origin=TRUSTED) == 200
    assert await status(app, 'POST', '/data', Origin='HTTPS://Example.com') \
        == 200
    assert await status(app, 'POST', '/data',
                        Origin='https://evil.com') == 403
    assert await status(app, 'POST', '/data', Origin='null') == 403
    assert await status(app, 'POST', '/data',
                        Origin='http://example.com') == 403
    assert await status(app, 'POST', '/data',
                        Origin='https://example.com.evil.com') == 403


async def test_own_origin_passes_without_cors():
    app = make_app(with_cors=False)
    assert await status(app, 'POST', '/data', Origin='http://api.test') == 200
    assert await status(app, 'POST', '/data',
                        Origin='https://api.test') == 403   # scheme differs
    assert await status(app, 'POST', '/data', Origin=TRUSTED) == 403


async def test_cross_site_request_from_a_cors_origin_passes():
    app = make_app()
    assert await status(app, 'POST', '/data', Sec_Fetch_Site='cross-site',
                        Origin=TRUSTED) == 200
    assert await status(app, 'POST', '/data', Sec_Fetch_Site='cross-site',
                        Origin='https://evil.com') == 403


async def test_wildcard_cors_trusts_no_origin():
    app = make_app(origins='*')
    assert await status(app, 'POST', '/data',
                        Origin='https://anything.com') == 403
    assert await status(app, 'POST', '/data', Sec_Fetch_Site='cross-site',
                        Origin='https://anything.com') == 403
    assert await status(app, 'POST', '/data',
                        Sec_Fetch_Site='same-origin') == 200


async def test_subdomains():
    strict = make_app()
    relaxed = make_app(allow_subdomains=True)
    assert await status(strict, 'POST', '/data',
                        Sec_Fetch_Site='same-site') == 403
    assert await status(relaxed, 'POST', '/data',
                        Sec_Fetch_Site='same-site') == 200
    sub = 'https://app.example.com'
    assert await status(strict, 'POST', '/data', Origin=sub) == 403
    assert await status(relaxed, 'POST', '/data', Origin=sub) == 200
    assert await status(relaxed, 'POST', '/data',
                        Origin='http://app.example.com') == 403
    assert await status(relaxed, 'POST', '/data',
                        Origin='https://badexample.com') == 403
    assert await status(relaxed, 'POST', '/data',
                        Origin='http://www.api.test') == 200
    assert await status(relaxed, 'POST', '/data', Sec_Fetch_Site='cross-site',
                        Origin='https://evil.com') == 403


async def test_exempt_route_is_not_checked():
    app = make_app()
    assert await status(app, 'POST', '/webhook',
                        Sec_Fetch_Site='cross-site') == 200


async def test_protect_all_false_checks_only_protected_routes():
    app = make_app(protect_all=False)
    assert await status(app, 'POST', '/data',
                        Sec_Fetch_Site='cross-site') == 200
    assert await status(app, 'POST', '/submit-form',
                        Sec_Fetch_Site='cross-site') == 403
    assert await status(app, 'POST', '/submit-form',
                        Sec_Fetch_Site='same-origin') == 200
    # protect applies to safe methods too
    assert await status(app, 'GET', '/sensitive',
                        Sec_Fetch_Site='cross-site') == 403
    assert await status(app, 'GET', '/sensitive') == 200


async def test_protect_on_a_safe_method_with_protect_all():
    app = make_app()
    assert await status(app, 'GET', '/sensitive',
                        Sec_Fetch_Site='cross-site') == 403


async def test_docs_example_and_initialize_later():
    app = Microdot()
    cors = CORS(app, allowed_origins=['https://example.com'])
    csrf = CSRF()
    csrf.initialize(app, cors)

    @app.post('/webhook')
    @csrf.exempt
    async def webhook(request):
        return 'ok'

    @app.post('/form')
    async def form(request):
        return 'ok'

    assert await status(app, 'POST', '/form',
                        Sec_Fetch_Site='cross-site') == 403
    assert await status(app, 'POST', '/form', Sec_Fetch_Site='cross-site',
                        Origin='https://example.com') == 200
    assert await status(app, 'POST', '/webhook',
                        Sec_Fetch_Site='cross-site') == 200
    assert CSRF.SAFE_METHODS == ['GET', 'HEAD', 'OPTIONS']


async def test_unknown_routes_still_404():
    app = make_app()
    assert await status(app, 'POST', '/nowhere',
                        Sec_Fetch_Site='cross-site') == 404


async def test_cors_headers_are_still_added_to_a_403():
    app = make_app()
    res = await TestClient(app).post('/data', headers={
        'Sec-Fetch-Site': 'same-site', 'Origin': 'https://evil.com'})
    assert res.status_code == 403
    assert 'Access-Control-Allow-Origin' not in res.headers
    res = await TestClient(app).post('/data', headers={
        'Sec-Fetch-Site': 'cross-site', 'Origin': TRUSTED})
    assert res.status_code == 200
    assert res.headers['Access-Control-Allow-Origin'] == TRUSTED


async def test_checked_answers_vary_on_what_was_checked():
    app = make_app()
    client = TestClient(app, host='api.test')
    res = await client.post('/data', headers={'Sec-Fetch-Site':
                                              'same-origin'})
    assert res.status_code == 200
    assert sorted(res.headers['Vary'].split(', ')) == \
        ['Origin', 'Sec-Fetch-Site']
    res = await client.post('/data', headers={'Sec-Fetch-Site':
                                              'cross-site'})
    assert res.status_code == 403
    assert 'Sec-Fetch-Site' in res.headers['Vary']
    # a request that is not checked does not vary on them
    assert 'Sec-Fetch-Site' not in \
        (await client.get('/data')).headers.get('Vary', '')


async def test_without_cors_a_checked_answer_varies_on_origin_spelled_so():
    # (with CORS, its own Vary: Origin comes first and hides the spelling)
    app = make_app(with_cors=False)
    client = TestClient(app, host='api.test')
    res = await client.post('/data', headers={'Sec-Fetch-Site':
                                              'same-origin'})
    assert res.status_code == 200
    assert sorted(res.headers['Vary'].split(', ')) == \
        ['Origin', 'Sec-Fetch-Site']
