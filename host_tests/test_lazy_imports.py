"""What a running app has loaded of the package: `import microdot` loads
one file, serving a request loads the serving core and nothing else, and
the rest comes on first use. On MicroPython the code of every module
loaded from .mpy takes heap, so a module that joins the core by accident
costs every app its size in RAM: this list changes only on purpose."""
import httpx

APP = 'host_tests/apps/lazy_app.py'

SERVING_CORE = ['microdot', 'microdot.app', 'microdot.compat',
                'microdot.connection', 'microdot.http', 'microdot.request',
                'microdot.response', 'microdot.routing', 'microdot.server',
                'microdot.structures']


def loaded(server):
    return httpx.get(server.url + '/modules').json()


def expected_core(runtime):
    # CPython's side of the runtime differences lives in its own module
    return sorted(SERVING_CORE + (['microdot.cpython']
                                  if runtime == 'cpython' else []))


def test_import_loads_one_file_and_serving_the_core(start_server, runtime):
    server = start_server(APP, runtime)
    assert httpx.get(server.url + '/').text == 'hello'
    modules = loaded(server)
    assert modules['at_import'] == ['microdot']
    assert modules['now'] == expected_core(runtime)


def test_an_exception_loads_the_error_handling(start_server, runtime):
    server = start_server(APP, runtime)
    assert loaded(server)['now'] == expected_core(runtime)
    assert httpx.get(server.url + '/fail').status_code == 500
    assert 'microdot.errors' in loaded(server)['now']


def test_query_arguments_load_the_url_decoders(start_server, runtime):
    server = start_server(APP, runtime)
    assert 'microdot.urls' not in loaded(server)['now']
    assert httpx.get(server.url + '/query?a=x%20y').text == 'x y'
    now = loaded(server)['now']
    assert 'microdot.urls' in now and 'microdot.multidict' in now
