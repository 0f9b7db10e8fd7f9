"""An app whose /fill route takes every free block of the heap but
``spare`` bytes for ``ms`` milliseconds (MicroPython only): connections
that arrive meanwhile find little or no memory for themselves. The server
must drop what it cannot serve, and serve again afterwards."""

import asyncio
import gc
import os

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'ok'


@app.route('/fill/<int:ms>/<int:spare>')
async def fill(request, ms, spare):
    spared = bytearray(spare) if spare else None
    held = [None] * 4096    # allocated first: no garbage while filling
    count = 0
    size = 4096
    while size and count < len(held):
        try:
            # a float takes a single block: it fills the smallest holes
            held[count] = bytearray(size) if size > 16 else count + 0.5
            count += 1
        except MemoryError:
            size //= 2
    spared = None
    gc.collect()    # frees the spared block, in one piece
    await asyncio.sleep_ms(ms)
    held = None
    gc.collect()
    return 'filled'


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
