"""The benchmark routes as a WSGI app: ``gunicorn wsgi_app:app``."""
from microdot.wsgi import Microdot

from app import create_app

app = create_app(Microdot)
