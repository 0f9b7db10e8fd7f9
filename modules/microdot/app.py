"""The application: routes, hooks, error handlers, and request dispatch."""
from .compat import invoke, print_exception
from .http import HTTPException, reason_phrase
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
        self.mounted_subapps = []
        self.options_handler = self.default_options_handler
        self.debug = False
        self.server = None
        self.shutting_down = False
        self.connections = None

    # --- registration ---------------------------------------------------
    def route(self, url_pattern, methods=None):
        """Decorator: handle ``url_pattern`` for ``methods`` (GET)."""
        def decorated(f):
            self.url_map.append(
                ([m.upper() for m in (methods or ['GET'])],
                 URLPattern(url_pattern), f, '', None))
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

        Its hooks and error handlers join this app's, unless ``local``,
        in which case they apply to its own routes only."""
        for methods, pattern, handler, prefix, owner in subapp.url_map:
            self.url_map.append(
                (methods, URLPattern(url_prefix + pattern.url_pattern),
                 handler, url_prefix + prefix, owner or subapp))
        if not local:
            self.before_request_handlers += subapp.before_request_handlers
            self.after_request_handlers += subapp.after_request_handlers
            self.after_error_request_handlers += \
                subapp.after_error_request_handlers
            for key, handler in subapp.error_handlers.items():
                self.error_handlers.setdefault(key, handler)
        else:
            self.mounted_subapps.append(subapp)

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
        # req.allowed_methods), else 404
        path = req.path
        allowed = None
        for methods, pattern, _, _, _ in self.url_map:
            if pattern.match(path) is None:
                continue
            if allowed is None:
                allowed = []
            for name in methods:
                if name not in allowed:
                    allowed.append(name)
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
        """The hooks named ``attr`` that apply to ``req``: this app's, and
        those of a sub-app mounted with ``local=True`` that owns the
        route."""
        handlers = getattr(self, attr)
        subapp = req.subapp
        if subapp is not None and subapp in self.mounted_subapps:
            local = getattr(subapp, attr)
            if local:
                return local + handlers if local_first else handlers + local
        return handlers

    def _error_handler_for(self, req, key):
        subapp = req.subapp
        if subapp is not None and subapp in self.mounted_subapps:
            handler = subapp.error_handlers.get(key)
            if handler is not None:
                return handler
        return self.error_handlers.get(key)

    async def error_response(self, req, status_code, reason=None):
        """The response for an error status, from the app's handler for it
        if it has one."""
        handler = self._error_handler_for(req, status_code)
        if handler is not None:
            return make_response(await invoke(handler, req))
        return Response(reason or reason_phrase(status_code, 'Error'),
                        status_code)

    async def dispatch_request(self, req):
        """Run hooks and the route handler; always returns a Response."""
        try:
            if req.error is not None:
                raise HTTPException(req.error)
            handler = self.find_route(req)
            if handler == 405 and req.method == 'OPTIONS':
                # the options handler returns the headers to answer with
                return Response(b'', 200, self.options_handler(req))
            if handler == 404 or handler == 405:
                res = await self.error_response(req, handler)
                if handler == 405 and 'Allow' not in res.headers:
                    res.headers['Allow'] = ', '.join(req.allowed_methods)
                return await self._after_error(req, res)
            res = None
            local = req.subapp is not None   # hooks of a mounted sub-app
            for hook in self.get_request_handlers(
                    req, 'before_request_handlers') if local else \
                    self.before_request_handlers:
                res = await invoke(hook, req)
                if res is not None:
                    break
            if res is None:
                args = req.route_args
                # a call with **{} would build the keyword arguments anew
                res = await (invoke(handler, req, **args) if args else
                             invoke(handler, req))
            res = make_response(res)
            for hook in self.get_request_handlers(
                    req, 'after_request_handlers', False) if local else \
                    self.after_request_handlers:
                res = make_response(await invoke(hook, req, res)) or res
            for hook in req.after_request_handlers or ():
                res = make_response(await invoke(hook, req, res)) or res
            return res
        except HTTPException as exc:
            from .errors import safely
            res = await safely(
                self.error_response(req, exc.status_code, exc.reason))
        except Exception as exc:
            from .errors import safely, exception_response
            res = await safely(exception_response(self, req, exc))
        return await self._after_error(req, res)

    async def _after_error(self, req, res):
        for hook in self.get_request_handlers(
                req, 'after_error_request_handlers', False):
            try:
                res = make_response(await invoke(hook, req, res)) or res
            except Exception as exc:
                print_exception(exc)
        return res

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


def make_response(value):
    """Turn what a handler returned into a Response (None stays None)."""
    if value is None or isinstance(value, Response):
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
