"""The sessions example of the docs, as written there, served on PORT.

Its secret key is the docs' 'top-secret', so two servers started from this
script (on different runtimes) read each other's cookies."""
import os

from microdot import Microdot, redirect
from microdot.session import Session, with_session

app = Microdot()
Session(app, secret_key='top-secret')


@app.route('/', methods=['GET', 'POST'])
@with_session
async def index(req, session):
    username = session.get('username')
    if req.method == 'POST':
        username = req.form.get('username')
        session['username'] = username
        session.save()
        return redirect('/')
    if username is None:
        return 'Not logged in'
    else:
        return 'Logged in as ' + username


@app.post('/logout')
@with_session
async def logout(req, session):
    session.delete()
    return redirect('/')


app.run(host='127.0.0.1', port=int(os.getenv('PORT')))
