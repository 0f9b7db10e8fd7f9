"""A web framework for MicroPython and CPython with Microdot's API.

``import microdot`` loads nothing but this file: each public name is
imported from its module on first use (module-level ``__getattr__``, as
MicroPython's own asyncio package does), so a program pays in RAM only for
the parts it touches. Extensions are modules of this package
(``microdot.websocket``, ``microdot.sse``, ...) loaded on import.
"""
__version__ = '0.1.0'
__all__ = ['Microdot', 'Request', 'Response', 'URLPattern', 'MultiDict',
           'NoCaseDict', 'HTTPException', 'AsyncBytesIO', 'abort',
           'redirect', 'send_file', 'iscoroutine', 'urldecode']

# public name: (module, name in that module)
_WHERE = {
    'Microdot': ('app', 'Microdot'),
    'Request': ('request', 'Request'),
    'Response': ('response', 'Response'),
    'abort': ('response', 'abort'),
    'redirect': ('response', 'redirect'),
    'send_file': ('response', 'send_file'),
    'URLPattern': ('routing', 'URLPattern'),
    'MultiDict': ('multidict', 'MultiDict'),
    'NoCaseDict': ('structures', 'NoCaseDict'),
    'HTTPException': ('http', 'HTTPException'),
    'AsyncBytesIO': ('bytesio', 'AsyncBytesIO'),
    'iscoroutine': ('compat', 'iscoroutine'),
    'urldecode': ('urls', 'url_decode'),
}


def __getattr__(name):
    where = _WHERE.get(name)
    if where is None:
        # MicroPython asks here before it imports a submodule for
        # ``from . import wsframe``: import it
        try:
            value = __import__('microdot.' + name, None, None, [name])
        except ImportError:
            raise AttributeError(name)
    else:
        value = getattr(__import__('microdot.' + where[0], None, None,
                                   [where[1]]), where[1])
    globals()[name] = value
    return value
