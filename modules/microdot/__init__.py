"""A web framework for MicroPython and CPython with Microdot's API.

``import microdot`` loads the core only; extensions are modules of this
package (``microdot.websocket``, ``microdot.sse``, ...) loaded on import.
"""
from .app import Microdot
from .compat import iscoroutine
from .http import HTTPException
from .request import Request
from .response import Response, abort, redirect, send_file
from .routing import URLPattern
from .structures import MultiDict, NoCaseDict
from .connection import AsyncBytesIO
from .urls import url_decode as urldecode

__version__ = '0.1.0'
__all__ = ['Microdot', 'Request', 'Response', 'URLPattern', 'MultiDict',
           'NoCaseDict', 'HTTPException', 'AsyncBytesIO', 'abort',
           'redirect', 'send_file', 'iscoroutine', 'urldecode']
