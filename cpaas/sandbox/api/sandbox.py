"""sandbox_call: script an inbound call at run time (the `cpaas sandbox call` CLI sends this).

sandbox_call --from +15551230000 --to +15557650000 [--dtmf 1@2s,23#@5s] [--say "yes please@2s"]
             [--hangup-after 10s] [--audio speech:3s] [--trunk sandbox] [--var name=value]...
DTMF, speech and hang-up times count from the answer.
"""
from __future__ import annotations

import shlex

from cpaas.sandbox import farend
from cpaas.sandbox.api import command
from cpaas.sandbox.inbound import place_inbound_call

USAGE = ("-USAGE: sandbox_call --from <number> --to <number> [--dtmf <digits>@<time>,...] "
         "[--say '<words>@<time>[:<confidence>],...'] [--hangup-after <time>] "
         "[--audio speech:3s|tone:440:2s|silence:1s|wav:/path] [--trunk <name>] [--var <name>=<value>]...\n")


def parse_call_args(arg: str) -> dict:
    words = shlex.split(arg)
    options: dict = {"vars": {}}
    i = 0
    while i < len(words):
        key = words[i]
        if not key.startswith("--") or i + 1 >= len(words):
            raise ValueError(key)
        value = words[i + 1]
        name = key[2:].replace("-", "_")
        if name == "var":
            var, _, val = value.partition("=")
            options["vars"][var] = val
        elif name in ("from", "to", "dtmf", "say", "hangup_after", "audio", "trunk"):
            options[name] = value
        else:
            raise ValueError(key)
        i += 2
    if "from" not in options or "to" not in options:
        raise ValueError("--from and --to are required")
    return options


@command("sandbox_call")
def sandbox_call(switch, arg, listener):
    try:
        options = parse_call_args(arg)
        script = farend.build(dtmf=options.get("dtmf"), say=options.get("say"), audio=options.get("audio"),
                              hangup_after=farend.parse_duration(options.get("hangup_after")))
    except ValueError as exc:
        return f"-ERR {exc}\n" + USAGE
    channel = place_inbound_call(switch, options["from"], options["to"], trunk=options.get("trunk", "sandbox"),
                                 script=script, variables=options["vars"])
    return f"+OK {channel.uuid}\n"


@command("sandbox_member_files")
def sandbox_member_files(switch, arg, listener):
    """`+OK` then what mod_conference is playing to the conference member on channel <uuid> alone
    (member `play`), one file a line, the one playing first. FreeSWITCH has no such command: it is
    a test's view of what a participant hears."""
    uuid = arg.strip()
    for room in switch.conferences.values():
        for member in room.members.values():
            if member.channel.uuid == uuid:
                return "+OK\n" + "".join(f"{path}\n" for path, _ in member.files)
    return f"-ERR {uuid} is no conference member\n"
