"""Serves, is stopped with Ctrl-C (SIGINT), then serves again on the same
port, as an app run a second time from a board's REPL does."""

import os

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'hello'


for attempt in (1, 2):
    print('serving', attempt)
    app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
    print('stopped', attempt)
