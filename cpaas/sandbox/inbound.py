"""Inbound calls: a call arriving from a (simulated) SIP trunk, routed as our dialplan/ routes it,
i.e. straight to the controller's socket with the cpaas_* channel variables set.
"""
from __future__ import annotations

import re

import gevent

from cpaas.sandbox import farend
from cpaas.sandbox.channel import Channel
from cpaas.sandbox.profile import CallerProfile

RING_TIMEOUT = 60.0   # a caller nobody answers gives up after this long (ORIGINATOR_CANCEL)


def e164(number: str) -> str:
    digits = re.sub(r"[^\d+]", "", number or "")
    if digits and not digits.startswith("+"):
        digits = "+" + digits
    return digits


def place_inbound_call(switch, from_number: str, to_number: str, trunk: str = "sandbox",
                       script: farend.FarEnd | None = None, variables: dict | None = None) -> Channel:
    """Create the inbound channel and hand it to the controller; returns it at once."""
    uuid = switch.new_uuid()
    name = f"sofia/{trunk}/{from_number}@{trunk}.sandbox"
    profile = CallerProfile(direction="inbound", caller_id_number=from_number, caller_id_name=from_number,
                            destination_number=to_number, source="mod_sofia", context="public")
    channel = Channel(switch, uuid, name, "inbound", profile, hit_dialplan=True)
    channel.farend = script or farend.FarEnd()
    for key, value in (("direction", "inbound"), ("uuid", uuid), ("session_id", channel.session_id),
                       ("sip_from_user", from_number), ("sip_to_user", to_number),
                       ("sip_call_id", f"{uuid}@{trunk}.sandbox"), ("channel_name", name),
                       ("read_codec", "L16"), ("read_rate", "8000"), ("write_codec", "L16"),
                       ("write_rate", "8000"), ("call_uuid", uuid),
                       ("cpaas_direction", "inbound"), ("cpaas_trunk", trunk),
                       ("cpaas_to", e164(to_number)), ("cpaas_from", e164(from_number)),
                       ("cpaas_original_to", to_number), ("cpaas_original_from", from_number)):
        channel.set_var(key, value)
    for key, value in (variables or {}).items():
        channel.set_var(key, value)
    switch.add_channel(channel)
    channel.fire("CHANNEL_STATE", with_vars=False)  # CS_NEW, as sofia reports a new inbound call
    channel.set_state("CS_INIT")
    channel.state_number = 2
    channel.fire("CHANNEL_CREATE")
    channel.state, channel.state_number = "CS_ROUTING", 2
    channel.set_callstate("RINGING")
    channel.fire("CHANNEL_STATE", with_vars=False)
    channel.set_state("CS_EXECUTE")
    channel.start([("socket", f"{switch.controller} async full")])
    gevent.spawn_later(switch.clock.real(RING_TIMEOUT), _give_up, channel)
    return channel


def _give_up(channel: Channel) -> None:
    if not channel.answered and not channel.hungup:
        channel.hangup("ORIGINATOR_CANCEL", from_peer=True)
