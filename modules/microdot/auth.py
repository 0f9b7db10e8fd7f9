"""HTTP authentication for routes: ``BasicAuth`` (RFC 7617) and
``TokenAuth`` (bearer tokens, RFC 6750, or a token in a header of its own).

An instance is a decorator. The app registers a verification function with
``@auth.authenticate``; it receives the request and the credentials and
returns a user object, or None to refuse them. A protected route runs only
when it returned a user, found then in ``request.g.current_user``; otherwise
the error callback answers: ``BasicAuth`` sends its error status (401) with
a ``WWW-Authenticate`` challenge, ``TokenAuth`` aborts with its error status
so the app's own error handler for it applies. ``@auth.errorhandler``
replaces that answer. ``@auth.optional`` runs the route in any case, with
``request.g.current_user`` set to None when no valid credentials came.

Malformed credentials (bad base64, not UTF-8, no colon) count as no
credentials: they never raise.
"""
import binascii

from .compat import invoke
from .http import HTTPException


class BaseAuth:
    """What both kinds of authentication share: the decorators."""

    def __init__(self):
        self.auth_callback = None
        self.error_callback = self.authentication_error

    def _get_auth(self, request):
        """The credentials in ``request`` as a tuple, or None."""
        raise NotImplementedError

    def authenticate(self, f):
        """Decorator: register the function that checks credentials."""
        self.auth_callback = f
        return f

    def errorhandler(self, f):
        """Decorator: register the function that answers a request whose
        authentication failed; it receives the request and returns a
        response."""
        self.error_callback = f
        return f

    async def authentication_error(self, request):
        raise HTTPException(self.error_status)

    async def _current_user(self, request):
        credentials = self._get_auth(request)
        if credentials is None:
            return None
        if self.auth_callback is None:
            raise RuntimeError('No authentication function: decorate one '
                               'with @auth.authenticate')
        return await invoke(self.auth_callback, request, *credentials)

    def __call__(self, f):
        """Decorator: run the route only for an authenticated request."""
        async def wrapper(request, *args, **kwargs):
            user = await self._current_user(request)
            request.g.current_user = user
            if not user:
                return await invoke(self.error_callback, request)
            return await invoke(f, request, *args, **kwargs)
        return wrapper

    def optional(self, f):
        """Decorator: run the route with or without authentication;
        ``request.g.current_user`` is None without it."""
        async def wrapper(request, *args, **kwargs):
            request.g.current_user = await self._current_user(request) or \
                None
            return await invoke(f, request, *args, **kwargs)
        return wrapper


def _split_authorization(value):
    """``(scheme in lower case, credentials)`` of an Authorization value."""
    scheme, _, credentials = value.strip().partition(' ')
    return scheme.lower(), credentials.strip()


class BasicAuth(BaseAuth):
    """Username and password sent by the browser (RFC 7617).

    ``realm`` and ``charset`` go into the ``WWW-Authenticate`` challenge
    that makes browsers ask for credentials; ``scheme`` names the scheme in
    it; ``error_status`` is the status of that answer.
    """

    def __init__(self, realm='Please login', charset='UTF-8', scheme='Basic',
                 error_status=401):
        super().__init__()
        if not isinstance(realm, str):
            # ``BasicAuth(app)``, as some documentation spells it: the app
            # is not needed, keep the default realm
            realm = 'Please login'
        self.realm = realm
        self.charset = charset
        self.scheme = scheme
        self.error_status = error_status

    def _get_auth(self, request):
        value = request.headers.get('Authorization')
        if not value:
            return None
        scheme, credentials = _split_authorization(value)
        if scheme != 'basic' or not credentials:
            return None
        try:
            decoded = binascii.a2b_base64(credentials).decode()
        except Exception:   # not base64, or not UTF-8
            return None
        username, colon, password = decoded.partition(':')
        if not colon:
            return None
        return username, password

    async def authentication_error(self, request):
        challenge = '{} realm="{}", charset="{}"'.format(
            self.scheme, self.realm.replace('\\', '\\\\').replace('"', '\\"'),
            self.charset)
        return '', self.error_status, {'WWW-Authenticate': challenge}


class TokenAuth(BaseAuth):
    """A token sent in ``header``: with the ``Authorization`` header, as
    ``<scheme> <token>`` (``Bearer`` by default, in any case); with any
    other header, the whole value is the token."""

    def __init__(self, header='Authorization', scheme='Bearer',
                 error_status=401):
        super().__init__()
        self.header = header
        self.scheme = scheme.lower()
        self.error_status = error_status

    def _get_auth(self, request):
        value = request.headers.get(self.header)
        if not value:
            return None
        if self.header.lower() != 'authorization':
            return (value.strip(),)
        scheme, token = _split_authorization(value)
        if scheme != self.scheme or not token:
            return None
        return (token,)
