"""Conference recording (`conference NAME record FILE`): a WAV of the room for as long as it records."""
from __future__ import annotations

import gevent

from cpaas.sandbox import audio
from cpaas.sandbox.apps.record import FRAME_SECONDS, heard_source


def start_recording(room, path: str) -> None:
    if room.recording is not None:
        return
    room.recording = {"path": path, "stop": False}
    gevent.spawn(_record, room, room.recording)


def stop_recording(room) -> str | None:
    if room.recording is None:
        return None
    room.recording["stop"] = True
    return room.recording["path"]


def _record(room, state: dict) -> None:
    clock = room.switch.clock
    room.fire("start-recording", extra=[("Path", state["path"])])
    pcm = bytearray()
    last = clock.now()
    while not state["stop"] and room.members:
        gevent.sleep(clock.real(FRAME_SECONDS))
        now = clock.now()
        count = int((now - last) * audio.RATE)
        frame = b"\x00\x00" * count
        for member in list(room.members.values()):
            source = heard_source(member.channel, last)
            if source is not None and not source.is_silent(last):
                frame = source.samples(last, count)
                break
        pcm += frame
        last = now
    audio.write_wav(state["path"], bytes(pcm))
    room.fire("stop-recording", extra=[("Path", state["path"]),
                                       ("Milliseconds-Elapsed", str(len(pcm) // 2 * 1000 // audio.RATE))])
    room.recording = None
