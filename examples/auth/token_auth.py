"""Token authentication for an API: clients send
``Authorization: Bearer <token>``; failures get a JSON error.

Run it from the repository root with
``make run APP=examples/auth/token_auth.py`` (``RUNTIME=cpython`` for
CPython), then::

    curl -H 'Authorization: Bearer susan-token' http://127.0.0.1:5000/
    curl http://127.0.0.1:5000/            # 401 {"error": "..."}
    curl http://127.0.0.1:5000/hello       # works without a token too
"""
import os

from microdot import Microdot
from microdot.auth import TokenAuth

app = Microdot()
auth = TokenAuth()

TOKENS = {'susan-token': 'susan', 'david-token': 'david'}


@auth.authenticate
async def verify_token(request, token):
    return TOKENS.get(token)


@auth.errorhandler
async def token_error(request):
    return {'error': 'a valid bearer token is needed'}, 401, {
        'WWW-Authenticate': 'Bearer'}


@app.route('/')
@auth
async def index(request):
    return {'user': request.g.current_user}


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
