"""An app exercised through the test client, for a board without a network
(host_tests/test_pico.py runs it with `mpremote run` on the emulated Pico).

It prints one line per check, "ok <what>" or "FAIL <what>: <details>",
then "where microdot <path>" (frozen or /lib) and "done <failures>".
"""
import asyncio
import sys

import microdot
from microdot import Microdot
from microdot.session import Session, with_session
from microdot.sse import with_sse
from microdot.test_client import TestClient
from microdot.websocket import with_websocket

app = Microdot()
Session(app, secret_key='not so secret')
failures = []


@app.route('/')
async def index(req):
    return 'hello from ' + sys.platform


@app.route('/json')
async def as_json(req):
    return {'n': 42, 'items': [1, 2]}


@app.route('/user/<name>')
async def user(req, name):
    return 'user ' + name


@app.post('/form')
async def form(req):
    return req.form.get('name', '?')


@app.route('/echo')
@with_websocket
async def echo(req, ws):
    while True:
        message = await ws.receive()
        await ws.send(message.upper())


@app.route('/events')
@with_sse
async def events(req, sse):
    for i in range(3):
        await sse.send({'i': i})


@app.post('/login')
@with_session
async def login(req, session):
    session['user'] = req.form.get('user')
    session.save()
    return 'logged in'


@app.get('/me')
@with_session
async def me(req, session):
    return session.get('user') or 'nobody'


def check(what, ok, details=''):
    if ok:
        print('ok ' + what)
    else:
        failures.append(what)
        print('FAIL {}: {}'.format(what, details))


async def main():
    client = TestClient(app)
    res = await client.get('/')
    check('GET /', res.status_code == 200 and res.text == 'hello from ' +
          sys.platform, (res.status_code, res.text))
    res = await client.get('/json')
    check('JSON', res.json == {'n': 42, 'items': [1, 2]}, res.text)
    res = await client.get('/user/ada')
    check('URL parameter', res.text == 'user ada', res.text)
    res = await client.post('/form', body='name=grace', headers={
        'Content-Type': 'application/x-www-form-urlencoded'})
    check('form POST', res.text == 'grace', res.text)
    res = await client.get('/missing')
    check('404', res.status_code == 404, res.status_code)

    received = []

    def talk():
        received.append((yield 'ping'))
        received.append((yield 'pong'))

    res = await client.websocket('/echo', talk)
    check('WebSocket', res.status_code == 101 and received == ['PING',
                                                               'PONG'],
          (res.status_code, received))
    res = await client.get('/events')
    check('SSE', [e['data_json'] for e in res.events] == [
        {'i': 0}, {'i': 1}, {'i': 2}], res.events)
    res = await client.post('/login', body='user=lin', headers={
        'Content-Type': 'application/x-www-form-urlencoded'})
    res = await client.get('/me')
    check('session', res.text == 'lin', res.text)


asyncio.run(main())
print('where microdot', microdot.__path__)
print('done', len(failures))
