"""The shared routes as a WSGI app: `gunicorn app_wsgi:app`, or
`python app_wsgi.py` for the built-in server on $PORT."""
import os

from microdot.wsgi import Microdot, with_websocket

from routes_asgi_wsgi import add_routes

app = Microdot()
add_routes(app, with_websocket)

if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(os.environ['PORT']))
