"""What an unhandled exception gives: a 500 that says only 'Internal server
error', or with app.debug its traceback too; and one sentence naming the
route and the function when a handler cannot take its URL arguments."""

from microdot import Microdot, Response
from microdot.test_client import TestClient

PLAIN = 'text/plain; charset=UTF-8'


def broken_app():
    app = Microdot()

    @app.route('/broken')
    async def broken(request):
        raise ValueError('boom 1234')

    @app.route('/hello/<name>')
    async def hello(request):           # the URL argument is missing
        return 'hello'

    @app.route('/sync/<int:n>/<word>')
    def sync(request, n):               # one of two missing, sync
        return 'sync'

    @app.route('/bare')
    async def bare():                   # no request
        return 'bare'

    @app.route('/inner/<int:n>')
    async def inner(request, n):        # its own TypeError
        return len(n)

    return app


async def get(app, path):
    return await TestClient(app).get(path)


async def test_without_debug_a_500_says_only_internal_server_error():
    app = broken_app()
    for path in ('/broken', '/hello/ann', '/sync/1/a', '/bare', '/inner/3'):
        res = await get(app, path)
        assert res.status_code == 500
        assert res.text == 'Internal server error', (path, res.text)


async def test_with_debug_the_500_shows_the_traceback_as_plain_text():
    app = broken_app()
    app.debug = True
    saved = Response.default_content_type
    Response.default_content_type = 'text/html'  # what many apps set
    try:
        res = await get(app, '/broken')
    finally:
        Response.default_content_type = saved
    assert res.status_code == 500
    assert res.headers['Content-Type'] == PLAIN  # never read as HTML
    assert res.text.startswith('Internal server error (shown with its '
                               'traceback because the app runs with '
                               'debug=True)\n\nTraceback (most recent call '
                               'last):\n'), res.text
    assert ', in broken\n' in res.text
    assert res.text.rstrip().endswith('ValueError: boom 1234')


async def test_with_debug_the_apps_own_500_handler_still_answers():
    app = broken_app()
    app.debug = True

    @app.errorhandler(500)
    async def internal(request):
        return 'our own page', 500

    res = await get(app, '/broken')
    assert (res.status_code, res.text) == (500, 'our own page')


async def test_a_handler_that_cannot_take_its_url_arguments_is_named():
    app = broken_app()
    app.debug = True
    for path, sentence in (
            ('/hello/ann', "route '/hello/<name>': its handler hello() could "
                           "not be called ("),
            ('/sync/1/a', "route '/sync/<int:n>/<word>': its handler sync() "
                          "could not be called ("),
            ('/bare', "route '/bare': its handler bare() could not be "
                      "called (")):
        res = await get(app, path)
        assert res.status_code == 500
        assert sentence in res.text, res.text
    assert res.text.rstrip().endswith(
        'a handler takes the request, then the URL arguments by their '
        'names: def bare(request)'), res.text
    assert 'def hello(request, name)' in (await get(app, '/hello/a')).text
    assert 'def sync(request, n, word)' in (await get(app, '/sync/1/a')).text


async def test_a_type_error_of_the_handler_itself_gets_no_such_sentence():
    app = broken_app()
    app.debug = True
    res = await get(app, '/inner/3')
    assert res.status_code == 500
    assert 'TypeError' in res.text and ', in inner\n' in res.text
    assert 'could not be called' not in res.text


async def test_a_hook_that_cannot_be_called_does_not_blame_the_handler():
    app = broken_app()
    app.debug = True

    @app.before_request
    def check(request, extra):
        pass

    res = await get(app, '/broken')
    assert res.status_code == 500 and 'TypeError' in res.text
    assert 'could not be called' not in res.text
