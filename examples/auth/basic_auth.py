"""HTTP Basic authentication: the browser asks for a user name and a
password, and the app checks them against salted password hashes.

Run it from the repository root with
``make run APP=examples/auth/basic_auth.py`` (``RUNTIME=cpython`` for
CPython), open http://127.0.0.1:5000/ and log in as ``susan`` with the
password ``cat`` (or ``david`` / ``dog``). Or with curl::

    curl -u susan:cat http://127.0.0.1:5000/

/hello works with or without credentials.
"""
import os

from microdot import Microdot
from microdot.auth import BasicAuth
from microdot.password import check_password_hash, generate_password_hash

app = Microdot()
auth = BasicAuth()

# A real app keeps only the hashes (made once, for instance on a PC with
# generate_password_hash); few iterations here so that the example starts
# fast on a board.
USERS = {
    'susan': generate_password_hash('cat', iterations=2000),
    'david': generate_password_hash('dog', iterations=2000),
}


@auth.authenticate
async def verify_user(request, username, password):
    stored = USERS.get(username)
    if stored and check_password_hash(stored, password):
        return username


@app.route('/')
@auth
async def index(request):
    return 'Hello, {}!'.format(request.g.current_user)


@app.route('/hello')
@auth.optional
async def hello(request):
    if request.g.current_user:
        return 'Hello, {}!'.format(request.g.current_user)
    return 'Hello, anonymous user!'


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
