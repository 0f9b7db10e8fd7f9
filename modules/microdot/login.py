"""User logins kept in the session cookie, with an optional "remember me"
cookie.

Needs a ``microdot.session.Session`` attached to the app (the login state
is the ``_user_id`` and ``_fresh`` keys of the session), and so the jwt
module that ``microdot.session`` needs. The app gives a
``@login.user_loader`` function, which turns a user id into a user object
(or None), and calls ``login_user()`` once it has checked a user's
credentials. Users are objects with an ``id`` attribute that JSON can
encode.

- ``@login`` protects a route: without a logged-in user the client is
  redirected to ``login_url?next=<the requested URL>``.
- ``@login.fresh`` also requires that the user logged in during this
  session, not through the remember-me cookie.
- ``login_user(request, user, remember=...)`` returns the redirect to the
  ``next`` URL of the request (only a path on this site: anything else,
  ``//host`` included, is replaced by ``redirect_url``).
- The remember-me cookie (``_remember``) is a token signed with the
  session's key, expiring after ``remember`` days (30 for True); it is
  renewed each time it logs a user back in, and removed by
  ``logout_user()``.
"""
from .compat import invoke, unix_time
from .response import redirect
from .session import _session_of as _session_extension
from .urls import url_encode

REMEMBER_COOKIE = '_remember'
_DAY = 24 * 60 * 60
_COOKIE_OPTIONS = ('path', 'domain', 'secure', 'http_only', 'partitioned')


def _is_local(url):
    """True for a path on this site ('/...', not '//host' or '/\\host')."""
    if not url.startswith('/') or url[1:2] in ('/', '\\'):
        return False
    for byte in url.encode():   # (bytes: see http.byte_table)
        if byte < 32 or byte == 127:
            return False
    return True


class Login:
    """Login support; ``login_url`` is where users are sent to log in."""

    def __init__(self, login_url='/login'):
        self.login_url = login_url
        self.user_loader_callback = None

    def user_loader(self, f):
        """Decorator: register the function that returns the user with a
        given id, or None."""
        self.user_loader_callback = f
        return f

    def _get_session(self, request):
        return _session_extension(request).get(request)

    # --- the remember-me cookie -------------------------------------------
    def _remember(self, request, user_id, days):
        extension = _session_extension(request)
        token = extension.encode({'_remember': user_id, 'days': days,
                                  'exp': int(unix_time()) + days * _DAY})
        self._set_remember_cookie(request, token, days * _DAY)

    def _set_remember_cookie(self, request, token, max_age):
        extension = _session_extension(request)
        options = {}
        for name in _COOKIE_OPTIONS:
            if name in extension.cookie_options:
                options[name] = extension.cookie_options[name]

        def set_cookie(request, response):
            if token:
                response.set_cookie(REMEMBER_COOKIE, token, max_age=max_age,
                                    **options)
            else:
                response.delete_cookie(REMEMBER_COOKIE, **options)
            return response
        request.after_request(set_cookie)

    def _remembered_user_id(self, request):
        token = request.cookies.get(REMEMBER_COOKIE)
        if not token:
            return None
        claims = _session_extension(request).decode(token)
        user_id = claims.get('_remember')
        if user_id is None:
            return None
        days = claims.get('days')
        if not isinstance(days, int) or days < 1:
            days = 30
        self._remember(request, user_id, days)   # renewed
        return user_id

    def _user_id(self, request):
        session = self._get_session(request)
        user_id = session.get('_user_id')
        if user_id is not None:
            return user_id
        user_id = self._remembered_user_id(request)
        if user_id is not None:
            session['_user_id'] = user_id
            session['_fresh'] = False
            session.save()
        return user_id

    # --- the public API ---------------------------------------------------
    async def get_current_user(self, request):
        """The logged-in user of ``request``, or None (also cached as
        ``request.g.current_user``)."""
        if not hasattr(request.g, 'current_user'):
            user = None
            user_id = self._user_id(request)
            if user_id is not None:
                if self.user_loader_callback is None:
                    raise RuntimeError('No user loader: decorate one with '
                                       '@login.user_loader')
                user = await invoke(self.user_loader_callback, user_id)
            request.g.current_user = user
        return request.g.current_user

    async def login_user(self, request, user, remember=False,
                         redirect_url='/'):
        """Log ``user`` in; ``remember`` is True (30 days) or a number of
        days for the remember-me cookie. Returns the redirect to the
        request's ``next`` URL, or to ``redirect_url``."""
        session = self._get_session(request)
        session['_user_id'] = user.id
        session['_fresh'] = True
        session.save()
        request.g.current_user = user
        if remember:
            days = 30 if remember is True else int(remember)
            self._remember(request, user.id, days)
        next_url = request.args.get('next', redirect_url)
        if not _is_local(next_url):
            next_url = redirect_url
        return redirect(next_url)

    async def logout_user(self, request):
        """Forget the logged-in user, and the remember-me cookie."""
        session = self._get_session(request)
        session.pop('_user_id', None)
        session.pop('_fresh', None)
        session.save()
        request.g.current_user = None
        if REMEMBER_COOKIE in request.cookies:
            self._set_remember_cookie(request, None, 0)

    def _redirect_to_login(self, request):
        return redirect(self.login_url + '?next=' +
                        url_encode(request.url, '/'))

    def __call__(self, f):
        """Decorator: run the route only for a logged-in user."""
        async def wrapper(request, *args, **kwargs):
            if not await self.get_current_user(request):
                return self._redirect_to_login(request)
            return await invoke(f, request, *args, **kwargs)
        return wrapper

    def fresh(self, f):
        """Decorator: run the route only for a user who logged in during
        this session (not through the remember-me cookie)."""
        async def wrapper(request, *args, **kwargs):
            user = await self.get_current_user(request)
            if not user or not self._get_session(request).get('_fresh'):
                return self._redirect_to_login(request)
            return await invoke(f, request, *args, **kwargs)
        return wrapper
