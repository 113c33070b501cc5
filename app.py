"""WSGI entry point for any server: `gunicorn -k gevent app:app`."""
from cpaas.api import create_app

app = create_app()
