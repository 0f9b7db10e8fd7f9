"""Routing: methods, URL arguments and their types, a custom type, a
mounted sub-application, hooks, error handlers.

Run it from the repository root with ``make run APP=examples/routes/routes.py``
(``RUNTIME=cpython`` for CPython), then try::

    curl http://127.0.0.1:5000/
    curl http://127.0.0.1:5000/users/42
    curl http://127.0.0.1:5000/users/ada
    curl http://127.0.0.1:5000/colors/ff8000
    curl http://127.0.0.1:5000/colors/1ff8000
    curl http://127.0.0.1:5000/files/docs/guide/intro.txt
    curl -X DELETE http://127.0.0.1:5000/users/42
    curl http://127.0.0.1:5000/admin/status -H 'X-Admin-Token: letmein'
    curl -i http://127.0.0.1:5000/nowhere
"""
import os

from microdot import Microdot, URLPattern, abort, redirect

app = Microdot()
admin = Microdot()
users = {42: 'Ada', 7: 'Grace'}


# A URL type of our own: <hex:value> matches hex digits and hands the
# handler an int.
URLPattern.register_type('hex', pattern='[0-9a-fA-F]+',
                         parser=lambda text: int(text, 16))


@app.route('/')
async def index(request):
    return ('Routes of this example:\n'
            '  GET    /users/<int:user_id>      a user by number\n'
            '  GET    /users/<name>             a user by name\n'
            '  DELETE /users/<int:user_id>\n'
            '  GET    /colors/<hex:rgb>         a custom URL type\n'
            '  GET    /files/<path:path>        a path with slashes\n'
            '  GET    /admin/status             a mounted sub-application\n'
            '  GET    /old-home                 a redirect\n')


@app.get('/users/<int:user_id>')
async def user_by_id(request, user_id):
    if user_id not in users:
        return {'error': 'no user {}'.format(user_id)}, 404
    return {'id': user_id, 'name': users[user_id]}


# Tried after the route above: a name that is not a number lands here.
@app.get('/users/<name>')
async def user_by_name(request, name):
    for user_id, user_name in users.items():
        if user_name.lower() == name.lower():
            return redirect('/users/{}'.format(user_id))
    return {'error': 'no user called {}'.format(name)}, 404


@app.delete('/users/<int:user_id>')
async def delete_user(request, user_id):
    if users.pop(user_id, None) is None:
        abort(404)          # answered by not_found() below
    return '', 204


@app.get('/colors/<hex:rgb>')
async def color(request, rgb):
    if rgb > 0xffffff:
        raise ValueError('{:x} is not an RGB color'.format(rgb))
    return {'red': rgb >> 16, 'green': (rgb >> 8) & 255, 'blue': rgb & 255}


@app.get('/files/<path:path>')
async def files(request, path):
    parts = path.split('/')
    return {'folders': parts[:-1], 'file': parts[-1]}


@app.get('/old-home')
async def old_home(request):
    return redirect('/')


# The sub-application: its routes, hook and error handler apply under
# /admin only, because it is mounted with local=True.
@admin.before_request
async def check_token(request):
    if request.headers.get('X-Admin-Token') != 'letmein':
        return {'error': 'send the header X-Admin-Token'}, 401


@admin.get('/status')
async def status(request):
    return {'users': len(users), 'prefix': request.url_prefix}


app.mount(admin, url_prefix='/admin', local=True)


@app.errorhandler(404)
async def not_found(request):
    return {'error': 'not found', 'path': request.path}, 404


@app.errorhandler(ValueError)
async def bad_value(request, exc):
    return {'error': str(exc)}, 400


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
