"""Domain errors. Services raise these; each API dialect renders them in its own error shape."""
from __future__ import annotations


class DomainError(Exception):
    """Base class: `reason` is a stable machine key a dialect maps to its own code."""

    reason = "invalid"

    def __init__(self, message: str, reason: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if reason:
            self.reason = reason


class NotFound(DomainError):
    reason = "not_found"


class InvalidParameter(DomainError):
    """Input that fails a domain rule (not a schema rule), e.g. a From number the account doesn't own."""


class Forbidden(DomainError):
    reason = "forbidden"


class Conflict(DomainError):
    reason = "conflict"
