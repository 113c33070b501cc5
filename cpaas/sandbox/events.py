"""Events as FreeSWITCH builds them: the core headers, then the event's own, then an optional body.

`Event.frame(fmt)` renders (and caches) the wire frame, so one event delivered to many
listeners is encoded once per format.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from cpaas.sandbox import protocol

# Where FreeSWITCH 1.10.12 fires each event (Event-Calling-File/Function/Line-Number), from the traces.
CALLING = {
    "API": ("switch_loadable_module.c", "switch_api_execute", 2954),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1572),
    "CALL_UPDATE": ("switch_channel.c", "switch_channel_flip_cid", 3277),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3846),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 301),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", 2021),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1584),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2944),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2967),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3445),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", 943),
    "CHANNEL_HOLD": ("switch_channel.c", "switch_channel_perform_mark_hold", 1166),
    "CHANNEL_UNHOLD": ("switch_channel.c", "switch_channel_perform_mark_hold", 1166),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3560),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2408),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_UUID": ("switch_core_session.c", "switch_core_session_set_uuid", 2051),
    "CODEC": ("switch_core_codec.c", "switch_core_session_set_read_codec", 279),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 677),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 95),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1646),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2020),
    "PRIVATE_COMMAND": ("switch_ivr.c", "switch_ivr_parse_next_event", 804),
    "RECORD_START": ("switch_ivr_play_say.c", "switch_ivr_record_file_event", 767),
    "RECORD_STOP": ("switch_ivr_play_say.c", "switch_ivr_record_file_event", 1030),
    "RE_SCHEDULE": ("switch_scheduler.c", "switch_scheduler_execute", 73),
    "CUSTOM": ("mod_conference.c", "conference_send_event", 0),
}

# Every event type FreeSWITCH knows (names accepted by `event`, `nixevent`).
EVENT_TYPES = frozenset("""CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE CHANNEL_ANSWER
CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD
CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING CHANNEL_PARK
CHANNEL_UNPARK CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN STARTUP
SHUTDOWN PUBLISH UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD DTMF MESSAGE PRESENCE_IN
NOTIFY_IN PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH
DETECTED_TONE PRIVATE_COMMAND HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY
PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS CHANNEL_DATA GENERAL COMMAND
SESSION_HEARTBEAT CLIENT_DISCONNECTED SERVER_DISCONNECTED SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE
CALL_SECURE NAT RECORD_START RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE SOCKET_DATA
MEDIA_BUG_START MEDIA_BUG_STOP CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT
CALL_DETAIL DEVICE_STATE TEXT SHUTDOWN_REQUESTED ALL""".split())


@dataclass
class Identity:
    """What every event says about the switch that fired it."""

    core_uuid: str
    hostname: str
    ipv4: str = "127.0.0.1"
    ipv6: str = "::1"


@dataclass
class Event:
    name: str
    headers: list[tuple[str, str]]
    body: str | None = None
    subclass: str | None = None
    #: Unique-ID of the channel the event is about (for myevents and filters), if any.
    channel_uuid: str | None = None
    _frames: dict = field(default_factory=dict, repr=False)

    def header(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    def frame(self, fmt: str) -> bytes:
        cached = self._frames.get(fmt)
        if cached is None:
            cached = self._frames[fmt] = protocol.RENDERERS[fmt](self.headers, self.body)
        return cached


_dates: dict[int, tuple[str, str]] = {}


def _date_strings(now: float) -> tuple[str, str]:
    """Event-Date-Local and Event-Date-GMT, formatted once per second (events come in bursts)."""
    second = int(now)
    cached = _dates.get(second)
    if cached is None:
        if len(_dates) > 4:
            _dates.clear()
        cached = _dates[second] = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)),
                                   time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second)))
    return cached


def core_headers(identity: Identity, name: str, sequence: int, now: float,
                 calling: tuple[str, str, int] | None = None) -> list[tuple[str, str]]:
    file, func, line = calling or CALLING.get(name, ("switch_event.c", "switch_event_fire_detailed", 0))
    local_date, gmt_date = _date_strings(now)
    return [
        ("Event-Name", name),
        ("Core-UUID", identity.core_uuid),
        ("FreeSWITCH-Hostname", identity.hostname),
        ("FreeSWITCH-Switchname", identity.hostname),
        ("FreeSWITCH-IPv4", identity.ipv4),
        ("FreeSWITCH-IPv6", identity.ipv6),
        ("Event-Date-Local", local_date),
        ("Event-Date-GMT", gmt_date),
        ("Event-Date-Timestamp", str(int(now * 1_000_000))),
        ("Event-Calling-File", file),
        ("Event-Calling-Function", func),
        ("Event-Calling-Line-Number", str(line)),
        ("Event-Sequence", str(sequence)),
    ]
