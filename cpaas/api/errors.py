"""Which dialect renders an error: chosen by the request path, so each API keeps its own error shape."""
from __future__ import annotations

from typing import Callable

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

# (path prefix, renderer(status, message, exc) -> Response)
Renderer = Callable[[int, str, Exception], Response]


class ErrorRenderers:
    def __init__(self):
        self._by_prefix: list[tuple[str, Renderer]] = []

    def register(self, prefix: str, renderer: Renderer) -> None:
        self._by_prefix.append((prefix, renderer))
        self._by_prefix.sort(key=lambda item: len(item[0]), reverse=True)

    def render(self, status: int, message: str, exc: Exception) -> Response:
        for prefix, renderer in self._by_prefix:
            if request.path.startswith(prefix):
                return renderer(status, message, exc)
        response = jsonify(status=status, message=message)
        response.status_code = status
        return response


def install(app: Flask, renderers: ErrorRenderers) -> None:
    def on_http_exception(exc: HTTPException):
        response = renderers.render(exc.code or 500, _message(exc), exc)
        for key, value in (exc.get_headers() if exc.response is None else exc.response.headers):
            if key.lower() not in ("content-type", "content-length"):
                response.headers[key] = value
        return response

    def on_unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return renderers.render(500, InternalServerError.description, exc)

    app.register_error_handler(HTTPException, on_http_exception)
    app.register_error_handler(Exception, on_unexpected)


def _message(exc: HTTPException) -> str:
    return exc.description or exc.name
