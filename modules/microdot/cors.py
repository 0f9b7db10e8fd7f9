"""Cross-Origin Resource Sharing: ``CORS`` adds the Access-Control-*
headers that let pages of other origins use the app, as the Fetch standard
describes them.

- Origins are matched exactly against the list (no prefix, suffix or
  substring matching); an origin not on it gets no CORS header at all.
- ``allowed_origins='*'`` allows every origin: ``Access-Control-Allow-Origin``
  echoes the request's Origin (``*`` when it has none).
- ``allow_credentials`` is refused together with ``'*'``: letting every web
  site read responses made with the user's cookies is what CORS exists to
  prevent, so list the trusted origins instead.
- Responses whose CORS headers depend on the Origin carry ``Vary: Origin``,
  so that a cache never gives one origin's answer to another.
- Preflight requests (OPTIONS with ``Access-Control-Request-Method``) are
  answered by the app's options handler: the method is allowed if the route
  accepts it and ``allowed_methods`` (when given) lists it; request headers
  are filtered by ``allowed_headers`` (when given).
"""
from .http import add_vary
from .response import Response


class CORS:
    """CORS headers for an app's responses.

    ``allowed_origins``: a list of origins (``'https://example.com'``), or
    ``'*'``. ``allow_credentials``: send ``Access-Control-Allow-Credentials:
    true``. ``allowed_methods`` / ``allowed_headers``: what preflight
    requests may ask for (None: whatever the route accepts / any header).
    ``expose_headers``: response headers the page may read. ``max_age``:
    seconds the browser may cache a preflight answer. ``handle_cors=False``
    attaches nothing: call ``get_cors_headers()`` yourself.
    """

    def __init__(self, app=None, allowed_origins=None, allow_credentials=False,
                 allowed_methods=None, expose_headers=None,
                 allowed_headers=None, max_age=None, handle_cors=True):
        if allowed_origins == '*':
            if allow_credentials:
                raise ValueError(
                    "CORS: allow_credentials cannot be used with "
                    "allowed_origins='*' (any site could read the user's "
                    "authenticated responses); list the allowed origins")
        elif isinstance(allowed_origins, str):
            allowed_origins = [allowed_origins]
        if allowed_origins is not None and allowed_origins != '*':
            allowed_origins = [_origin(o) for o in allowed_origins]
        self.allowed_origins = allowed_origins
        self.allow_credentials = allow_credentials
        self.allowed_methods = None if allowed_methods is None \
            else [m.upper() for m in allowed_methods]
        self.expose_headers = expose_headers
        self.allowed_headers = None if allowed_headers is None \
            else [h.lower() for h in allowed_headers]
        self.max_age = max_age
        self.default_options_handler = None
        if app is not None:
            self.initialize(app, handle_cors=handle_cors)

    def initialize(self, app, handle_cors=True):
        """Attach to ``app``: answer its preflight requests and add CORS
        headers to its responses (errors included)."""
        self.default_options_handler = app.options_handler
        if handle_cors:
            app.options_handler = self.options_handler
            app.after_request(self.after_request)
            app.after_error_request(self.after_request)

    def options_handler(self, request):
        """The headers of the answer to an OPTIONS request (preflight
        included): the app's own, plus the CORS ones."""
        if self.default_options_handler is not None:
            headers = self.default_options_handler(request)
        else:
            headers = {}
        _merge(headers, self.get_cors_headers(request))
        return headers

    def get_cors_headers(self, request):
        """The CORS headers (a dict) for a response to ``request``."""
        headers = {}
        allowed = self.allowed_origins
        if not allowed:
            return headers
        origin = request.headers.get('Origin')
        if allowed == '*':
            if origin is None or not _is_origin(origin):
                headers['Access-Control-Allow-Origin'] = '*'
            else:
                headers['Access-Control-Allow-Origin'] = origin
                headers['Vary'] = 'Origin'
        else:
            headers['Vary'] = 'Origin'
            if origin is None or origin not in allowed:
                return headers
            headers['Access-Control-Allow-Origin'] = origin
            if self.allow_credentials:
                headers['Access-Control-Allow-Credentials'] = 'true'
        method = request.headers.get('Access-Control-Request-Method')
        if request.method == 'OPTIONS' and method is not None:
            self._preflight_headers(request, method, headers)
        elif self.expose_headers:
            headers['Access-Control-Expose-Headers'] = \
                ', '.join(self.expose_headers)
        return headers

    def _preflight_headers(self, request, method, headers):
        method = method.strip().upper()
        # set by the core when it answers OPTIONS for a known path
        route_methods = getattr(request, 'allowed_methods', None)
        if route_methods is None and getattr(request, 'route', None) is None:
            return   # no such path: nothing to allow
        if (self.allowed_methods is None or method in self.allowed_methods) \
                and (route_methods is None or method in route_methods):
            headers['Access-Control-Allow-Methods'] = method
        wanted = request.headers.get('Access-Control-Request-Headers')
        if wanted:
            names = [name.strip() for name in wanted.split(',')]
            names = [name for name in names if name and (
                self.allowed_headers is None or
                name.lower() in self.allowed_headers)]
            if names:
                headers['Access-Control-Allow-Headers'] = ', '.join(names)
        if self.max_age is not None:
            headers['Access-Control-Max-Age'] = str(int(self.max_age))

    def after_request(self, request, response):
        """After-request hook: add the CORS headers to ``response``."""
        if response is None or response is Response.already_handled:
            return response   # shared object: the socket was taken over
        _merge(response.headers, self.get_cors_headers(request))
        return response


def _merge(headers, cors_headers):
    """Add ``cors_headers`` to ``headers``, keeping any earlier Vary."""
    for name, value in cors_headers.items():
        if name == 'Vary':
            add_vary(headers, value)
        else:
            headers[name] = value


def _origin(origin):
    # browsers send scheme://host[:port] in lower case, without a slash
    origin = origin.strip().lower()
    return origin[:-1] if origin.endswith('/') else origin


def _is_origin(value):
    # one serialized origin: no list, no spaces, no control characters
    # (bytes, not characters: see http.byte_table)
    for byte in value.encode():
        if byte <= 32 or byte == 44 or byte == 127:
            return False
    return bool(value)
