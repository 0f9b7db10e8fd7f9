"""`make run`'s launcher: runs an app script as its runtime would, on the
MicroPython unix port or on CPython, and says where it serves, or that it
never served.

    micropython tools/run_app.py APP.py [ARGS...]   (from the app's folder)

The script runs as ``__main__`` with its own folder first on the module
path and its own argv, as `micropython APP.py` runs it. Once the app
listens, this prints the address; a script that ends without having
served (it never calls app.run() or app.start_server()) gets one sentence
saying so, and exit status 1, where it used to exit 0 in silence.
"""
import sys

import microdot.server

served = []


def main():
    path = sys.argv[1]
    del sys.argv[0]                 # the app's own argv: [APP.py, ARGS...]
    folder = path.rpartition('/')[0] or '.'
    sys.path[0] = _absolute(folder)
    start_server = microdot.server.start_server

    async def start_and_say(app, host, port, debug, ssl, start_serving):
        server = await start_server(app, host, port, debug, ssl, False)
        served.append(app)
        where = 'http://{}:{}/'.format(
            '127.0.0.1' if host == '0.0.0.0' else host, port)
        if host == '0.0.0.0':
            where += ' (and on every address of this computer)'
        print('make run: {} serves on {}; Ctrl-C stops it'.format(
            path, where))
        if start_serving:
            await microdot.server.wait_closed(app)
        return server

    microdot.server.start_server = start_and_say
    with open(path) as f:
        code = compile(f.read(), path, 'exec')
    exec(code, {'__name__': '__main__', '__file__': path})
    if not served:
        print('make run: {} ended without serving: it makes no server '
              'unless it calls app.run() (or awaits app.start_server()); '
              'add app.run() at its end'.format(path), file=sys.stderr)
        sys.exit(1)


def _absolute(folder):
    import os
    if folder.startswith('/'):
        return folder
    return os.getcwd() + ('' if folder == '.' else '/' + folder)


main()
