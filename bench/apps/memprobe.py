"""The heap probe of the bench servers (app.py and bare.py started with
``mem``; MicroPython only). Each of them answers ``GET /__mem`` with
``answer()``: six integers separated by spaces,

    mem_total  mem_current  mem_alloc  live_max  live_min  samples

``mem_total`` is read first (the bytes allocated since start, before this
answer collects), ``mem_alloc`` after a ``gc.collect()``. ``live_max`` and
``live_min`` are the largest and smallest heap in use (``gc.mem_alloc()``
right after ``gc.collect()``) seen by a sampler task since the previous
``?sample=``, ``samples`` how many times it looked.

``/__mem?sample=MS`` answers the figures so far, then clears them and starts
the sampler if it is not running yet: it wakes every MS milliseconds, and
with 0 whenever the event loop gets to it again (on the unix port one to
three times per request served). It looks between two steps of the
server's tasks, where every suspended request holds its objects; what a
task allocates and drops between two awaits it never sees.
"""
import asyncio
import gc
import micropython

# live_max, live_min, samples, interval (None: no sampler yet)
_state = [0, 0, 0, None]


async def _sampler():
    state = _state
    while True:
        await asyncio.sleep_ms(state[3])
        gc.collect()
        live = gc.mem_alloc()
        if live > state[0]:
            state[0] = live
        if live < state[1] or not state[2]:
            state[1] = live
        state[2] += 1


def answer(sample=None):
    """The figures as text; `sample` (None, or the query's value) clears
    them afterwards and makes sure the sampler runs."""
    total = micropython.mem_total()
    gc.collect()
    state = _state
    text = '{} {} {} {} {} {}'.format(
        total, micropython.mem_current(), gc.mem_alloc(), state[0],
        state[1], state[2])
    if sample is not None:
        state[0] = state[1] = state[2] = 0
        if state[3] is None:
            state[3] = int(sample)
            asyncio.create_task(_sampler())
    return text
