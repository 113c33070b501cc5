"""Reader for the byte-exact FreeSWITCH ESL transcripts in ../shared/esl-traces/.

A trace is a list of `Frame`s in wire order: `direction` is "sent" (the client wrote it),
"recv" (one frame the client read) or "closed" (the peer closed the connection).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TRACES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "esl-traces"
_MARKERS = {b">>> SENT\n": "sent", b"<<< RECV\n": "recv", b"<<< CLOSED\n": "closed"}


@dataclass
class Frame:
    direction: str
    raw: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return default


def _split_headers(block: bytes) -> list[tuple[str, str]]:
    headers = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if line:
            key, _, value = line.partition(":")
            headers.append((key, value.lstrip(" ")))
    return headers


def _next_marker(data: bytes, pos: int) -> int:
    found = [i + 1 for i in (data.find(b"\n" + m, pos) for m in _MARKERS) if i >= 0]
    return min(found, default=len(data))


def parse_trace(data: bytes) -> list[Frame]:
    pos = 0
    while data.startswith(b"#", pos):  # the comment header
        pos = data.index(b"\n", pos) + 1
    frames: list[Frame] = []
    while pos < len(data):
        marker = next((m for m in _MARKERS if data.startswith(m, pos)), None)
        if marker is None:
            raise ValueError(f"expected a frame marker at byte {pos}: {data[pos:pos + 40]!r}")
        pos += len(marker)
        direction = _MARKERS[marker]
        if direction == "closed":
            frames.append(Frame("closed", b""))
            continue
        end_of_headers = data.index(b"\n\n", pos)
        headers = _split_headers(data[pos:end_of_headers])
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), None)
        body_start = end_of_headers + 2
        if length is not None:
            end = body_start + length
        elif direction == "sent":
            end = _next_marker(data, pos)  # a command without a body runs to the next marker
        else:
            end = body_start
        frames.append(Frame(direction, data[pos:end], headers, data[body_start:end]))
        pos = end
        # One separator '\n' follows a frame whose last byte is not '\n'.
        if data[pos - 1:pos] != b"\n" and data.startswith(b"\n", pos):
            pos += 1
    return frames


def load_trace(name: str) -> list[Frame]:
    """`load_trace("01-auth-api-bgapi")` -> frames."""
    path = TRACES_DIR / (name if name.endswith(".txt") else f"{name}.txt")
    return parse_trace(path.read_bytes())


def trace_names() -> list[str]:
    return sorted(p.stem for p in TRACES_DIR.glob("[0-9]*.txt"))


def event_name(frame: Frame) -> str | None:
    """Event-Name of a plain event frame (its body is a header block), else None."""
    if frame.header("Content-Type") != "text/event-plain":
        return None
    match = re.search(rb"^Event-Name: (\S+)", frame.body, re.M)
    return match.group(1).decode() if match else None
