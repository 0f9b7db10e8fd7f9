"""The sentences for the mistakes an app makes, naming what to fix: a URL
pattern refused when its route is made, a handler that cannot take its
route's arguments, a port another program holds; and the 500 that shows
its traceback under debug=True. Loaded only when one is made (or debug is
on), so that this text costs no RAM in an app that makes none."""
from .compat import binding_error, print_exception


def explain(what, *args):
    """The sentence for the mistake ``what`` (a key of _MISTAKES) with
    ``args``; for 'unhandled exception', the coroutine of the 500 to send.

    One function, not one per mistake, because of MicroPython's qstr pool:
    every name a module mentions is interned when it loads, and when the
    pool is full the next name needs a new pool, twice as large, in one
    block, which a fragmented heap may not have (docs/internals.md). The
    modules loaded at start-up mention only this name and this module's;
    the keys are longer than ten characters, which are not interned."""
    return _MISTAKES[what](*args)


def _no_slash(url_pattern):
    return 'URL pattern {0!r} does not start with "/", so no request path ' \
        'can match it: write "/{0}"'.format(url_pattern)


def _named_twice(url_pattern, name):
    return 'URL pattern {!r} names the argument {!r} twice: each needs a ' \
        'name of its own'.format(url_pattern, name)


def _unknown_type(url_pattern, type_name, known):
    return 'URL pattern {!r} has a segment of unknown type {!r}: the known ' \
        'types are {} (URLPattern.register_type() adds more)'.format(
            url_pattern, type_name, ', '.join(sorted(list(known) + ['re'])))


async def _unhandled(app, req, exc):
    """The 500 of an exception no error handler took, with app.debug or
    for a TypeError: with app.debug (and no handler for 500) its body has
    the traceback, as Flask's debug mode shows it, never without debug (a
    traceback tells an attacker much); a handler that could not be called
    gets its sentence."""
    from .errors import INTERNAL_ERROR
    from .response import Response
    report = _traceback(exc)
    if isinstance(exc, TypeError):
        hint = _handler_call_hint(app, req, exc, report)
        if hint is not None:
            print(hint)
            report += '\n' + hint + '\n'
    if not app.debug or app._error_handler_for(req, 500) is not None:
        return await app.error_response(req, 500, INTERNAL_ERROR)
    return Response(INTERNAL_ERROR + ' (shown with its traceback because '
                    'the app runs with debug=True)\n\n' + report, 500,
                    {'Content-Type': 'text/plain; charset=UTF-8'})


def _traceback(exc):
    from io import StringIO
    out = StringIO()
    print_exception(exc, out)
    return out.getvalue()


def _handler_call_hint(app, req, exc, report):
    """A sentence when ``exc``, a TypeError whose traceback is ``report``,
    is that of calling the route's handler with arguments it does not
    take, else None. MicroPython's message names neither the function nor
    the route."""
    handler = req.route
    name = getattr(handler, '__name__', None)
    if name is None or ', in {}\n'.format(name) in report:
        return None     # (not its call: the handler ran)
    url_args = req.route_args or {}
    error = binding_error(handler, (req,), url_args)
    if error is None:
        # a plain function on MicroPython: the server passes it the URL
        # arguments, and nothing else, by keyword
        if not [arg for arg in url_args
                if "keyword argument '{}'".format(arg) in str(exc)]:
            return None
    elif error is False:
        return None
    pattern = None
    for _, candidate, function, _, _ in app.url_map:
        if function is handler and candidate.match(req.path) is not None:
            pattern = candidate
            break
    names = [arg for arg, _ in pattern.args] if pattern else list(url_args)
    return ('route {!r}: its handler {}() could not be called ({}); a '
            'handler takes the request, then the URL arguments by their '
            'names: def {}(request{})'.format(
                pattern.url_pattern if pattern else req.path, name, exc,
                name, ''.join(', ' + arg for arg in names)))


# errno values of "address in use" (Linux and MicroPython's own, macOS and
# BSD, lwIP on ESP32, Windows) and of "permission denied"
_IN_USE = (98, 48, 112, 10048)
_DENIED = (13, 10013)


def _listen_error(exc, host, port):
    """``exc``, raised when listening on host:port failed, with one
    sentence on what to do when the cause is a usual one."""
    code = exc.args[0] if exc.args else None
    where = '{}:{}'.format(host, port)
    if code in _IN_USE:
        return OSError(code, 'cannot serve on {0}: another program (or '
                       'another copy of this app) listens on port {1}. Stop '
                       'it, or serve on another port: app.run(port=...), or '
                       'HTTP_PORT=... for `make run` and the examples'.format(
                           where, port))
    if code in _DENIED:
        return OSError(code, 'cannot serve on {}: ports below 1024 need '
                       'privileges here; use one above it, e.g. 5000 or '
                       '8080'.format(where))
    return exc


_MISTAKES = {
    'no leading slash': _no_slash,
    'argument named twice': _named_twice,
    'unknown segment type': _unknown_type,
    'unhandled exception': _unhandled,
    'cannot listen there': _listen_error,
}
