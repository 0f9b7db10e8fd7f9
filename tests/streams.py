"""Streams for the tests of the connection and the body readers, on every
runtime: a stream cut into pieces as a network would, reproducible
pseudo-random numbers, test data, and chunked transfer encoding."""
from microdot import AsyncBytesIO


class Pieces(AsyncBytesIO):
    """Hands out at most the next of ``sizes`` bytes per read (cycling), as
    a network cuts a stream; size 1 cuts every chunk-size line."""

    def __init__(self, data, sizes):
        AsyncBytesIO.__init__(self, data)
        self.sizes = sizes
        self.reads = 0

    async def read(self, n=-1):
        size = self.sizes[self.reads % len(self.sizes)]
        self.reads += 1
        if n < 0 or n > size:
            n = size
        return await AsyncBytesIO.read(self, n)


class Numbers:
    """The same pseudo-random numbers on every runtime."""

    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7fffffff
        return self.state % n


def pattern(n, seed=0):
    """``n`` bytes that do not repeat every 256; ``seed`` shifts them."""
    return bytes((i * 7 + seed + (i >> 8)) & 0xff for i in range(n))


def chunked(data, sizes, trailers=b''):
    """``data`` in chunked encoding, its chunks ``sizes`` long (cycling)."""
    out = []
    at = 0
    i = 0
    while at < len(data):
        piece = data[at:at + sizes[i % len(sizes)]]
        i += 1
        at += len(piece)
        out.append('{:x}\r\n'.format(len(piece)).encode() + piece + b'\r\n')
    return b''.join(out) + b'0\r\n' + trailers + b'\r\n'


def garbage(coro):
    """Run ``coro`` with the GC off (MicroPython): (bytes it left to the
    GC, its value)."""
    import asyncio
    import gc
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        result = asyncio.run(coro)
        return gc.mem_alloc() - before, result
    finally:
        gc.enable()
