"""The benchmark routes as an ASGI app: ``uvicorn asgi_app:app``."""
from microdot.asgi import Microdot

from app import create_app

app = create_app(Microdot)
