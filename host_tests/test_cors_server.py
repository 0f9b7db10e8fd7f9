"""CORS over real sockets, on every runtime: preflight requests as a browser
sends them, simple requests, and the example of examples/cors/."""
import os
import shutil

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = 'host_tests/apps/cors_app.py'
GOOD = 'https://example.com'
LAUNCHER = '''\
import os
app = __import__(os.getenv('EXAMPLE')).app
app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
'''


def cors_headers(res):
    return sorted(name.lower() for name in res.headers
                  if name.lower().startswith('access-control-'))


def test_preflight_from_an_allowed_origin(start_server, runtime):
    server = start_server(APP, runtime)
    res = httpx.options(server.url + '/api', timeout=10, headers={
        'Origin': GOOD,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,x-token,x-other'})
    assert res.status_code == 200
    assert res.content == b''
    assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert res.headers['Access-Control-Allow-Credentials'] == 'true'
    assert res.headers['Access-Control-Allow-Methods'] == 'PUT'
    assert res.headers['Access-Control-Allow-Headers'] == \
        'content-type, x-token'
    assert res.headers['Access-Control-Max-Age'] == '600'
    assert res.headers['Vary'] == 'Origin'
    assert 'PUT' in res.headers['Allow']


def test_preflight_for_a_method_the_route_lacks(start_server, runtime):
    server = start_server(APP, runtime)
    res = httpx.options(server.url + '/api', timeout=10, headers={
        'Origin': GOOD, 'Access-Control-Request-Method': 'DELETE'})
    assert res.status_code == 200
    assert 'Access-Control-Allow-Methods' not in res.headers


def test_preflight_and_requests_from_other_origins_get_nothing(
        start_server, runtime):
    server = start_server(APP, runtime)
    with httpx.Client(timeout=10) as client:
        for origin in ('https://evil.com', 'https://example.com.evil.com',
                       'https://notexample.com', 'null'):
            res = client.options(server.url + '/api', headers={
                'Origin': origin, 'Access-Control-Request-Method': 'PUT'})
            assert res.status_code == 200, origin
            assert cors_headers(res) == [], origin
            res = client.get(server.url + '/api', headers={'Origin': origin})
            assert res.status_code == 200, origin
            assert cors_headers(res) == [], origin
            assert res.headers['Vary'] == 'Origin'


def test_a_simple_request_from_an_allowed_origin(start_server, runtime):
    server = start_server(APP, runtime)
    with httpx.Client(timeout=10) as client:
        res = client.put(server.url + '/api', headers={'Origin': GOOD})
        assert res.status_code == 200
        assert res.json() == {'method': 'PUT'}
        assert res.headers['Access-Control-Allow-Origin'] == GOOD
        assert res.headers['Access-Control-Allow-Credentials'] == 'true'
        assert res.headers['Access-Control-Expose-Headers'] == 'X-Total'
        assert res.headers['X-Total'] == '1'
        # an error response on the same keep-alive connection
        res = client.get(server.url + '/missing', headers={'Origin': GOOD})
        assert res.status_code == 404
        assert res.headers['Access-Control-Allow-Origin'] == GOOD
    assert 'Traceback' not in server.output()


def test_cors_example(start_server, runtime, tmp_path):
    directory = tmp_path / 'cors'
    shutil.copytree(os.path.join(ROOT, 'examples', 'cors'), directory,
                    ignore=shutil.ignore_patterns('__pycache__'))
    (directory / 'launch.py').write_text(LAUNCHER)
    server = start_server(str(directory / 'launch.py'), runtime,
                          env={'EXAMPLE': 'cors'})
    with httpx.Client(timeout=10) as client:
        res = client.get(server.url + '/', headers={'Origin': GOOD})
        assert res.text == 'Hello, World!'
        assert res.headers['Access-Control-Allow-Origin'] == GOOD
        assert res.headers['Access-Control-Allow-Credentials'] == 'true'
        res = client.options(server.url + '/api/echo', headers={
            'Origin': GOOD, 'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'Content-Type'})
        assert res.headers['Access-Control-Allow-Methods'] == 'POST'
        assert res.headers['Access-Control-Allow-Headers'] == 'Content-Type'
        res = client.post(server.url + '/api/echo', json={'a': [1, 2]},
                          headers={'Origin': GOOD})
        assert res.json() == {'received': {'a': [1, 2]}}
        res = client.get(server.url + '/', headers={
            'Origin': 'https://example.org'})
        assert cors_headers(res) == []
