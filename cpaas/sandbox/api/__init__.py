"""The api command table (`api X`, `bgapi X`): one function per command, returning its output text.

Errors are output too, exactly as FreeSWITCH words them (`-ERR x Command not found!\\n`, `-USAGE: ...`).
"""
from __future__ import annotations

import logging

log = logging.getLogger("cpaas.sandbox.api")

COMMANDS: dict[str, object] = {}


def command(name: str, *aliases: str):
    def register(func):
        for key in (name, *aliases):
            COMMANDS[key] = func
        return func
    return register


def execute(switch, line: str, listener=None, fire_api_event: bool = True) -> str:
    from cpaas.sandbox.api import conference, core, originate, sandbox, sched, uuid  # noqa: F401 (registration)
    line = line.strip()
    name, _, arg = line.partition(" ")
    arg = arg.strip()
    if fire_api_event:
        headers = [("API-Command", name)]
        if arg:
            headers.append(("API-Command-Argument", arg))
        switch.fire("API", headers)
    func = COMMANDS.get(name)
    if func is None:
        return f"-ERR {name} Command not found!\n"
    try:
        return func(switch, arg, listener)
    except Exception:
        log.exception("api %s failed", name)
        return f"-ERR {name} failed\n"
