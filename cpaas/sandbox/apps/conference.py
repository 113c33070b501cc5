"""The `conference` application: `conference NAME[@profile][+flags{mute|deaf|moderator|endconf}]`."""
from __future__ import annotations

import re

from cpaas.sandbox import conference as conf
from cpaas.sandbox.apps import app


def parse_conference_arg(arg: str) -> tuple[str, str, set]:
    text = arg.strip().split()[0] if arg.strip() else ""
    flags: set = set()
    match = re.search(r"\+flags\{([^}]*)\}", text)
    if match:
        flags = {f.strip() for f in match.group(1).split("|") if f.strip()}
        text = text[:match.start()] + text[match.end():]
    name, _, profile = text.partition("@")
    return name, profile or "default", flags


@app("conference")
def conference(channel, arg):
    name, profile, flags = parse_conference_arg(arg)
    if not name:
        return None
    channel.mark_answered()
    room = conf.get_or_create(channel.switch, name, profile)
    member = room.add(channel, flags)
    channel.output = None
    while not channel.hungup and not member.kicked:
        reason = channel.wait(float("inf"))
        if reason == "break" and member.kicked:
            break
        if reason == "break":
            channel.run_pending_commands()
    room.remove(member)
    return None
