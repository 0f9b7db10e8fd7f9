"""CPython's side of microdot.compat: the names it defines for MicroPython,
written for CPython. Only compat imports this module; the firmware leaves
it out (manifest.py), so boards carry none of this code."""
import asyncio
from asyncio import CancelledError
import functools
import inspect
import os
import time
import traceback
import warnings


def print_exception(exc, file=None):
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=file)


def decode_utf8(data):
    """``data`` (bytes) as a str; UnicodeError unless valid UTF-8."""
    return data.decode()


def ticks_ms():
    return int(time.monotonic() * 1000)


def ticks_add(ticks, delta):
    return ticks + delta


def ticks_diff(end, start):
    return end - start


# not asyncio.iscoroutine: before 3.12 it calls generators coroutines
iscoroutine = inspect.iscoroutine


_CO_COROUTINE = inspect.CO_COROUTINE


def invoke(func, *args, **kwargs):
    """Call a handler: async ones on the loop, sync ones in the default
    thread pool so that they may block; await what this returns. An
    ``async def`` function's own coroutine is returned (no extra layer)."""
    code = getattr(func, '__code__', None)
    if code is not None and code.co_flags & _CO_COROUTINE:
        return func(*args, **kwargs)
    return _invoke_any(func, args, kwargs)


def binding_error(func, args, kwargs):
    """The TypeError that ``func(*args, **kwargs)`` raises for its
    arguments alone (read from its signature, not __wrapped__'s: a
    decorator's wrapper is what gets called); False when they fit; None
    when it has no signature to read."""
    try:
        inspect.signature(func, follow_wrapped=False).bind(*args, **kwargs)
    except TypeError as exc:
        return exc
    except ValueError:
        return None
    return False


async def _invoke_any(func, args, kwargs):
    if asyncio.iscoroutinefunction(func):
        return await func(*args, **kwargs)
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(
        None, functools.partial(func, *args, **kwargs))
    if inspect.iscoroutine(result):
        result = await result
    return result


# A read asks asyncio's StreamReader for up to 64 KiB: it hands out what it
# has buffered (the socket's reads are its own) without allocating the size
# asked for, so a body read in small pieces costs one await per 64 KiB, not
# per piece. (MicroPython's sockets allocate what is asked: see compat.)
READ_SIZE = MAX_READ = 65536


class _Done:
    def __await__(self):
        return iter(())


# An awaitable that is done at once (see microdot.compat): MicroPython's
# sockets return it from a write that needed no wait; CPython's never do.
DONE = _Done()


class StreamWriter:
    """Gives CPython's StreamWriter the awrite/aclose pair that
    MicroPython's streams have, so the rest of the code uses one API."""
    __slots__ = ('writer',)

    def __init__(self, writer):
        self.writer = writer

    async def awrite(self, data):
        self.writer.write(data)
        await self.writer.drain()

    async def aclose(self):
        # close() sends what is still buffered first, and waits for as
        # long as the peer takes to read it; when the server cancels
        # that wait (the peer stopped reading), drop the buffer and the
        # socket, or both would stay open for as long as the peer likes
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except CancelledError:
            self.writer.transport.abort()
            raise
        except Exception:
            pass

    def close(self):
        self.writer.close()

    def get_extra_info(self, name, default=None):
        return self.writer.get_extra_info(name, default)


async def listen(host, port, backlog, ssl, handler):
    """Accept connections on ``host:port``: ``handler(reader, writer,
    peer)`` serves each (microdot.compat has MicroPython's)."""
    def on_connection(reader, writer):
        return handler(reader, StreamWriter(writer),
                       writer.get_extra_info('peername'))

    return await asyncio.start_server(on_connection, host, port,
                                      backlog=backlog, ssl=ssl)


def memory_ran_out():
    """MicroPython's accept loop takes care after a MemoryError."""


def warn_if_microdot_is_installed_too(package_dir):
    """Our distribution (microdot-firmware-bundle) installs the package
    ``microdot``, as Microdot's does: where pip installed both into one
    folder, the files of the one installed last replaced the other's
    (Microdot's extra modules and .pyi stubs stay beside ours), and
    uninstalling either removes files the other needs. pip cannot refuse
    that (no metadata makes two distributions exclusive), so say it here,
    where the mix is imported. One listdir, when the package is loaded."""
    folder = os.path.dirname(package_dir)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    ours = theirs = None
    for name in names:
        if not name.endswith(('.dist-info', '.egg-info')):
            continue
        if name.startswith('microdot_firmware_bundle-'):
            ours = name
        elif name.lower().startswith('microdot-'):
            theirs = name
    if ours and theirs:
        warnings.warn(
            '{} and Microdot ({}) are both installed in {}, and both install '
            'the package microdot: the one installed last replaced the '
            "other's files, and uninstalling either removes files the other "
            'needs. Uninstall both (pip uninstall microdot '
            'microdot-firmware-bundle), then install the one you want, or '
            'keep them in separate virtual environments.'.format(
                ours.split('-')[0].replace('_', '-'),
                theirs.rsplit('.', 1)[0], folder), stacklevel=2)


warn_if_microdot_is_installed_too(os.path.dirname(os.path.abspath(__file__)))
