"""User logins: a login form, pages for logged-in users only, "remember
me", and a settings page that asks for a fresh login.

Logins are kept in the session cookie, so this needs a jwt module:

- CPython: ``pip install PyJWT``;
- MicroPython (a board): ``mpremote mip install pyjwt`` (it brings hmac), or
  freeze it with ``require("pyjwt")``;
- MicroPython (the unix port): ``make deps`` (which ``make run`` runs
  first) installs micropython-lib's into deps/micropython-lib, and
  ``make run`` puts it on the module path, with ~/.micropython/lib (where
  ``micropython -m mip install pyjwt`` installs it).

Run it from the repository root with
``make run APP=examples/login/login.py`` (``RUNTIME=cpython`` for
CPython), open
http://127.0.0.1:5000/ and log in as ``susan`` / ``cat`` or ``david`` /
``dog``. The secret key is read from the environment variable SECRET_KEY
when set; keep a real one secret, whoever has it can forge logins.
"""
import os

from microdot import Microdot, Response, redirect
from microdot.login import Login
from microdot.password import check_password_hash, generate_password_hash
from microdot.session import Session


def setting(name, default=None):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    return (getenv(name) if getenv else None) or default


class User:
    def __init__(self, id, username, password):
        self.id = id
        self.username = username
        # few iterations so that the example starts fast on a board
        self.password_hash = generate_password_hash(password,
                                                    iterations=2000)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


USERS = {1: User(1, 'susan', 'cat'), 2: User(2, 'david', 'dog')}

app = Microdot()
Session(app, secret_key=setting('SECRET_KEY',
                                'change-me-to-a-long-random-secret-key'))
login = Login()
Response.default_content_type = 'text/html'

PAGE = '''<!doctype html>
<html>
  <head><title>Login example</title></head>
  <body>
    <h1>{}</h1>
    {}
  </body>
</html>'''
LOGIN_FORM = '''<form method="POST">
      <p><input name="username" placeholder="user name" autofocus></p>
      <p><input name="password" type="password" placeholder="password"></p>
      <p><label><input name="remember" type="checkbox"> remember me</label></p>
      <button type="submit">Log in</button>
    </form>
    <p>{}</p>'''
HOME = '''<p><a href="/settings">Settings</a> (needs a fresh login)</p>
    <form method="POST" action="/logout">
      <button type="submit">Log out</button>
    </form>'''


@login.user_loader
async def get_user(user_id):
    return USERS.get(user_id)


@app.route('/login', methods=['GET', 'POST'])
async def login_page(request):
    message = ''
    if request.method == 'POST':
        username = request.form.get('username', '')
        password = request.form.get('password', '')
        for user in USERS.values():
            if user.username == username and user.check_password(password):
                return await login.login_user(
                    request, user, remember=bool(request.form.get('remember')))
        message = 'Wrong user name or password.'
    return PAGE.format('Please log in', LOGIN_FORM.format(message))


@app.route('/')
@login
async def index(request):
    return PAGE.format('Hello, {}!'.format(request.g.current_user.username),
                       HOME)


@app.get('/settings')
@login.fresh
async def settings(request):
    return PAGE.format('Settings of ' + request.g.current_user.username,
                       '<p><a href="/">Back</a></p>')


@app.post('/logout')
@login
async def logout(request):
    await login.logout_user(request)
    return redirect('/')


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
