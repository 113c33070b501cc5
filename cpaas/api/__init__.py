"""The HTTP API: an app factory that mounts each dialect's blueprints on one Flask-Smorest Api."""
from __future__ import annotations

import logging

import redis
from flask import Flask
from flask_smorest import Api

from cpaas.api import context, docs, errors, gateways
from cpaas.api import twilio as twilio_dialect
from cpaas.config import Settings, load_settings
from cpaas.models import Database
from cpaas.services.rate_limit import RateLimiter


def create_app(settings: Settings | None = None, *, database: Database | None = None,
               redis_client: redis.Redis | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask("cpaas")
    app.config.update(
        API_TITLE="cpaas",
        API_VERSION="2010-04-01",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        **docs.openapi_config(),
    )
    app.json.sort_keys = False
    app.extensions["cpaas.settings"] = settings
    app.extensions["cpaas.database"] = database or Database.from_settings(settings)
    client = redis_client or redis.Redis.from_url(settings.effective_redis_url)
    app.extensions["cpaas.redis"] = client
    app.extensions["cpaas.rate_limiter"] = RateLimiter(client, settings.api_rate_limit, settings.api_rate_window)
    app.logger.setLevel(getattr(logging, settings.log_level))

    api = Api(app, spec_kwargs={"info": {"description": "Twilio-compatible voice and messaging API. "
                                                        "Point a Twilio SDK's base URL here."}})
    renderers = errors.ErrorRenderers()
    twilio_dialect.register(app, api, renderers)
    errors.install(app, renderers)
    context.install(app)
    app.register_blueprint(docs.blp)
    app.register_blueprint(gateways.blp)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
