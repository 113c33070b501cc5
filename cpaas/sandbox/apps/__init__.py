"""Dialplan applications: `name -> func(channel, arg) -> Application-Response or None`."""
from __future__ import annotations

import importlib

APPS: dict[str, object] = {}
_MODULES = tuple(f"cpaas.sandbox.apps.{name}" for name in ("basic", "media", "gather", "speech", "record",
                                                          "bridge", "conference")) + ("cpaas.sandbox.api.sched",)
_loaded = False


def app(*names: str):
    def register(func):
        for name in names:
            APPS[name] = func
        return func
    return register


def lookup(name: str):
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(module)
        _loaded = True
    return APPS.get(name)
