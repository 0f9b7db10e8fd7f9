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
        if app.debug or isinstance(exc, TypeError):
            # the traceback in the body, a sentence for a handler that
            # cannot take its arguments: loaded only then
            from .mistakes import explain
            return await explain('unhandled exception', app, req, exc)
    return await app.error_response(req, 500, INTERNAL_ERROR)


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
