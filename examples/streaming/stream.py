"""Streaming responses: the body is sent while it is being made, so a large
or slow response never has to fit in memory.

Run it from the repository root with
``make run APP=examples/streaming/stream.py``
(``RUNTIME=cpython`` for CPython), then::

    curl -s 'http://127.0.0.1:5000/table.csv?rows=100000' | tail -n 2
    curl -N http://127.0.0.1:5000/countdown

/table.csv is made by a generator, one row at a time; /countdown by an
async iterator that waits a second between lines (MicroPython has no
``async def`` generators, so it is a small class). HTTP/1.1 clients get
the body chunked; HTTP/1.0 clients get it until the connection closes.
"""
import asyncio
import os

from microdot import Microdot

app = Microdot()
MAX_ROWS = 1000000


@app.get('/')
async def index(request):
    return ('Streamed responses:\n'
            '  /table.csv?rows=N   N rows made by a generator\n'
            '  /countdown?from=N   one line a second (an async iterator)\n')


@app.get('/table.csv')
async def table(request):
    rows = min(int(request.args.get('rows', '1000')), MAX_ROWS)

    def generate():
        yield 'n,square,cube\n'
        for n in range(1, rows + 1):
            yield '{},{},{}\n'.format(n, n * n, n * n * n)

    return generate(), 200, {'Content-Type': 'text/csv'}


class Countdown:
    """An async iterator: each step waits a second, then gives a line."""

    def __init__(self, start):
        self.n = start
        self.started = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.n < 0:
            raise StopAsyncIteration
        if self.started:
            await asyncio.sleep(1)
        self.started = True
        line = '{}...\n'.format(self.n) if self.n else 'lift-off!\n'
        self.n -= 1
        return line

    async def aclose(self):
        # Called when the client leaves before the end: stop counting.
        self.n = -1


@app.get('/countdown')
async def countdown(request):
    start = min(int(request.args.get('from', '5')), 60)
    return Countdown(start)


@app.errorhandler(ValueError)
async def not_a_number(request, exc):
    return 'rows and from must be whole numbers\n', 400


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
