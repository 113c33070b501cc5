"""Conference members whose events a call's flow is waiting for.

The node listener reads every conference::maintenance event of its node; a flow that needs its own
member's (the member id once it joined, the end of a file played to it alone, its conference
starting) registers the member's channel here. The listener and the flows run in the same
controller process, so a dict in the process is all it takes.
"""
from __future__ import annotations

from typing import Protocol


class MemberWatcher(Protocol):
    conference_sid: str

    def joined(self, member_id: str, started: bool) -> None: ...

    def file_done(self) -> None: ...

    def stop(self, silently: bool = False) -> None: ...


_watching: dict[str, MemberWatcher] = {}  # channel uuid -> watcher


def watch(channel_uuid: str, watcher: MemberWatcher) -> None:
    _watching[channel_uuid] = watcher


def unwatch(channel_uuid: str) -> None:
    _watching.pop(channel_uuid, None)


def joined(channel_uuid: str, member_id: str | None, started: bool) -> None:
    """add-member: `started` tells whether the conference had started once this member was in."""
    watcher = _watching.get(channel_uuid)
    if watcher is not None and member_id:
        watcher.joined(member_id, started)


def file_done(channel_uuid: str) -> None:
    watcher = _watching.get(channel_uuid)
    if watcher is not None:
        watcher.file_done()


def left(channel_uuid: str) -> None:
    watcher = _watching.get(channel_uuid)
    if watcher is not None:
        watcher.stop(silently=True)  # the member is gone, and whatever played to it with it


def conference_started(conference_sid: str) -> None:
    for watcher in list(_watching.values()):
        if watcher.conference_sid == conference_sid:
            watcher.stop()
