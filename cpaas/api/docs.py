"""Swagger UI and ReDoc served from local files (the drf-spectacular-sidecar wheel), so /docs works offline."""
from __future__ import annotations

from pathlib import Path

import drf_spectacular_sidecar
from flask import Blueprint, abort, send_from_directory

ASSETS = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"
_FOLDERS = {"swagger-ui": ASSETS / "swagger-ui-dist", "redoc": ASSETS / "redoc" / "bundles"}

blp = Blueprint("docs_assets", __name__)


@blp.route("/docs/assets/<string:package>/<path:filename>")
def asset(package: str, filename: str):
    folder = _FOLDERS.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)


def openapi_config() -> dict:
    return {
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/docs/assets/swagger-ui/",
        # No calls to validator.swagger.io: the product must work with no internet.
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "deepLinking": True},
        "OPENAPI_REDOC_PATH": "docs/redoc",
        "OPENAPI_REDOC_URL": "/docs/assets/redoc/redoc.standalone.js",
    }
