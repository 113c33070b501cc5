"""bridge (dial a B leg and connect it to this channel) and uuid_bridge (connect two live channels).

A failed bridge sets originate_disposition / DIALSTATUS / originate_causes; without
continue_on_fail it hangs the caller up, except on NO_ANSWER-like causes (as FreeSWITCH 1.10 does).
"""
from __future__ import annotations

import gevent

from cpaas.sandbox import originate
from cpaas.sandbox.apps import app
from cpaas.sandbox.channel import Command

DIALSTATUS = {"SUCCESS": "SUCCESS", "USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER",
              "NO_USER_RESPONSE": "NOANSWER", "ORIGINATOR_CANCEL": "CANCEL", "CALL_REJECTED": "BUSY"}
_KEEP_CALLER = {"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL", "LOSE_RACE"}


def _continue_on_fail(channel, cause: str) -> bool:
    value = (channel.variables.get("continue_on_fail") or "").strip()
    if value.lower() == "true":
        return True
    return cause in {c.strip().upper() for c in value.split(",") if c.strip()}


def _link(a, b) -> None:
    now = a.switch.clock.now_us()
    a.bridged_to, b.bridged_to = b, a
    a.other_leg_type, b.other_leg_type = "originatee", "originator"
    for x, y in ((a, b), (b, a)):
        x.profile.times["bridged"] = now
        x.set_var("last_bridge_to", y.uuid)
        x.set_var("bridge_channel", y.name)
        x.set_var("bridge_uuid", y.uuid)
        x.set_var("signal_bond", y.uuid)
    a.fire("CHANNEL_BRIDGE", pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])


def _unlink(a, b) -> None:
    if a.bridged_to is not b:
        return
    cause = b.hangup_cause or a.hangup_cause or "NORMAL_CLEARING"
    for x in (a, b):
        x.set_var("last_bridge_hangup_cause", cause)
        x.set_var("bridge_hangup_cause", cause)
    a.fire("CHANNEL_UNBRIDGE", pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
    a.bridged_to = b.bridged_to = None


def _hold_bridge(a, b) -> str:
    """While bridged: wait until a side hangs up or the bridge is broken; returns why."""
    while True:
        if a.hungup:
            b.hangup("NORMAL_CLEARING", from_peer=True)
            return "hangup"
        if b.hungup:
            return "peer"
        reason = a.wait(1.0)
        if reason == "break" or a.bridged_to is not b:
            return "break"
        if b.hungup and not a.hungup:
            return "peer"


def _on_answer_apps(leg) -> None:
    for var in ("execute_on_answer", "api_on_answer"):
        value = leg.variables.get(var)
        if not value:
            continue
        if var == "api_on_answer":
            from cpaas.sandbox.api import execute
            gevent.spawn(execute, leg.switch, value)
            continue
        name, _, arg = value.partition(" ")
        leg.queue_command(Command("execute", name, arg))


@app("bridge")
def bridge(channel, arg):
    if channel.answered:
        channel.set_callstate("RING_WAIT")
    try:
        winner, cause, tried = originate.dial(channel.switch, arg, {
            "cid_num": channel.profile.caller_id_number, "cid_name": channel.profile.caller_id_name,
            "timeout": channel.variables.get("call_timeout") or 60}, a_leg=channel)
    except originate.DialStringError:
        winner, cause, tried = None, "INVALID_URL", []
    if channel.call_state == "RING_WAIT" and not channel.hungup:
        channel.set_callstate("ACTIVE")
    legs = ",".join(f"{o.channel.uuid};Outbound Call;{o.leg.endpoint.split('/')[-1]}"
                    for o in tried if o.channel is not None)
    if legs:
        channel.set_var("originated_legs", legs)
    causes_text = ",".join(f"{o.channel.uuid};{o.channel.hangup_cause or 'NONE'}" for o in tried
                           if o.channel is not None)
    if winner is None:
        if channel.hungup:
            return None
        channel.set_var("originate_disposition", cause)
        channel.set_var("DIALSTATUS", DIALSTATUS.get(cause, cause))
        if causes_text:
            channel.set_var("originate_causes", causes_text)
        if not _continue_on_fail(channel, cause) and cause not in _KEEP_CALLER:
            channel.hangup(cause)
        return None
    channel.set_var("originate_disposition", "SUCCESS")
    channel.set_var("DIALSTATUS", "SUCCESS")
    if causes_text:
        channel.set_var("originate_causes", causes_text)
    if channel.hungup:
        winner.hangup("ORIGINATOR_CANCEL")
        winner.start_idle()
        return None
    winner.start_idle()
    channel.mark_answered()
    _link(channel, winner)
    _on_answer_apps(winner)
    why = _hold_bridge(channel, winner)
    _unlink(channel, winner)
    if why == "break":
        winner.hangup("NORMAL_CLEARING")
    elif why == "peer" and channel.variables.get("hangup_after_bridge", "false") == "true":
        channel.hangup("NORMAL_CLEARING")
    return None


def bridge_existing(a, b) -> None:
    """uuid_bridge: stop what both channels do and connect them until either hangs up."""
    for leg in (a, b):
        leg.break_media(all_=True)
        leg.queue_command(Command("execute", "uuid_bridge", b.uuid if leg is a else a.uuid))


@app("uuid_bridge")
def uuid_bridge_app(channel, arg):
    """The internal half of uuid_bridge on each leg: linked while both are up."""
    other = channel.switch.channel(arg.strip())
    if other is None:
        return None
    if channel.bridged_to is None and other.bridged_to is None:
        _link(channel, other)
    while not channel.hungup and not other.hungup and channel.bridged_to is other:
        channel.wait(1.0)
    if channel.bridged_to is other:
        _unlink(channel, other) if other.bridged_to is channel and channel.other_leg_type == "originatee" \
            else _unlink(other, channel)
    if not channel.hungup:
        channel.hangup("NORMAL_CLEARING", from_peer=True)
    return None
