"""A handler that forgets its route's URL argument."""

import os

from microdot import Microdot

app = Microdot()


@app.route('/hello/<name>')
async def hello(request):
    return 'hello'


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
