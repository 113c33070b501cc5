"""Errors in Twilio's JSON shape: {code, message, more_info, status}."""
from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from cpaas.services.errors import DomainError, Forbidden, NotFound

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

# Twilio's generic codes for HTTP statuses that carry no more specific code.
_CODE_FOR_STATUS = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20004, 409: 20409,
                    413: 20001, 415: 20001, 422: 20001, 429: 20429, 500: 20500, 503: 20503}


class TwilioError(HTTPException):
    """An error with an explicit Twilio code: `raise TwilioError(400, 21211, "Invalid 'To' Phone Number")`."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(description=message)
        self.code = status
        self.twilio_code = code


def twilio_body(status: int, code: int, message: str) -> Response:
    # Never all of type/title/status/code together: the Python client would pick another exception class.
    response = jsonify(code=code, message=message, more_info=MORE_INFO.format(code=code), status=status)
    response.status_code = status
    return response


def render(status: int, message: str, exc: Exception) -> Response:
    code = getattr(exc, "twilio_code", None) or _CODE_FOR_STATUS.get(status, 20001)
    if status == 404 and not isinstance(exc, TwilioError):
        message = f"The requested resource {request.path} was not found"
    elif status == 405:
        message = f"Method {request.method} is not allowed on {request.path}"
    elif status == 401:
        message = "Authenticate"
    validation = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    if validation:
        return _validation_error(validation)
    response = twilio_body(status, code, message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def _validation_error(messages: dict) -> Response:
    """webargs/marshmallow errors -> Twilio's 400 with the first failing parameter named."""
    for location in messages.values():
        for field, problems in location.items():
            problem = problems[0] if isinstance(problems, list) else problems
            return twilio_body(400, 20001, f"{field}: {problem}")
    return twilio_body(400, 20001, "Invalid parameter")


# Domain errors -> Twilio codes; a service's `reason` picks a specific code where Twilio has one.
_DOMAIN_CODES = {"invalid_number": 21211, "number_taken": 21422}


def from_domain(exc: DomainError, codes: dict[str, int] | None = None) -> TwilioError:
    """Twilio answers conflicts with 400 and a specific code; `codes` lets a resource pick its own."""
    if isinstance(exc, NotFound):
        return TwilioError(404, 20404, f"The requested resource {request.path} was not found")
    if isinstance(exc, Forbidden):
        return TwilioError(403, 20403, exc.message)
    code = (codes or {}).get(exc.reason) or _DOMAIN_CODES.get(exc.reason, 20001)
    return TwilioError(400, code, exc.message)


def translated(action, codes: dict[str, int] | None = None):
    """Run `action()`; a domain error becomes the Twilio error for it (`codes`: this resource's own)."""
    try:
        return action()
    except DomainError as exc:
        raise from_domain(exc, codes) from None
