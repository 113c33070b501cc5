"""Which connections the switch offers an event to. A call socket that took only `myevents` is
filed under its channel (so an event does not cost every socket), and must be filed again as
soon as it asks for more. In-process: the switch core and listeners, no sockets."""
from __future__ import annotations

from dataclasses import dataclass

from cpaas.sandbox.core import Switch
from cpaas.sandbox.listener import Listener
from cpaas.sandbox.protocol import Command


@dataclass
class Channel:
    uuid: str


def call_socket(switch: Switch, uuid: str) -> Listener:
    listener = Listener(switch, sock=None, session=Channel(uuid))
    listener.handle(Command("myevents"))
    drain(listener)
    return listener


def drain(listener: Listener) -> list[str]:
    """Event-Names (or reply texts) of what the listener queued to send."""
    sent = []
    while not listener._out.empty():
        frame = listener._out.get().decode()
        name = next((line.split(": ", 1)[1] for line in frame.split("\n") if line.startswith("Event-Name: ")),
                    None)
        sent.append(name or frame.split("\n", 1)[0])
    return sent


def fire(switch: Switch, name: str, uuid: str | None) -> None:
    switch.fire(name, [("Unique-ID", uuid or "")], channel_uuid=uuid)


def test_a_myevents_socket_is_offered_only_its_channels_events():
    switch = Switch()
    a, b = call_socket(switch, "chan-a"), call_socket(switch, "chan-b")
    fire(switch, "CHANNEL_ANSWER", "chan-a")
    fire(switch, "CHANNEL_ANSWER", "chan-b")
    fire(switch, "HEARTBEAT", None)
    assert drain(a) == ["CHANNEL_ANSWER"] and drain(b) == ["CHANNEL_ANSWER"]
    assert switch.channel_listeners == {"chan-a": {a}, "chan-b": {b}}


def test_a_call_socket_that_subscribes_to_more_gets_other_channels_events_too():
    switch = Switch()
    a = call_socket(switch, "chan-a")
    a.handle(Command("event plain CHANNEL_ANSWER"))
    drain(a)
    fire(switch, "CHANNEL_ANSWER", "chan-b")
    fire(switch, "CHANNEL_HANGUP", "chan-b")
    fire(switch, "CHANNEL_HANGUP", "chan-a")
    assert drain(a) == ["CHANNEL_ANSWER", "CHANNEL_HANGUP"]


def test_a_call_sockets_background_job_reaches_it():
    switch = Switch()
    a = call_socket(switch, "chan-a")
    a.handle(Command("bgapi status", [("Job-UUID", "job-1")]))
    assert drain(a) == ["Content-Type: command/reply"]
    fire(switch, "BACKGROUND_JOB", None)  # someone else's job
    switch.fire("BACKGROUND_JOB", [("Job-UUID", "job-1")])
    assert drain(a) == ["BACKGROUND_JOB"]


def test_a_socket_that_stops_listening_is_offered_nothing():
    switch = Switch()
    a = call_socket(switch, "chan-a")
    a.handle(Command("noevents"))
    drain(a)
    fire(switch, "CHANNEL_HANGUP", "chan-a")
    assert drain(a) == []
