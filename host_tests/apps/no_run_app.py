"""An app script that forgets to call app.run(): it makes its app and
ends."""

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'never served'
