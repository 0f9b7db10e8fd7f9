"""The shared routes as an ASGI app: `uvicorn app_asgi:app`, or
`python app_asgi.py` for the built-in server on $PORT."""
import os

from microdot.asgi import Microdot, with_websocket

from routes_asgi_wsgi import add_routes, startup, shutdown

app = Microdot(lifespan_startup=startup, lifespan_shutdown=shutdown)
add_routes(app, with_websocket)

if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(os.environ['PORT']))
