"""The Twilio dialect: /2010-04-01, Basic auth, Twilio error bodies and paging."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api

from cpaas.api.errors import ErrorRenderers
from cpaas.api.twilio import accounts, calls, conferences, keys, messages, phone_numbers, recordings
from cpaas.api.twilio.auth import require_principal
from cpaas.api.twilio.errors import render

PREFIX = "/2010-04-01"
BLUEPRINTS = (accounts.blp, keys.blp, phone_numbers.blp, recordings.blp, messages.blp, calls.blp, conferences.blp)


def register(app: Flask, api: Api, renderers: ErrorRenderers) -> None:
    renderers.register(PREFIX, render)
    names = {blueprint.name for blueprint in BLUEPRINTS}
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)

    @app.before_request
    def authenticate_twilio_requests():
        if request.blueprint in names:
            require_principal()

    api.spec.components.security_scheme("twilioBasic", {"type": "http", "scheme": "basic",
                                                         "description": "Account SID + auth token, "
                                                                        "or API Key SID + secret"})
    api.spec.options["security"] = [{"twilioBasic": []}]
