"""The application: routes, hooks, error handlers, and request dispatch."""
from .compat import invoke, print_exception
from .http import HTTPException, TOO_LARGE, add_vary
from .response import Response
from .routing import URLPattern


class Microdot:
    #: Seconds a kept-alive connection may wait for its next request.
    idle_timeout = 15
    #: Seconds a client has to send a whole request head.
    header_timeout = 10
    #: Seconds one read of a request body or one write of a response may
    #: stall before the connection is dropped.
    io_timeout = 30
    #: Most connections served at once; past it new ones get a 503.
    #: None means no limit.
    max_connections = None
    #: Length of the listening socket's accept queue.
    backlog = 16

    def __init__(self):
        self.url_map = []
        self.before_request_handlers = []
        self.after_request_handlers = []
        self.after_error_request_handlers = []
        self.error_handlers = {}
        self.options_handler = self.default_options_handler
        self.debug = False
        self.server = None
        self.shutting_down = False
        self.connections = None

    # --- registration ---------------------------------------------------
    def route(self, url_pattern, methods=None):
        """Decorator: handle ``url_pattern`` for ``methods`` (GET)."""
        pattern = URLPattern(url_pattern)
        pattern.compile()   # a malformed pattern fails here, not later

        def decorated(f):
            self.url_map.append(
                ([m.upper() for m in (methods or ['GET'])], pattern, f, '',
                 None))
            return f
        return decorated

    def get(self, url_pattern):
        return self.route(url_pattern, methods=['GET'])

    def post(self, url_pattern):
        return self.route(url_pattern, methods=['POST'])

    def put(self, url_pattern):
        return self.route(url_pattern, methods=['PUT'])

    def patch(self, url_pattern):
        return self.route(url_pattern, methods=['PATCH'])

    def delete(self, url_pattern):
        return self.route(url_pattern, methods=['DELETE'])

    def query(self, url_pattern):
        return self.route(url_pattern, methods=['QUERY'])

    def before_request(self, f):
        self.before_request_handlers.append(f)
        return f

    def after_request(self, f):
        self.after_request_handlers.append(f)
        return f

    def after_error_request(self, f):
        self.after_error_request_handlers.append(f)
        return f

    def errorhandler(self, status_code_or_exception_class):
        """Decorator: handle an error status or an exception class."""
        def decorated(f):
            self.error_handlers[status_code_or_exception_class] = f
            return f
        return decorated

    def mount(self, subapp, url_prefix='', local=False):
        """Add the routes of ``subapp`` under ``url_prefix``.

        Its hooks and error handlers move to this app and apply to all of
        it (an error handler of the sub-app replaces this app's for the
        same key), unless ``local``: then they stay on the sub-app and
        apply to its own routes only."""
        for methods, pattern, handler, prefix, owner in subapp.url_map:
            pattern = URLPattern(url_prefix + pattern.url_pattern)
            pattern.compile()
            self.url_map.append((methods, pattern, handler,
                                 url_prefix + prefix, owner or subapp))
        if not local:
            # moved, not copied: a route of the sub-app then finds no hook
            # of its own left to run a second time (see dispatch_request)
            self.before_request_handlers += subapp.before_request_handlers
            self.after_request_handlers += subapp.after_request_handlers
            self.after_error_request_handlers += \
                subapp.after_error_request_handlers
            self.error_handlers.update(subapp.error_handlers)
            subapp.before_request_handlers = []
            subapp.after_request_handlers = []
            subapp.after_error_request_handlers = []
            subapp.error_handlers = {}

    @staticmethod
    def abort(status_code, reason=None):
        raise HTTPException(status_code, reason)

    # --- dispatch ---------------------------------------------------------
    def find_route(self, req):
        """The handler for ``req`` (setting its route, prefix and args),
        or 404, or 405 (then ``req.allowed_methods`` lists what would).

        Written with an index and few locals: a frame of more than 11
        words is allocated on the heap per call on MicroPython."""
        routes = self.url_map
        path = req.url if req._path is None else req._path  # (req.path)
        index = 0
        while index < len(routes):
            route = routes[index]
            args = route[1].match(path)
            if args is not None and (req.method in route[0] or
                                     _accepts(route[0], req.method)):
                return _take_route(req, route, args)
            index += 1
        return self._no_route(req)

    def _no_route(self, req):
        # 405 if another method would be accepted (listed in
        # req.allowed_methods), else 404. A 405 belongs to the sub-app
        # whose route matched the path: its error handlers apply.
        path = req.path
        allowed = None
        for methods, pattern, _, prefix, owner in self.url_map:
            if pattern.match(path) is None:
                continue
            if allowed is None:
                allowed = []
            for name in methods:
                if name not in allowed:
                    allowed.append(name)
            req.url_prefix = prefix
            req.subapp = owner
        if allowed is None:
            return 404
        if 'GET' in allowed and 'HEAD' not in allowed:
            allowed.append('HEAD')
        allowed.append('OPTIONS')
        req.allowed_methods = allowed
        return 405

    def default_options_handler(self, req):
        return {'Allow': ', '.join(req.allowed_methods)}

    def get_request_handlers(self, req, attr, local_first=True):
        """The hooks of kind ``attr`` (``'before_request'``,
        ``'after_request'``, ``'after_error_request'``) for ``req``: this
        app's, and those of the sub-app mounted with ``local=True`` that
        owns its route, first or last."""
        return self._hooks(req, attr + '_handlers', local_first)

    def _hooks(self, req, name, local_first):
        # get_request_handlers() by attribute name: dispatch names them in
        # full, and makes no string per request
        handlers = getattr(self, name)
        subapp = None if req is None else req.subapp
        if subapp is not None:
            local = getattr(subapp, name)
            if local:
                return local + handlers if local_first else handlers + local
        return handlers

    def _error_handler_for(self, req, key):
        subapp = None if req is None else req.subapp
        if subapp is not None:
            handler = subapp.error_handlers.get(key)
            if handler is not None:
                return handler
        return self.error_handlers.get(key)

    async def error_response(self, req, status_code, reason=None):
        """The response for an error status: from the app's handler for
        it if it has one, else ``reason`` (or ``N/A``) as a plain text."""
        handler = self._error_handler_for(req, status_code)
        if handler is not None:
            return make_response(await invoke(handler, req))
        return Response(reason or 'N/A', status_code)

    async def dispatch_request(self, req):
        """Run hooks and the route handler; always returns a Response.

        ``req`` is None for a request that could not be parsed: the answer
        is then a 400, as Microdot's."""
        if req is None:
            res = await self.error_response(None, 400, 'Bad request')
            return await self._after_error(None, res)
        try:
            if req.error is not None:   # (set for a body over the limit)
                raise HTTPException(req.error, TOO_LARGE)
            handler = self.find_route(req)
            if handler == 405 and req.method == 'OPTIONS':
                # the options handler returns the headers to answer with
                return Response(b'', 200, self.options_handler(req))
            if handler == 404 or handler == 405:
                # Microdot's text for both
                res = await self.error_response(req, handler, 'Not found')
                if handler == 405 and 'Allow' not in res.headers:
                    res.headers['Allow'] = ', '.join(req.allowed_methods)
                return await self._after_error(req, res)
            res = None
            local = req.subapp is not None   # hooks of a mounted sub-app
            for hook in self._hooks(req, 'before_request_handlers', False) \
                    if local else self.before_request_handlers:
                res = await invoke(hook, req)
                if res is not None:
                    break
            if res is None:
                args = req.route_args
                # a call with **{} would build the keyword arguments anew
                res = await (invoke(handler, req, **args) if args else
                             invoke(handler, req))
            res = make_response(res)
            for hook in self._hooks(req, 'after_request_handlers', True) \
                    if local else self.after_request_handlers:
                value = await invoke(hook, req, res)
                if value is not None:
                    res = make_response(value)
            for hook in req.after_request_handlers or ():
                value = await invoke(hook, req, res)
                if value is not None:
                    res = make_response(value)
            return res if req._g is None else _vary(req, res)
        except HTTPException as exc:
            from .errors import safely
            res = await safely(
                self.error_response(req, exc.status_code, exc.reason))
        except Exception as exc:
            from .errors import safely, exception_response
            res = await safely(exception_response(self, req, exc))
        return await self._after_error(req, res)

    async def _after_error(self, req, res):
        for hook in self._hooks(req, 'after_error_request_handlers', True):
            try:
                value = await invoke(hook, req, res)
                if value is not None:
                    res = make_response(value)
            except Exception as exc:
                print_exception(exc)
        return _vary(req, res) if req is not None else res

    # --- serving ----------------------------------------------------------
    async def start_server(self, host='0.0.0.0', port=5000, debug=False,
                           ssl=None, start_serving=True):
        """Serve on ``host:port`` until ``shutdown()``; with
        ``start_serving=False``, return once listening."""
        from .server import start_server
        return await start_server(self, host, port, debug, ssl,
                                  start_serving)

    def run(self, host='0.0.0.0', port=5000, debug=False, ssl=None):
        """Serve until ``shutdown()`` or Ctrl-C, on a new event loop."""
        from .server import run
        run(self, host, port, debug, ssl)

    def shutdown(self):
        """Stop accepting connections; ``run()`` returns once the requests
        in flight are answered."""
        from .server import shutdown
        shutdown(self)


def _accepts(methods, method):
    return method in methods or (method == 'HEAD' and 'GET' in methods)


def _take_route(req, route, args):
    # route: (methods, pattern, handler, url prefix, sub-app)
    req.route = route[2]
    if args:
        req.route_args = args
    # assigned only when they differ from the class defaults, so that the
    # request's attribute table stays small
    if route[3] != req.url_prefix:
        req.url_prefix = route[3]
    if route[4] is not req.subapp:
        req.subapp = route[4]
    return route[2]


def _vary(req, res):
    """Add to the response's Vary field the request fields that the
    extensions read (``req.g._vary``: a session reads Cookie, CORS Origin),
    as Microdot's do: a cache must not give this response to a request
    that differs in them."""
    g = req._g
    names = None if g is None else getattr(g, '_vary', None)
    if names and res is not Response.already_handled:  # (shared)
        headers = res.headers
        for name in names:
            add_vary(headers, name)
    return res


def make_response(value):
    """Turn what a handler returned into a Response: None into a 204."""
    if isinstance(value, Response):
        return value
    if type(value) is str:      # the usual return value, told apart first
        return Response(value)
    if isinstance(value, tuple):
        body = value[0]
        status_code = 200
        headers = None
        if len(value) > 1:
            if isinstance(value[1], int):
                status_code = value[1]
                if len(value) > 2:
                    headers = value[2]
            else:
                headers = value[1]
        if isinstance(body, int) and not isinstance(body, bool):
            return Response(b'', body, headers)
        return Response(body, status_code, headers)
    if isinstance(value, int) and not isinstance(value, bool):
        return Response(b'', value)
    return Response(value)
