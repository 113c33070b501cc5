"""Base schemas for the Twilio dialect: PascalCase parameters in, snake_case JSON out, RFC 2822 dates."""
from __future__ import annotations

from datetime import datetime, timezone

import marshmallow as ma
from marshmallow import EXCLUDE, fields, validate

from cpaas.api.twilio.errors import TwilioError


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(value: datetime | None) -> str | None:
    """'Tue, 31 Aug 2010 20:36:28 +0000' (built directly: lists format thousands of these)."""
    if value is None:
        return None
    t = value.astimezone(timezone.utc)
    return (f"{_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000")


class Rfc2822(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        return rfc2822(value)


class TwilioParams(ma.Schema):
    """Request parameters. Unknown ones are ignored as Twilio does; the first invalid one is reported
    with the Twilio code in its field's metadata (`twilio_code`), default 20001."""

    class Meta:
        unknown = EXCLUDE

    def handle_error(self, error: ma.ValidationError, data, **kwargs):
        by_key = {(f.data_key or name): f for name, f in self.fields.items()}
        for key, problems in error.normalized_messages().items():
            field = by_key.get(key)
            problem = problems[0] if isinstance(problems, list) else problems
            code = field.metadata.get("twilio_code", 20001) if field else 20001
            message = field.metadata.get("twilio_message") if field else None
            raise TwilioError(400, code, message or f"{key}: {problem}")
        raise TwilioError(400, 20001, "Invalid parameter")


class TwilioBool(fields.Boolean):
    """Twilio sends 'true'/'false'; accept the usual spellings."""

    truthy = {"true", "True", "TRUE", "1", 1, True}
    falsy = {"false", "False", "FALSE", "0", 0, False}


class TwilioResource(ma.Schema):
    """Response bodies: field order as declared, dates in RFC 2822."""

    class Meta:
        ordered = True


def url_param(data_key: str, code: int = 21502, **kwargs) -> fields.String:
    """A callback/document URL parameter: absolute http(s), reported with Twilio's URL error code."""
    return fields.String(data_key=data_key, validate=validate.URL(schemes={"http", "https"}, require_tld=False),
                         metadata={"twilio_code": code, "twilio_message": f"{data_key} is not a valid URL"},
                         **kwargs)


def method_param(data_key: str, **kwargs) -> fields.String:
    return fields.String(data_key=data_key, validate=validate.OneOf(("GET", "POST", "get", "post")),
                         metadata={"twilio_message": f"{data_key} must be GET or POST"}, **kwargs)


class PageSchema(TwilioResource):
    """The page keys every list shares; a resource schema adds its one list key."""

    first_page_uri = fields.String()
    end = fields.Integer()
    previous_page_uri = fields.String(allow_none=True)
    uri = fields.String()
    page_size = fields.Integer()
    start = fields.Integer()
    next_page_uri = fields.String(allow_none=True)
    page = fields.Integer()


def page_schema(key: str, item: type[ma.Schema]) -> type[ma.Schema]:
    """`page_schema("calls", CallSchema)` -> the list body schema (named for OpenAPI)."""
    return type(f"{item.__name__.removesuffix('Schema')}PageSchema", (PageSchema,),
                {key: fields.List(fields.Nested(item))})
