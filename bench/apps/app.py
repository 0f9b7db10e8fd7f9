"""The benchmark app: the same routes on our framework and on the reference.

Which ``microdot`` it imports is decided by the module path it is started
with (PYTHONPATH / MICROPYPATH); the code uses only the public API that both
share. Runs on CPython and on the MicroPython unix port::

    app.py PORT [mem]

``mem`` (MicroPython) adds ``/__mem``, which answers the bytes allocated so
far (read before it collects), the heap in use after a collection, and the
largest live heap seen by a sampler task (started by ``/__mem?sample=1``)
that collects every 20 ms.
"""
import sys

from microdot import Microdot, Request

Request.max_content_length = 128 * 1024

FORM_FIELDS = ('name', 'lang', 'n')


def create_app(cls):
    app = cls()

    @app.route('/')
    async def hello(req):
        return 'Hello, world!'

    @app.route('/json')
    async def as_json(req):
        return {'hello': 'world', 'n': 42, 'items': [1, 2, 3]}

    @app.route('/user/<name>')
    async def user(req, name):
        return 'Hello, ' + name + '!'

    @app.route('/form', methods=['POST'])
    async def form(req):
        return ' '.join([req.form.get(key, '') for key in FORM_FIELDS])

    @app.route('/upload', methods=['POST'])
    async def upload(req):
        # bodies past max_body_length are read through req.stream
        body = req.body
        size = len(body)
        if not size:
            remaining = req.content_length
            while remaining > 0:
                data = await req.stream.read(min(remaining, 2048))
                if not data:
                    break
                size += len(data)
                remaining -= len(data)
        return str(size)

    return app


def add_memory_probe(app):
    import asyncio
    import gc
    import micropython

    state = {'live_max': 0, 'samples': 0}

    async def sample():
        while True:
            await asyncio.sleep_ms(20)
            gc.collect()
            live = gc.mem_alloc()
            state['samples'] += 1
            if live > state['live_max']:
                state['live_max'] = live

    @app.route('/__mem')
    async def mem(req):
        if state['samples'] == 0 and req.args.get('sample'):
            state['samples'] = 1
            asyncio.create_task(sample())
        total = micropython.mem_total()
        gc.collect()
        return '{} {} {} {}'.format(total, micropython.mem_current(),
                                    gc.mem_alloc(), state['live_max'])


def main():
    port = int(sys.argv[1])
    app = create_app(Microdot)
    if len(sys.argv) > 2 and sys.argv[2] == 'mem':
        add_memory_probe(app)
    app.run(host='127.0.0.1', port=port)


if __name__ == '__main__':
    main()
