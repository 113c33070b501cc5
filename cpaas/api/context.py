"""Per-app and per-request resources for the API: the database session and the rate limiter."""
from __future__ import annotations

from flask import Flask, current_app, g

import redis

from cpaas.config import Settings
from cpaas.services.calls import CallEvents
from cpaas.services.rate_limit import RateLimiter
from cpaas.services.routing import Router


def db_session():
    """The request's unit of work; committed before a successful response is sent."""
    session = g.get("db_session")
    if session is None:
        session = g.db_session = current_app.extensions["cpaas.database"].sessionmaker()
    return session


def rate_limiter() -> RateLimiter:
    return current_app.extensions["cpaas.rate_limiter"]


def settings() -> Settings:
    return current_app.extensions["cpaas.settings"]


def redis_client() -> redis.Redis:
    return current_app.extensions["cpaas.redis"]


def router() -> Router:
    router = current_app.extensions.get("cpaas.router")
    if router is None:
        router = current_app.extensions["cpaas.router"] = Router(settings())
    return router


def call_events() -> CallEvents:
    return CallEvents(redis_client(), settings().webhook_retry_intervals)


def install(app: Flask) -> None:
    @app.after_request
    def commit_or_roll_back(response):
        session = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    if session.in_transaction():  # a create commits before it queues its row
                        session.commit()  # a failed commit becomes a 500, never a false 2xx
                else:
                    session.rollback()
            finally:
                session.close()
        state = g.get("rate_limit")
        if state is not None:
            response.headers["X-RateLimit-Limit"] = str(state.limit)
            response.headers["X-RateLimit-Remaining"] = str(state.remaining)
            response.headers["X-RateLimit-Reset"] = str(state.reset)
        return response

    @app.teardown_request
    def close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
