"""The benchmark app: the same routes on our framework and on the reference.

Which ``microdot`` it imports is decided by the module path it is started
with (PYTHONPATH / MICROPYPATH); the code uses only the public API that both
share. Runs on CPython and on the MicroPython unix port::

    app.py PORT [mem]

``mem`` (MicroPython) adds ``/__mem``, the heap probe of memprobe.py (the
bytes allocated so far, the heap in use, and what a sampler task saw).
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

    @app.route('/browser')
    async def browser(req):
        # asked for with the head of a browser (bench/loadgen.py
        # BROWSER_FIELDS); last, so that the other cases route as before
        return 'Hello, ' + req.cookies.get('name', 'world') + '!'

    return app


def add_memory_probe(app):
    import memprobe

    @app.route('/__mem')
    async def mem(req):
        # the query read by hand, as bare.py does: req.args would load
        # the URL decoders into the heap being measured, which a hello
        # app never loads (ours loads them on first use)
        query = req.query_string or ''   # (None on the reference)
        return memprobe.answer(query[7:] if query.startswith('sample=')
                               else None)


def main():
    port = int(sys.argv[1])
    app = create_app(Microdot)
    if len(sys.argv) > 2 and sys.argv[2] == 'mem':
        add_memory_probe(app)
    app.run(host='127.0.0.1', port=port)


if __name__ == '__main__':
    main()
