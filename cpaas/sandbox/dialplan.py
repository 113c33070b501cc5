"""The sandbox's default dialplan: what an extension reached through `loopback/`, a dialplan
originate or a transfer runs. Stock FreeSWITCH's demo extensions plus the ones the ESL traces used,
and `esl-out`/`controller`, which hand the call to the controller's socket like our dialplan/ does.
"""
from __future__ import annotations

import re

TONE_440 = "tone_stream://%(1000,0,440);loops=-1"
HOLD_MUSIC = "tone_stream://%(400,200,440,480);loops=-1"


def extension(switch, number: str) -> list[tuple[str, str]] | None:
    """The applications extension `number` runs, or None (NO_ROUTE_DESTINATION)."""
    socket_arg = f"{switch.controller} async full"
    fixed = {
        "echo": [("answer", ""), ("echo", "")],
        "9196": [("answer", ""), ("echo", "")],
        "9195": [("answer", ""), ("sleep", "5000"), ("echo", "")],    # echo after a 5 s delay
        "9664": [("answer", ""), ("playback", HOLD_MUSIC)],         # hold music
        "ringecho": [("ring_ready", ""), ("sleep", "500"), ("pre_answer", ""), ("sleep", "500"),
                     ("answer", ""), ("echo", "")],
        "tone": [("answer", ""), ("playback", TONE_440)],
        "tonesilence": [("answer", ""), ("playback", "tone_stream://%(2000,0,440)"),
                        ("playback", "silence_stream://-1")],
        "park": [("answer", ""), ("park", "")],
        "busy": [("respond", "486")],
        "noanswer": [("ring_ready", ""), ("park", "")],
        "esl-out": [("socket", socket_arg)],
        "controller": [("socket", socket_arg)],
    }
    if number in fixed:
        return fixed[number]
    if re.fullmatch(r"\+?\d{3,15}", number):
        # Any other number is an inbound call for the product: hand it to the controller.
        return [("set", f"cpaas_to={number}"), ("socket", socket_arg)]
    return None


def transfer(channel, destination: str, context: str = "default") -> None:
    """uuid_transfer / transfer: stop what the channel does and run `destination` instead."""
    from cpaas.sandbox.channel import Command
    apps = extension(channel.switch, destination)
    channel.profile.destination_number = destination
    channel.profile.times["transfer"] = channel.switch.clock.now_us()
    if apps is None:
        channel.hangup("NO_ROUTE_DESTINATION")
        return
    channel.break_media(all_=True)
    for app, arg in apps:
        channel.queue_command(Command("execute", app, arg))
