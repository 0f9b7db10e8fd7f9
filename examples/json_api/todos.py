"""A JSON API: a to-do list kept in memory, with the usual verbs, JSON
errors and checked input.

Run it from the repository root with
``make run APP=examples/json_api/todos.py``
(``RUNTIME=cpython`` for CPython), then::

    curl http://127.0.0.1:5000/api/todos
    curl -i -X POST http://127.0.0.1:5000/api/todos \\
        -H 'Content-Type: application/json' -d '{"title": "water the plants"}'
    curl -X PATCH http://127.0.0.1:5000/api/todos/1 \\
        -H 'Content-Type: application/json' -d '{"done": true}'
    curl 'http://127.0.0.1:5000/api/todos?done=true'
    curl -i -X DELETE http://127.0.0.1:5000/api/todos/1

A dict or list returned by a handler is sent as JSON, and so is every
error, those the framework raises (malformed JSON, a wrong method) too::

    curl -i -X POST http://127.0.0.1:5000/api/todos \\
        -H 'Content-Type: application/json' -d '{"title": '
"""
import os

from microdot import Microdot

app = Microdot()
todos = {}              # id -> {'id', 'title', 'done'}
next_id = [1]
MAX_TODOS = 100


def checked(data, partial=False):
    """The fields of a to-do from a request body, or a ValueError."""
    if not isinstance(data, dict):
        raise ValueError('send a JSON object')
    unknown = [key for key in data if key not in ('title', 'done')]
    if unknown:
        raise ValueError('unknown field: ' + ', '.join(sorted(unknown)))
    if not partial and 'title' not in data:
        raise ValueError('"title" is required')
    if 'title' in data and (not isinstance(data['title'], str) or
                            not data['title'].strip()):
        raise ValueError('"title" must be a non-empty string')
    if 'done' in data and not isinstance(data['done'], bool):
        raise ValueError('"done" must be true or false')
    return data


def find(todo_id):
    if todo_id not in todos:
        raise LookupError('no to-do {}'.format(todo_id))
    return todos[todo_id]


@app.get('/api/todos')
async def list_todos(request):
    done = request.args.get('done')
    items = [todos[key] for key in sorted(todos)]
    if done is not None:
        items = [todo for todo in items if todo['done'] == (done == 'true')]
    return items


@app.post('/api/todos')
async def create_todo(request):
    data = checked(request.json)
    if len(todos) >= MAX_TODOS:
        return {'error': 'the list is full'}, 507
    todo = {'id': next_id[0], 'title': data['title'].strip(),
            'done': data.get('done', False)}
    todos[todo['id']] = todo
    next_id[0] += 1
    return todo, 201, {'Location': '/api/todos/{}'.format(todo['id'])}


@app.get('/api/todos/<int:todo_id>')
async def get_todo(request, todo_id):
    return find(todo_id)


@app.route('/api/todos/<int:todo_id>', methods=['PUT', 'PATCH'])
async def update_todo(request, todo_id):
    todo = find(todo_id)
    data = checked(request.json, partial=request.method == 'PATCH')
    if request.method == 'PUT':
        data.setdefault('done', False)
    todo.update(data)
    todo['title'] = todo['title'].strip()
    return todo


@app.delete('/api/todos/<int:todo_id>')
async def delete_todo(request, todo_id):
    find(todo_id)
    del todos[todo_id]
    return '', 204


# Errors as JSON too, so that a client has one format to read.
@app.errorhandler(ValueError)
async def bad_request(request, exc):
    return {'error': str(exc)}, 400


@app.errorhandler(LookupError)
async def not_found(request, exc):
    return {'error': str(exc)}, 404


@app.errorhandler(404)
async def no_route(request):
    return {'error': 'no such URL: ' + request.path}, 404


# The framework's own errors: request.json raises a 400 for a body that is
# not JSON, a body over the size limit is a 413, another method a 405.
@app.errorhandler(400)
async def malformed(request):
    return {'error': 'malformed request: send a JSON object'}, 400


@app.errorhandler(405)
async def wrong_method(request):
    return {'error': request.method + ' is not allowed here'}, 405


@app.errorhandler(413)
async def too_large(request):
    return {'error': 'the body is too large'}, 413


def port_from_environment(default=5000):
    getenv = getattr(os, 'getenv', None)    # a board has no environment
    value = getenv('HTTP_PORT') if getenv else None
    return int(value) if value else default


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=port_from_environment(), debug=True)
