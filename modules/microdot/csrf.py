"""Cross-site request forgery protection from the headers browsers send.

A protected request is let through when any of these holds, and gets a
403 otherwise:

- ``Sec-Fetch-Site`` is ``same-origin`` or ``none`` (typed in, bookmark),
  or ``same-site`` when ``allow_subdomains`` is set;
- its ``Origin`` is the app's own (``scheme://Host``), or one of the
  ``CORS`` instance's ``allowed_origins`` (a list; ``'*'`` trusts no one
  here), or, with ``allow_subdomains``, a subdomain of either with the same
  scheme;
- it has neither header: it does not come from a browser, and browsers are
  what a forged request needs.

Requests with methods outside ``SAFE_METHODS`` are protected unless their
route is decorated with ``@csrf.exempt``; with ``protect_all=False`` only
routes decorated with ``@csrf.protect`` are, whatever their method. Either
decorator goes directly under the route decorator, since it names the
function the route calls.
"""
from .http import HTTPException, vary_on


class CSRF:
    SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS']

    def __init__(self, app=None, cors=None, protect_all=True,
                 allow_subdomains=False):
        self.cors = cors
        self.protect_all = protect_all
        self.allow_subdomains = allow_subdomains
        self.exempt_routes = []
        self.protected_routes = []
        if app is not None:
            self.initialize(app, cors)

    def initialize(self, app, cors=None):
        """Check the requests of ``app``; ``cors`` lists trusted origins."""
        if cors is not None:
            self.cors = cors
        app.before_request(self._before_request)

    def exempt(self, f):
        """Decorator: never check this route."""
        self.exempt_routes.append(f)
        return f

    def protect(self, f):
        """Decorator: always check this route, whatever its method."""
        self.protected_routes.append(f)
        return f

    async def _before_request(self, request):
        if self._is_protected(request):
            # the answer depends on these: a cache must tell requests apart
            vary_on(request, 'Sec-Fetch-Site')
            vary_on(request, 'Origin')
            if not self.is_allowed(request):
                raise HTTPException(403, 'Forbidden')

    def _is_protected(self, request):
        route = request.route
        if route in self.protected_routes:
            return True
        return self.protect_all and \
            request.method not in self.SAFE_METHODS and \
            route not in self.exempt_routes

    def is_allowed(self, request):
        """True when ``request`` may be a browser's same-site request (or
        is no browser's request at all)."""
        site = request.headers.get('Sec-Fetch-Site')
        origin = request.headers.get('Origin')
        if site is not None:
            site = site.strip().lower()
            if site == 'same-origin' or site == 'none' or \
                    (site == 'same-site' and self.allow_subdomains):
                return True
        if origin is not None:
            return self._is_trusted_origin(request, origin.strip().lower())
        return site is None

    def _is_trusted_origin(self, request, origin):
        host = request.headers.get('Host')
        trusted = [request.scheme + '://' + host.strip().lower()] \
            if host else []
        allowed = getattr(self.cors, 'allowed_origins', None)
        if allowed and allowed != '*':
            trusted += allowed
        if origin in trusted:
            return True
        if self.allow_subdomains:
            scheme, _, name = origin.partition('://')
            for candidate in trusted:
                parent_scheme, _, parent = candidate.partition('://')
                if scheme == parent_scheme and name.endswith('.' + parent):
                    return True
        return False
