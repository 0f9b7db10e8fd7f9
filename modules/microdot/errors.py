"""Answering a request whose handling raised: which error handler applies
to an exception, and the answer when an error handler fails too.

Loaded on the first exception: most requests never need it."""
from .app import make_response
from .compat import invoke, is_disconnect, print_exception
from .http import HTTPException
from .response import Response

INTERNAL_ERROR = 'Internal server error'    # Microdot's text


async def exception_response(app, req, exc):
    """The response for ``exc``, raised while handling ``req``: from the
    handler registered for its class or the nearest base class, else a 400
    when the client went away, else a 500 (with the traceback printed)."""
    handler = None
    best = None
    for key in _exception_classes(app, req):
        depth = _class_depth(type(exc), key)
        if depth is not None and (best is None or depth < best):
            best = depth
            handler = app._error_handler_for(req, key)
    if handler is not None:
        res = await invoke(handler, req, exc)
        if res is not None:     # (None: a 500 after all, as in Microdot)
            return make_response(res)
    elif is_disconnect(exc):
        # the client went away or cut its body short while the handler
        # read it: the client's fault, not a server error to log
        return await app.error_response(req, 400, 'Bad request')
    else:
        print_exception(exc)
        return await _unhandled(app, req, exc)
    return await app.error_response(req, 500, INTERNAL_ERROR)


async def _unhandled(app, req, exc):
    # The 500 of an exception no error handler took: with app.debug (and
    # no handler for 500) its body has the traceback, as Flask's debug mode
    # shows it; never without debug, as a traceback tells an attacker much.
    report = None
    if app.debug or isinstance(exc, TypeError):
        report = _traceback(exc)
    if isinstance(exc, TypeError):
        from .mistakes import handler_call_hint
        hint = handler_call_hint(app, req, exc, report)
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


async def safely(coro):
    """Await an error response; an error handler that fails must still
    leave the client an answer."""
    try:
        return await coro
    except HTTPException as exc:
        return Response(exc.reason or 'N/A', exc.status_code)
    except Exception as exc:
        print_exception(exc)
        return Response(INTERNAL_ERROR, 500)


def _exception_classes(app, req):
    keys = [key for key in app.error_handlers if isinstance(key, type)]
    subapp = req.subapp
    if subapp is not None:
        keys += [key for key in subapp.error_handlers
                 if isinstance(key, type)]
    return keys


def _class_depth(cls, base):
    """How many inheritance steps from ``cls`` up to ``base``, or None."""
    if cls is base:
        return 0
    best = None
    for parent in getattr(cls, '__bases__', ()):
        depth = _class_depth(parent, base)
        if depth is not None and (best is None or depth + 1 < best):
            best = depth + 1
    return best
