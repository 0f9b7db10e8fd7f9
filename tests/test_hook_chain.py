"""The order of an app's hooks and handlers, and where the chain stops: a
test fails if the order, the short-circuit or the choice of handler
changes. (Sub-apps mounted with ``local=True`` are tested with the rest of
the app.)"""
import sys

from support import IS_MICROPYTHON, skip, skip_without_sockets

from microdot import Microdot, Response, abort
from microdot.test_client import TestClient


class Log(list):
    """What ran, in order: each hook appends its name."""

    def hook(self, name, answer=None):
        """A before-request hook that logs ``name`` and returns
        ``answer``."""
        def before(req):
            self.append(name)
            return answer
        return before

    def after(self, name, header=None):
        """An after-request (or after-error) hook that logs ``name`` and
        the status it was given, and marks the response."""
        def after(req, res):
            self.append(name + ' ' + str(res.status_code))
            if header is not None:
                res.headers['X-After'] = \
                    res.headers.get('X-After', '') + header
                return res
        return after


def logged_app(log):
    app = Microdot()

    @app.route('/', methods=['GET', 'POST'])
    async def index(req):
        log.append('handler')
        return 'from the handler'

    @app.get('/fail')
    async def fail(req):
        log.append('handler')
        raise KeyError('boom')

    @app.get('/abort')
    async def aborts(req):
        log.append('handler')
        abort(409)

    return app


class QuietErrors:
    """Hide what a 500 prints (CPython: sys.stderr; MicroPython prints to
    stdout, which the runner shows)."""

    def __enter__(self):
        if not IS_MICROPYTHON:
            import io
            sys.stderr = io.StringIO()

    def __exit__(self, *exc):
        if not IS_MICROPYTHON:
            sys.stderr = sys.__stderr__


async def test_before_request_hooks_run_in_order_then_the_handler():
    log = Log()
    app = logged_app(log)
    for name in ('first', 'second', 'third'):
        app.before_request(log.hook(name))
    res = await TestClient(app).get('/')
    assert res.text == 'from the handler'
    assert log == ['first', 'second', 'third', 'handler']


async def test_a_before_request_hook_that_answers_stops_the_chain():
    for answer, status, text in ((('Forbidden here', 403), 403,
                                  'Forbidden here'),
                                 (Response('denied', 401), 401, 'denied'),
                                 ('plain', 200, 'plain'),
                                 (('moved', 302, {'Location': '/x'}), 302,
                                  'moved')):
        log = Log()
        app = logged_app(log)
        app.before_request(log.hook('first'))
        app.before_request(log.hook('deny', answer))
        app.before_request(log.hook('third'))
        app.after_request(log.after('after'))
        res = await TestClient(app).get('/')
        assert res.status_code == status, answer
        assert res.text == text, answer
        # neither the next hook nor the handler ran; the answer went
        # through the after-request hooks as a handler's would
        assert log == ['first', 'deny', 'after ' + str(status)], answer


async def test_a_hook_that_answers_also_guards_post_and_route_arguments():
    log = Log()
    app = logged_app(log)
    seen = []

    @app.post('/items/<int:item>')
    async def item(req, item):
        seen.append(item)
        return 'stored'

    app.before_request(log.hook('deny', ('no', 403)))
    client = TestClient(app)
    res = await client.post('/items/3', body=b'data')
    assert res.status_code == 403 and res.text == 'no'
    assert seen == [] and log == ['deny']


async def test_a_before_request_hook_that_raises_or_aborts_stops_the_chain():
    log = Log()
    app = logged_app(log)

    def refuse(req):
        log.append('refuse')
        abort(451, 'Not here')

    app.before_request(refuse)
    app.before_request(log.hook('next'))
    app.after_request(log.after('after'))
    app.after_error_request(log.after('after error'))
    res = await TestClient(app).get('/')
    assert res.status_code == 451 and res.text == 'Not here'
    assert log == ['refuse', 'after error 451']

    log = Log()
    app = logged_app(log)

    def broken(req):
        log.append('broken')
        raise ValueError('bug')

    app.before_request(broken)
    app.before_request(log.hook('next'))
    app.after_error_request(log.after('after error'))
    with QuietErrors():
        res = await TestClient(app).get('/')
    assert res.status_code == 500
    assert log == ['broken', 'after error 500']


async def test_after_request_hooks_run_in_order_each_on_the_last_response():
    log = Log()
    app = logged_app(log)
    app.after_request(log.after('one', 'a'))
    app.after_request(log.after('two'))          # returns None: kept

    def replace(req, res):
        log.append('replace ' + res.headers['X-After'])
        return Response('replaced', 202, {'X-After': res.headers['X-After']})

    app.after_request(replace)
    app.after_request(log.after('four', 'b'))

    @app.before_request
    def per_request(req):
        req.after_request(log.after('request', 'c'))

    res = await TestClient(app).get('/')
    assert res.status_code == 202 and res.text == 'replaced'
    assert res.headers['X-After'] == 'abc'
    assert log == ['handler', 'one 200', 'two 200', 'replace a', 'four 202',
                   'request 202']


async def test_errors_go_to_after_error_hooks_not_after_request_hooks():
    for path, status in (('/missing', 404), ('/fail', 500), ('/abort', 409)):
        log = Log()
        app = logged_app(log)
        app.after_request(log.after('after'))
        app.after_error_request(log.after('error one', 'x'))
        app.after_error_request(log.after('error two', 'y'))
        with QuietErrors():
            res = await TestClient(app).get(path)
        assert res.status_code == status, path
        assert res.headers['X-After'] == 'xy', path
        handled = [] if status == 404 else ['handler']
        assert log == handled + ['error one ' + str(status),
                                 'error two ' + str(status)], path
    log = Log()
    app = logged_app(log)
    app.after_error_request(log.after('error'))
    res = await TestClient(app).get('/')
    assert res.status_code == 200 and log == ['handler']


async def test_a_405_goes_through_after_error_hooks_with_its_allow_field():
    log = Log()
    app = logged_app(log)
    app.after_error_request(log.after('error'))
    res = await TestClient(app).request('DELETE', '/')
    assert res.status_code == 405
    assert log == ['error 405']
    assert set(res.headers['Allow'].split(', ')) == \
        {'GET', 'POST', 'HEAD', 'OPTIONS'}


async def test_a_failing_after_error_hook_leaves_the_error_response():
    log = Log()
    app = logged_app(log)

    def broken(req, res):
        log.append('broken')
        raise RuntimeError('bug in a hook')

    app.after_error_request(broken)
    app.after_error_request(log.after('next', 'n'))
    with QuietErrors():
        res = await TestClient(app).get('/missing')
    assert res.status_code == 404
    assert res.headers['X-After'] == 'n'
    assert log == ['broken', 'next 404']


async def test_error_handlers_by_status_and_by_most_specific_class():
    class AppError(Exception):
        pass

    class NotAllowed(AppError):
        pass

    class Deeper(NotAllowed):
        pass

    app = Microdot()

    @app.get('/raise/<name>')
    async def raiser(req, name):
        raise {'app': AppError, 'not': NotAllowed, 'deeper': Deeper,
               'key': KeyError}[name]()

    @app.get('/abort')
    async def aborts(req):
        abort(418)

    @app.errorhandler(418)
    async def teapot(req):
        return 'teapot handler', 418

    # registered in no particular order: the nearest class wins
    @app.errorhandler(NotAllowed)
    async def not_allowed(req, exc):
        return 'NotAllowed handler', 403

    @app.errorhandler(Exception)
    async def anything(req, exc):
        return 'Exception handler', 500

    @app.errorhandler(AppError)
    async def app_error(req, exc):
        return 'AppError handler', 400

    client = TestClient(app)
    for path, status, text in (('/raise/app', 400, 'AppError handler'),
                               ('/raise/not', 403, 'NotAllowed handler'),
                               ('/raise/deeper', 403, 'NotAllowed handler'),
                               ('/raise/key', 500, 'Exception handler'),
                               ('/abort', 418, 'teapot handler')):
        res = await client.get(path)
        assert (res.status_code, res.text) == (status, text), path


async def test_error_handler_for_500_answers_unhandled_exceptions():
    log = Log()
    app = logged_app(log)

    @app.errorhandler(500)
    async def server_error(req):
        return 'custom 500', 500

    with QuietErrors():
        res = await TestClient(app).get('/fail')
    assert (res.status_code, res.text) == (500, 'custom 500')


# --- plain mount() ------------------------------------------------------

def sub_app(log):
    sub = Microdot()

    @sub.get('/page')
    async def page(req):
        log.append('sub handler ' + req.url_prefix)
        return 'sub page'

    @sub.get('/fail')
    async def fail(req):
        raise ValueError('sub failure')

    @sub.errorhandler(404)
    async def sub_not_found(req):
        return 'sub 404', 404

    @sub.errorhandler(ValueError)
    async def sub_value_error(req, exc):
        return 'sub ValueError', 400

    sub.before_request(log.hook('sub before'))
    sub.after_request(log.after('sub after'))
    return sub


async def test_a_plain_mount_moves_the_sub_app_handlers_over_the_parents():
    # Microdot's guide: a plain mount copies the sub-app's handlers over to
    # the app, where they apply to all of it; for the same status, the
    # sub-app's replaces the app's (as Microdot's mount() does)
    log = Log()
    app = logged_app(log)

    @app.errorhandler(404)
    async def parent_not_found(req):
        return 'parent 404', 404

    sub = sub_app(log)
    app.mount(sub, url_prefix='/sub')
    assert sub.error_handlers == {}     # moved, not copied
    client = TestClient(app)
    for path in ('/missing', '/sub/missing'):
        res = await client.get(path)
        assert (res.status_code, res.text) == (404, 'sub 404'), path


async def test_mount_adds_the_handlers_the_parent_lacks():
    log = Log()
    app = logged_app(log)
    app.mount(sub_app(log), url_prefix='/sub')
    client = TestClient(app)
    res = await client.get('/missing')
    assert (res.status_code, res.text) == (404, 'sub 404')
    res = await client.get('/sub/fail')
    assert (res.status_code, res.text) == (400, 'sub ValueError')


async def test_mount_appends_the_sub_app_hooks_after_the_parent_ones():
    log = Log()
    app = logged_app(log)
    app.before_request(log.hook('parent before'))
    app.after_request(log.after('parent after'))
    app.mount(sub_app(log), url_prefix='/sub')
    app.before_request(log.hook('later before'))
    client = TestClient(app)
    res = await client.get('/sub/page')
    assert res.text == 'sub page'
    assert log == ['parent before', 'sub before', 'later before',
                   'sub handler /sub', 'parent after 200', 'sub after 200']
    del log[:]
    res = await client.get('/')     # the parent's routes get them too
    assert log == ['parent before', 'sub before', 'later before', 'handler',
                   'parent after 200', 'sub after 200']


async def test_a_sub_app_hook_that_answers_guards_every_route_after_mount():
    log = Log()
    app = logged_app(log)
    sub = sub_app(log)
    sub.before_request(log.hook('sub deny', ('no', 403)))
    app.mount(sub, url_prefix='/sub')
    client = TestClient(app)
    for path in ('/sub/page', '/'):
        del log[:]
        res = await client.get(path)
        assert (res.status_code, res.text) == (403, 'no'), path
        assert 'handler' not in log and 'sub handler /sub' not in log


async def test_mount_without_a_prefix_and_after_error_hooks_of_both():
    log = Log()
    app = logged_app(log)
    app.after_error_request(log.after('parent error'))
    sub = sub_app(log)
    sub.after_error_request(log.after('sub error'))
    app.mount(sub)
    client = TestClient(app)
    res = await client.get('/page')
    assert res.text == 'sub page' and 'sub handler ' in log
    del log[:]
    res = await client.get('/nowhere')
    assert res.status_code == 404
    assert log == ['parent error 404', 'sub error 404']


async def test_allow_lists_head_with_get_once_and_not_without_it():
    app = Microdot()

    @app.get('/get')
    async def get_only(req):
        return 'g'

    @app.route('/both', methods=['GET', 'HEAD'])
    async def both(req):
        return 'b'

    @app.post('/post')
    async def post_only(req):
        return 'p'

    client = TestClient(app)
    for path, allowed in (('/get', ['GET', 'HEAD', 'OPTIONS']),
                          ('/both', ['GET', 'HEAD', 'OPTIONS']),
                          ('/post', ['OPTIONS', 'POST'])):
        res = await client.request('DELETE', path)
        assert res.status_code == 405, path
        assert sorted(res.headers['Allow'].split(', ')) == allowed, path


async def test_after_a_plain_mount_the_parent_handlers_answer_sub_routes_too():
    # (a sub-app of no handlers of its own for those keys)
    log = Log()
    app = logged_app(log)
    sub = Microdot()

    @sub.get('/fail')
    async def fail(req):
        raise ValueError('sub failure')

    @sub.get('/gone')
    async def gone(req):
        abort(404)

    @app.errorhandler(404)
    async def parent_not_found(req):
        return 'parent 404 for ' + req.path, 404

    @app.errorhandler(ValueError)
    async def parent_value_error(req, exc):
        return 'parent ValueError for ' + req.path, 400

    app.mount(sub, url_prefix='/sub')
    client = TestClient(app)
    res = await client.get('/sub/gone')
    assert (res.status_code, res.text) == (404, 'parent 404 for /sub/gone')
    res = await client.get('/sub/fail')
    assert (res.status_code, res.text) == (400,
                                           'parent ValueError for /sub/fail')


def test_the_default_options_handler_names_allow_exactly():
    app = Microdot()

    class Req:
        allowed_methods = ['GET', 'HEAD', 'OPTIONS']

    assert app.default_options_handler(Req()) == {
        'Allow': 'GET, HEAD, OPTIONS'}


async def test_start_server_serves_with_its_defaults_until_shutdown():
    import asyncio
    from test_websocket_timeouts import start, stop
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'served'

    port, task = await start(app)     # start_server('127.0.0.1', port)
    try:
        assert app.debug is False
        assert not task.done()   # it serves until shutdown() by default
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        writer.write(b'GET / HTTP/1.0\r\n\r\n')
        await writer.drain()
        data = b''
        while True:
            piece = await reader.read(1024)
            if not piece:
                break
            data += piece
        writer.close()
        assert data.startswith(b'HTTP/1.1 200 OK\r\n')
        assert data.endswith(b'\r\n\r\nserved')
        assert not task.done()
    finally:
        await stop(app, task)
    assert task.done()


def test_make_response_takes_every_documented_shape():
    from microdot.app import make_response
    res = make_response(('x',))
    assert (res.status_code, res.body, len(res.headers)) == (200, b'x', 0)
    res = make_response(('x', 201))
    assert (res.status_code, res.body, len(res.headers)) == (201, b'x', 0)
    res = make_response(('x', {'X-A': '1'}))
    assert (res.status_code, res.headers['X-A']) == (200, '1')
    res = make_response(('x', 202, {'X-A': '2'}))
    assert (res.status_code, res.body, res.headers['X-A']) == \
        (202, b'x', '2')
    for value in ((404,), (204, {'X-B': '3'}), (418, 201)):
        res = make_response(value)
        assert res.status_code == value[0] and res.body == b'', value
    assert make_response((204, {'X-B': '3'})).headers['X-B'] == '3'
    res = make_response(500)
    assert (res.status_code, res.body) == (500, b'')
    # a handler that returns nothing answers 204, as in Microdot
    res = make_response(None)
    assert (res.status_code, res.body) == (204, b'')


async def test_a_405_handler_keeps_its_own_allow_field():
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'x'

    @app.errorhandler(405)
    async def not_allowed(req):
        return 'nope', 405, {'Allow': 'GET'}

    res = await TestClient(app).request('DELETE', '/')
    assert (res.status_code, res.headers['Allow']) == (405, 'GET')


def test_a_new_app_is_not_serving_and_not_in_debug_mode():
    app = Microdot()
    assert (app.debug, app.server, app.shutting_down, app.connections) == \
        (False, None, False, None)


def test_get_request_handlers_puts_a_local_sub_apps_hooks_first_or_last():
    app = Microdot()
    sub = Microdot()

    def outer(req):
        pass

    def inner(req):
        pass

    for register in (app.before_request, app.after_request,
                     app.after_error_request):
        register(outer)
    for register in (sub.before_request, sub.after_request,
                     sub.after_error_request):
        register(inner)
    app.mount(sub, url_prefix='/sub', local=True)

    class SubRequest:
        subapp = sub

    class AppRequest:
        subapp = None

    for attr in ('before_request', 'after_request', 'after_error_request'):
        assert app.get_request_handlers(SubRequest(), attr) == \
            [inner, outer], attr
        assert app.get_request_handlers(SubRequest(), attr, False) == \
            [outer, inner], attr
        assert app.get_request_handlers(AppRequest(), attr) == [outer]
        assert app.get_request_handlers(None, attr) == [outer]


def test_a_plain_mount_leaves_the_sub_app_empty_hook_lists():
    app = Microdot()
    sub = Microdot()
    sub.before_request(lambda req: None)
    sub.after_request(lambda req, res: None)
    sub.after_error_request(lambda req, res: None)
    app.mount(sub, url_prefix='/sub')
    assert (sub.before_request_handlers, sub.after_request_handlers,
            sub.after_error_request_handlers, sub.error_handlers) == \
        ([], [], [], {})
    assert len(app.after_request_handlers) == 1
    # mounted again elsewhere, it brings nothing more
    other = Microdot()
    other.mount(sub, url_prefix='/again')
    assert other.after_request_handlers == []


async def test_a_405_handler_sees_the_prefix_of_the_matching_sub_app():
    app = Microdot()
    sub = Microdot()

    @sub.post('/thing')
    async def thing(req):
        return 'posted'

    @app.errorhandler(405)
    async def not_allowed(req):
        return 'prefix ' + str(req.url_prefix), 405

    app.mount(sub, url_prefix='/sub')
    res = await TestClient(app).get('/sub/thing')
    assert (res.status_code, res.text) == (405, 'prefix /sub')


async def test_a_405_names_its_allow_field_as_http_spells_it():
    from wire import written
    app = Microdot()

    @app.post('/')
    async def index(req):
        return 'x'

    data = await written(app, b'GET / HTTP/1.1\r\nHost: a\r\n'
                              b'Connection: close\r\n\r\n')
    assert data.startswith(b'HTTP/1.1 405 ')
    assert b'\r\nAllow: OPTIONS, POST\r\n' in data or \
        b'\r\nAllow: POST, OPTIONS\r\n' in data, data


def free_port():
    """A port of 127.0.0.1 that nothing listens on now."""
    import socket
    import os
    for attempt in range(40):
        port = 20000 + (os.urandom(2)[0] << 6 | os.urandom(1)[0] & 63)
        probe = socket.socket()
        try:
            probe.bind(socket.getaddrinfo('127.0.0.1', port)[0][-1])
            return port
        except OSError:
            pass
        finally:
            probe.close()
    raise AssertionError('no free port found')


def fetch_each(port, paths, replies):
    """A client, run in a thread: GET each path (HTTP/1.0) once the server
    listens, appending what came back to ``replies`` (None when nothing
    listened within 10 s)."""
    import socket
    import time
    address = socket.getaddrinfo('127.0.0.1', port)[0][-1]
    for path in paths:
        for attempt in range(200):
            client = socket.socket()
            try:
                client.connect(address)
                break
            except OSError:
                client.close()
                client = None
                time.sleep(0.05)
        if client is None:
            replies.append(None)
            return
        client.send(b'GET ' + path + b' HTTP/1.0\r\n\r\n')
        data = b''
        while True:
            piece = client.recv(1024)
            if not piece:
                break
            data += piece
        client.close()
        replies.append(data)


def test_run_serves_with_its_defaults_until_shutdown_then_returns():
    skip_without_sockets()
    try:
        import _thread
    except ImportError:
        skip('no _thread here: the client of this test runs in a thread')
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'served'

    @app.get('/stop')
    async def stop(req):
        app.shutdown()
        return 'stopping'

    port = free_port()
    replies = []
    _thread.start_new_thread(fetch_each, (port, (b'/', b'/stop'), replies))
    app.run(port=port)      # on every interface, no debug, no TLS
    assert app.debug is False
    import time
    for attempt in range(100):   # the client may still be reading
        if len(replies) == 2:
            break
        time.sleep(0.05)
    assert len(replies) == 2, replies
    assert replies[0].startswith(b'HTTP/1.1 200 OK\r\n'), replies
    assert replies[0].endswith(b'\r\n\r\nserved')
    assert replies[1].endswith(b'\r\n\r\nstopping')


async def test_start_server_listens_on_every_interface_by_default():
    skip_without_sockets()
    import asyncio
    app = Microdot()

    @app.get('/')
    async def index(req):
        return 'served'

    port = free_port()
    task = asyncio.create_task(app.start_server(port=port))
    for attempt in range(500):
        await asyncio.sleep(0.01)
        if app.server is not None or task.done():
            break
    if task.done():
        task.result()           # raises what stopped it from listening
    try:
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        writer.write(b'GET / HTTP/1.0\r\n\r\n')
        await writer.drain()
        data = b''
        while True:
            piece = await reader.read(1024)
            if not piece:
                break
            data += piece
        writer.close()
        assert data.endswith(b'\r\n\r\nserved'), data
    finally:
        app.shutdown()
        await asyncio.wait_for(task, 10)
