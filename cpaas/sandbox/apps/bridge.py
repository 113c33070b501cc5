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
    a.other_leg, b.other_leg = b, a
    a.other_leg_type, b.other_leg_type = "originatee", "originator"
    a.profile.callee_id_name = b.profile.caller_id_name or "Outbound Call"
    a.profile.callee_id_number = b.profile.caller_id_number
    a.set_var("last_sent_callee_id_name", a.profile.callee_id_name)
    a.set_var("last_sent_callee_id_number", a.profile.callee_id_number)
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
    # FreeSWITCH's switch_channel_execute_on/api_on run every variable whose name starts with the
    # prefix (execute_on_answer, execute_on_answer_1, ...), in the order they were set.
    names = [name for name in list(leg.variables) if name.startswith(("execute_on_answer", "api_on_answer"))]
    for var in names:
        value = leg.variables.get(var)
        if not value:
            continue
        if var.startswith("api_on_answer"):
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
    if winner is not None and not channel.hungup:
        channel.other_leg, channel.other_leg_type = winner, "originatee"
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
        channel.set_var("originate_failed_cause", cause)
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
    winner.set_state("CS_EXCHANGE_MEDIA")
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
    """uuid_bridge: both channels leave what they run (a park ends) and are connected until
    either hangs up; as in FreeSWITCH there is no EXECUTE_COMPLETE for the uuid_bridge step."""
    a.replace_script([(lambda channel: run_uuid_bridge(channel, b, True), b.uuid)])
    b.replace_script([(lambda channel: run_uuid_bridge(channel, a, False), a.uuid)])


UUID_BRIDGE_CALLING = {True: ("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1236),
                       False: ("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1243)}


def run_uuid_bridge(channel, other, originator: bool) -> None:
    for state in ("CS_HIBERNATE", "CS_RESET", "CS_SOFT_EXECUTE"):
        channel.set_state(state)
    previous, channel.current_app = channel.current_app, "uuid_bridge"
    channel.set_var("current_application", "uuid_bridge")
    channel.set_var("current_application_data", other.uuid)
    channel.fire("CHANNEL_EXECUTE", post=[("Application", "uuid_bridge"), ("Application-Data", other.uuid),
                                          ("Application-UUID", channel.switch.new_uuid())],
                 calling=UUID_BRIDGE_CALLING[originator])
    if originator:
        _link(channel, other)
    else:
        channel.set_state("CS_CONSUME_MEDIA")
        channel.set_state("CS_EXCHANGE_MEDIA")
    while not channel.ending and not other.hungup:
        channel.wait(1.0)
    if not channel.hungup:
        channel.hangup("NORMAL_CLEARING", from_peer=True)
    if originator:
        while not other.hungup:
            gevent.sleep(0.01)
        _unlink(channel, other)
    channel.current_app = previous
