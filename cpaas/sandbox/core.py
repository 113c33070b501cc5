"""The switch core: channels, the event bus, api commands and the counters `status` reports."""
from __future__ import annotations

import logging
import socket
import uuid as uuidlib

import gevent

from cpaas.sandbox.clock import Clock
from cpaas.sandbox.events import Event, Identity, core_headers

log = logging.getLogger("cpaas.sandbox")

VERSION = "1.10.12-release"
VERSION_LINE = ("FreeSWITCH Version 1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit "
                "(git a88d069 2024-08-02 21:02:27Z 64bit)")
HEARTBEAT_SECONDS = 20.0


class Switch:
    def __init__(self, controller: str = "127.0.0.1:8084", speed: float = 1.0, hostname: str | None = None):
        self.clock = Clock(speed)
        self.identity = Identity(core_uuid=str(uuidlib.uuid4()), hostname=hostname or socket.gethostname())
        self.controller = controller
        self.channels: dict[str, object] = {}
        self.listeners: set = set()                # offered every event and log line
        self.channel_listeners: dict[str, set] = {}  # offered only their channel's events
        self._placement: dict = {}                 # listener -> the channel it is filed under, or None
        self.sequence = 0
        self.sessions_since_startup = 0
        self.peak_sessions = 0
        self.max_sessions = 1000  # FreeSWITCH's default; `fsctl max_sessions N` changes it
        self.scheduled: dict[int, object] = {}
        self.next_task_id = 1
        self.conferences: dict = {}
        self._heartbeat = None

    # ---- ids and counters -------------------------------------------------------------------
    @staticmethod
    def new_uuid() -> str:
        return str(uuidlib.uuid4())

    def next_session_id(self) -> int:
        self.sessions_since_startup += 1
        return self.sessions_since_startup

    def add_channel(self, channel) -> None:
        self.channels[channel.uuid] = channel
        self.peak_sessions = max(self.peak_sessions, len(self.channels))

    def remove_channel(self, channel) -> None:
        if self.channels.get(channel.uuid) is channel:
            del self.channels[channel.uuid]

    def channel(self, uuid: str):
        return self.channels.get(uuid.strip()) if uuid else None

    # ---- events -----------------------------------------------------------------------------
    def fire(self, name: str, headers: list[tuple[str, str]], body: str | None = None,
             channel_uuid: str | None = None, calling=None, subclass: str | None = None,
             leading: list[tuple[str, str]] | None = None) -> Event:
        """Fire an event to every listener; `leading` headers go before the core ones (sendevent)."""
        self.sequence += 1
        full = (leading or []) + core_headers(self.identity, name, self.sequence, self.clock.now(), calling)
        full += headers
        event = Event(name, full, body=body, subclass=subclass, channel_uuid=channel_uuid)
        self.deliver(event)
        return event

    def deliver(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener.offer(event)
        for listener in list(self.channel_listeners.get(event.channel_uuid, ())):
            listener.offer(event)

    def listen(self, listener) -> None:
        """Offer events to listener from now on, or file it again after its subscriptions changed.
        A socket that can only take its own channel's events (outbound `myevents`, the usual call
        socket) is filed under that channel, so an event costs its channel's sockets, not every
        socket: with a thousand calls up, offering each event to all of them took a core."""
        channel_uuid = listener.channel_only()
        if listener in self._placement and self._placement[listener] == channel_uuid:
            return  # filed right already: most commands change nothing here
        self.unlisten(listener)
        self._placement[listener] = channel_uuid
        if channel_uuid is None:
            self.listeners.add(listener)
        else:
            self.channel_listeners.setdefault(channel_uuid, set()).add(listener)

    def unlisten(self, listener) -> None:
        if listener not in self._placement:
            return
        channel_uuid = self._placement.pop(listener)
        if channel_uuid is None:
            self.listeners.discard(listener)
            return
        group = self.channel_listeners[channel_uuid]
        group.discard(listener)
        if not group:
            del self.channel_listeners[channel_uuid]

    def is_listening(self, listener) -> bool:
        return listener in self._placement

    def fire_custom(self, subclass: str, headers: list[tuple[str, str]], body: str | None = None,
                    channel_uuid: str | None = None, calling=None) -> Event:
        return self.fire("CUSTOM", headers, body=body, channel_uuid=channel_uuid, calling=calling,
                         subclass=subclass, leading=[("Event-Subclass", subclass)])

    # ---- heartbeat ----------------------------------------------------------------------------
    def start_heartbeat(self) -> None:
        self._heartbeat = gevent.spawn(self._heartbeat_loop)

    def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.kill(block=False)
        for channel in list(self.channels.values()):
            channel.hangup("SYSTEM_SHUTDOWN")

    def _heartbeat_loop(self) -> None:
        while True:
            gevent.sleep(self.clock.real(HEARTBEAT_SECONDS))
            self.fire_heartbeat()

    def fire_heartbeat(self) -> None:
        uptime = self.clock.uptime()
        self.fire("HEARTBEAT", [
            ("Event-Info", "System Ready"), ("Up-Time", uptime_text(uptime)),
            ("FreeSWITCH-Version", VERSION + "+git~20240802T210227Z~a88d069d6f~64bit"),
            ("Uptime-msec", str(int(uptime * 1000))), ("Session-Count", str(len(self.channels))),
            ("Max-Sessions", str(self.max_sessions)), ("Session-Per-Sec", "30"),
            ("Session-Per-Sec-Last", "0"), ("Session-Per-Sec-Max", "0"), ("Session-Per-Sec-FiveMin", "0"),
            ("Session-Since-Startup", str(self.sessions_since_startup)),
            ("Session-Peak-Max", str(self.peak_sessions)), ("Session-Peak-FiveMin", str(self.peak_sessions)),
            ("Idle-CPU", "99.000000")])


def uptime_text(seconds: float) -> str:
    total_us = int(seconds * 1_000_000)
    us = total_us % 1000
    ms = (total_us // 1000) % 1000
    secs = int(seconds)
    years, rest = divmod(secs, 365 * 86400)
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)

    def unit(n, word):
        return f"{n} {word}{'' if n == 1 else 's'}"
    return ", ".join([unit(years, "year"), unit(days, "day"), unit(hours, "hour"), unit(minutes, "minute"),
                      unit(secs, "second"), unit(ms, "millisecond"), unit(us, "microsecond")])
