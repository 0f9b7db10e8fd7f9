"""A log-in page that remembers the user in a signed session cookie.

The routes are those of the sessions section of the docs, with an HTML form
around them. Sessions need a jwt module:

- CPython: ``pip install PyJWT``;
- MicroPython (a board): ``mpremote mip install pyjwt`` (it brings hmac), or
  freeze it with ``require("pyjwt")`` (the bundle's manifest.py does);
- MicroPython (the unix port): ``make deps`` (which ``make run`` runs
  first) installs micropython-lib's into deps/micropython-lib, and
  ``make run`` puts it on the module path, with ~/.micropython/lib (where
  ``micropython -m mip install pyjwt`` installs it).

Run it from the repository root with
``make run APP=examples/sessions/login.py`` (``RUNTIME=cpython`` for
CPython), then open http://127.0.0.1:5000/.
The secret key is read from the environment variable SECRET_KEY when set;
keep a real one secret, whoever has it can forge sessions.
"""
import os

from microdot import Microdot, Response, redirect
from microdot.session import Session, with_session

app = Microdot()
Session(app, secret_key=os.getenv('SECRET_KEY') or
        'change-me-to-a-long-random-secret-key')
Response.default_content_type = 'text/html'

PAGE = '''<!doctype html>
<html>
  <head><title>Sessions</title></head>
  <body>
    <h1>{}</h1>
    {}
  </body>
</html>'''
LOGIN_FORM = '''<form method="POST">
      <input name="username" placeholder="your name" autofocus>
      <button type="submit">Log in</button>
    </form>'''
LOGOUT_FORM = '''<form method="POST" action="/logout">
      <button type="submit">Log out</button>
    </form>'''


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace(
        '>', '&gt;').replace('"', '&quot;')


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
        return PAGE.format('Not logged in', LOGIN_FORM)
    else:
        return PAGE.format('Logged in as ' + escape(username), LOGOUT_FORM)


@app.post('/logout')
@with_session
async def logout(req, session):
    session.delete()
    return redirect('/')


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
