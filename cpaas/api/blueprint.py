"""The Blueprint every dialect's resources use."""
from __future__ import annotations

import weakref

import flask_smorest
import marshmallow as ma
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy


class ParametersProxy(MultiDictProxy):
    """webargs' view of a query string, form or headers, without werkzeug's cost for absent keys.

    werkzeug's `MultiDict.get` looks a key up by raising and catching a BadRequestKeyError (an HTTP
    exception, built in full) for every key it lacks, and a Calls.create leaves a dozen optional
    parameters out: that was half the cost of loading its arguments. Which keys repeat depends only
    on the schema, so it is worked out once per schema rather than once per request."""

    _repeated_keys: "weakref.WeakKeyDictionary[ma.Schema, set[str]]" = weakref.WeakKeyDictionary()

    def _collect_multiple_keys(self, schema: ma.Schema) -> set[str]:
        keys = self._repeated_keys.get(schema)
        if keys is None:
            keys = self._repeated_keys[schema] = super()._collect_multiple_keys(schema)
        return keys

    def __getitem__(self, key: str):
        if key not in self.data:
            return ma.missing
        return super().__getitem__(key)


class ArgumentsParser(FlaskParser):
    def _makeproxy(self, multidict, schema, *, cls=ParametersProxy):
        return super()._makeproxy(multidict, schema, cls=cls)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing each endpoint's arguments with one schema instance.

    Given a schema class, webargs builds a new instance for every request, and marshmallow deep-copies
    every declared field to do it: a sixth of a Calls.create's CPU. A marshmallow schema keeps no
    per-load state, so one instance serves every request."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def arguments(self, schema, *args, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
