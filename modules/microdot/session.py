"""User sessions kept in a signed cookie: ``Session``, ``SessionDict`` and
the ``with_session`` decorator.

The session is a dict stored in the ``session`` cookie as an HS256 JSON Web
Token, made with PyJWT on CPython and with micropython-lib's ``jwt`` (the
``pyjwt`` package, which brings ``hmac``) on MicroPython, so a cookie made by
one runtime is read by the other when they share the secret key.

Reading a cookie never raises: a token that is malformed, truncated, signed
with another key or another algorithm (``none`` included), expired (``exp``)
or not yet valid (``nbf``) gives an empty session. The signature is checked
by ``microdot.hs256`` in constant time before the jwt library decodes the
token, and the library's own checks must pass too.

An app without a secret key is refused when the Session is attached to it
(``Session(app)`` or ``initialize(app)``), so a misconfigured app stops at
start-up rather than on its first request.

Session keys named like registered JWT claims keep their JWT meaning: an
``exp`` or ``nbf`` (seconds since 1970) limits the session's validity, and
PyJWT also refuses an ``aud`` it was not told to expect or a ``sub``,
``iss`` or ``jti`` that is not a string. Boards whose clock was never set
think it is 2000, so ``exp`` only protects where the time is right.
"""
try:
    import jwt
except ImportError:  # pragma: no cover
    raise ImportError(
        'microdot.session needs a jwt module, and none was found. '
        'On CPython: pip install PyJWT. '
        'On the MicroPython unix port: `make deps` puts micropython-lib\'s '
        'into deps/micropython-lib, where `make run` and the tests find it '
        '(or: micropython -m mip install pyjwt, into ~/.micropython/lib). '
        'On a board: our firmware has it frozen in; on stock MicroPython '
        'run mpremote mip install pyjwt (or require("pyjwt") in a frozen '
        'manifest).')

from .compat import invoke
from .hs256 import verify
from .http import vary_on

COOKIE_NAME = 'session'
_NO_KEY = 'The session secret key is not configured: use ' \
    'Session(app, secret_key=...)'


class SessionDict(dict):
    """The session of one request: a dict with ``save()`` and
    ``delete()``."""

    def __init__(self, request, session_dict):
        super().__init__(session_dict)
        self.request = request

    def save(self):
        """Send the session back to the client as an updated cookie."""
        _session_of(self.request).update(self.request, self)

    def delete(self):
        """Empty the session and ask the client to drop its cookie."""
        self.clear()
        _session_of(self.request).delete(self.request)


class Session:
    """The session extension of an app.

    ``secret_key`` (str or bytes) signs the cookies; whoever knows it can
    forge sessions. ``cookie_options`` are keyword arguments of
    ``Response.set_cookie()`` (``path``, ``domain``, ``expires``,
    ``max_age``, ``secure``, ``http_only``, ``partitioned``); ``path``
    defaults to ``'/'`` and ``http_only`` to True.
    """
    secret_key = None

    def __init__(self, app=None, secret_key=None, cookie_options=None):
        self.secret_key = secret_key
        self.cookie_options = dict(cookie_options or {})
        if app is not None:
            self.initialize(app)

    def initialize(self, app, secret_key=None, cookie_options=None):
        """Attach to ``app``. Without a secret key, using the session
        raises ValueError (as in Microdot, where the key may come later)."""
        if secret_key is not None:
            self.secret_key = secret_key
        if cookie_options is not None:
            self.cookie_options = dict(cookie_options)
        self.cookie_options.setdefault('path', '/')
        self.cookie_options.setdefault('http_only', True)
        app._session = self

    def _key(self, secret_key=None):
        key = secret_key or self.secret_key
        if not key:
            raise ValueError(_NO_KEY)
        return key

    def get(self, request):
        """The request's SessionDict: the cookie's contents, or empty when
        there is no valid cookie. The same object is returned for the whole
        request."""
        self._key()
        session = getattr(request.g, '_session', None)
        if session is None:
            vary_on(request, 'Cookie')
            cookie = request.cookies.get(COOKIE_NAME)
            data = self.decode(cookie) if cookie else {}
            session = request.g._session = SessionDict(request, data)
        return session

    def update(self, request, session):
        """Set the session cookie to ``session`` on this request's
        response. The token is made now, so data that JSON cannot encode
        raises here, in the handler."""
        request.g._session_cookie = self.encode(session)
        self._finish_with_cookie(request)

    def delete(self, request):
        """Remove the session cookie on this request's response."""
        request.g._session_cookie = ''
        self._finish_with_cookie(request)

    def _finish_with_cookie(self, request):
        # one hook per request, whatever the number of save()/delete()
        # calls: the last one decides
        if getattr(request.g, '_session_hooked', False):
            return
        request.g._session_hooked = True
        request.after_request(self._write_cookie)

    def _write_cookie(self, request, response):
        value = request.g._session_cookie
        if value:
            response.set_cookie(COOKIE_NAME, value, **self.cookie_options)
        else:
            response.delete_cookie(COOKIE_NAME, **self.cookie_options)
        return response

    def encode(self, payload, secret_key=None):
        """An HS256 token (str) of the dict ``payload``."""
        # items() copy: MicroPython's dict() cannot copy a dict subclass
        claims = {}
        for name, value in payload.items():
            claims[name] = value
        token = jwt.encode(claims, self._key(secret_key), algorithm='HS256')
        return token.decode() if isinstance(token, bytes) else token

    def decode(self, session, secret_key=None):
        """The dict in the token ``session``, or ``{}`` when it is not a
        valid, current token signed with the key."""
        key = self._key(secret_key)
        if verify(session, key) is None:
            return {}
        try:
            claims = jwt.decode(session, key, algorithms=['HS256'])
        except Exception:   # the library's own checks refused it
            return {}
        return claims if isinstance(claims, dict) else {}


def _session_of(request):
    session = getattr(request.app, '_session', None)
    if session is None:
        session = getattr(request.subapp, '_session', None)
    if session is None:
        raise RuntimeError('No Session is attached to this app: create '
                           'Session(app, secret_key=...) first')
    return session


def with_session(f):
    """Decorator: pass the request's session to the handler, as the
    argument after the request. Changes are kept only if the handler calls
    ``session.save()``."""
    async def wrapper(request, *args, **kwargs):
        return await invoke(f, request, _session_of(request).get(request),
                            *args, **kwargs)

    for name in ('__name__', '__doc__'):
        try:
            setattr(wrapper, name, getattr(f, name))
        except (AttributeError, TypeError):  # MicroPython functions
            pass
    return wrapper
