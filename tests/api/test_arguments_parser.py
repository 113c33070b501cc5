"""The arguments parser every blueprint uses reads forms and query strings as webargs' own does."""
from __future__ import annotations

import marshmallow as ma
from werkzeug.datastructures import MultiDict

from cpaas.api.blueprint import ParametersProxy


class Repeated(ma.Schema):
    tag = ma.fields.List(ma.fields.String(), data_key="Tag")
    name = ma.fields.String(data_key="Name")


class Single(ma.Schema):
    tag = ma.fields.String(data_key="Tag")


def test_absent_keys_are_missing_and_present_ones_are_read():
    form = MultiDict([("Name", "alice"), ("Tag", "a"), ("Tag", "b")])
    schema = Repeated()
    assert schema.load(ParametersProxy(form, schema)) == {"name": "alice", "tag": ["a", "b"]}
    assert schema.load(ParametersProxy(MultiDict(), schema)) == {}


def test_which_keys_repeat_is_the_schemas_own():
    form = MultiDict([("Tag", "a"), ("Tag", "b")])
    repeated, single = Repeated(), Single()
    assert repeated.load(ParametersProxy(form, repeated)) == {"tag": ["a", "b"]}
    assert single.load(ParametersProxy(form, single)) == {"tag": "a"}  # the first, as werkzeug's get gives
    assert repeated.load(ParametersProxy(form, repeated)) == {"tag": ["a", "b"]}
