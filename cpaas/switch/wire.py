"""ESL framing: reading frames off a socket, parsing plain events, writing commands.

A frame is a header block ended by a blank line, then exactly Content-Length bytes of body.
Plain events carry a second header block in that body (URL-encoded values) and, for
BACKGROUND_JOB / CUSTOM / ..., an inner body after an inner Content-Length that comes last.

greenswitch reads line by line and URL-decodes the whole block before splitting it, which
turns an encoded newline (`Reply-Text: %2BOK%0A`) into a line break and an encoded ': '
into a header split. Here values are decoded one by one, only when they contain '%',
and a frame is cut out of one receive buffer with no per-line reads.
"""
from __future__ import annotations

from urllib.parse import unquote

from cpaas.switch.errors import EslDisconnected

_RECV_SIZE = 65536


def parse_headers(text: str, decode: bool) -> dict[str, str]:
    """'Key: value' lines -> dict; `decode` URL-decodes values (plain event headers)."""
    headers: dict[str, str] = {}
    for line in text.split("\n"):
        if not line:
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            key, _, value = line.partition(":")
            value = value.lstrip(" ")
        if decode and "%" in value:
            value = unquote(value)
        headers[key] = value
    return headers


class Event:
    """One FreeSWITCH event: decoded headers (greenswitch's `.headers` shape) and its inner body.

    Parsed lazily. A call's socket carries a dozen events per verb (CHANNEL_EXECUTE,
    CHANNEL_STATE, CODEC...) of ~3 KB each, and most are only looked at for two or three
    headers: `get()` finds one header in the raw bytes (~1 us) instead of decoding ~90
    lines (~60 us); `headers` and `body` decode everything on first use.
    """

    __slots__ = ("_raw", "_head_end", "_headers", "_body")

    def __init__(self, headers: dict[str, str] | None = None, body: str = "", raw: bytes | None = None):
        self._raw = raw
        self._headers = headers
        self._body = body if raw is None else None
        self._head_end = -1
        if raw is not None:
            end = raw.find(b"\n\n")
            self._head_end = len(raw) if end < 0 else end

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            self._headers = parse_headers(self._raw[:self._head_end].decode("utf-8", "replace"), decode=True)
        return self._headers

    @property
    def body(self) -> str:
        if self._body is None:
            length = self.get("Content-Length")
            rest = self._raw[self._head_end + 2:]
            self._body = rest[:int(length)].decode("utf-8", "replace") if length and rest else ""
        return self._body

    def get(self, key: str, default: str | None = None) -> str | None:
        if self._headers is not None:
            return self._headers.get(key, default)
        raw, end = self._raw, self._head_end
        needle = _NEEDLES.get(key)
        if needle is None:
            needle = _NEEDLES.setdefault(key, ("\n" + key + ": ").encode())
        # rfind: the last occurrence wins, as in the parsed dict (a few headers repeat)
        at = raw.rfind(needle, 0, end)
        if at >= 0:
            start = at + len(needle)
        elif raw.startswith(needle[1:]):
            start = len(needle) - 1
        else:
            return default
        stop = raw.find(b"\n", start, end)
        value = raw[start:end if stop < 0 else stop].decode("utf-8", "replace")
        return unquote(value) if "%" in value else value

    @property
    def name(self) -> str | None:
        return self.get("Event-Name")

    @property
    def subclass(self) -> str | None:
        return self.get("Event-Subclass")

    @property
    def uuid(self) -> str | None:
        return self.get("Unique-ID")

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def variable(self, name: str, default: str | None = None) -> str | None:
        return self.get("variable_" + name, default)

    def variables(self) -> dict[str, str]:
        """Channel variables without their `variable_` prefix."""
        return {k[9:]: v for k, v in self.headers.items() if k.startswith("variable_")}

    def __repr__(self) -> str:
        return f"<Event {self.name} {self.uuid or ''}>"


_NEEDLES: dict[str, bytes] = {}


def parse_event(body: bytes) -> Event:
    """The body of a text/event-plain frame -> Event (headers decoded on demand, inner body cut to length)."""
    return Event(raw=body)


class Reply:
    """A command/reply or api/response frame."""

    __slots__ = ("headers", "body")

    def __init__(self, headers: dict[str, str], body: str = ""):
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        """Reply-Text of a command reply (the body of an api response)."""
        return self.headers.get("Reply-Text", self.body)

    @property
    def ok(self) -> bool:
        return self.text.startswith("+OK")

    def __repr__(self) -> str:
        return f"<Reply {self.text[:60]!r}>"


class FrameReader:
    """Cuts frames out of a socket's byte stream: `read()` -> (outer headers, body bytes)."""

    def __init__(self, sock):
        self._recv = sock.recv
        self._buf = bytearray()

    @property
    def buffered(self) -> bool:
        """Bytes of a next frame are already here (reading it will not wait on the socket)."""
        return bool(self._buf)

    def _fill(self) -> None:
        data = self._recv(_RECV_SIZE)
        if not data:
            raise EslDisconnected("connection closed by peer")
        self._buf += data

    def read(self) -> tuple[dict[str, str], bytes]:
        buf = self._buf
        searched = 0
        while True:
            end = buf.find(b"\n\n", searched)
            if end == 0:  # a stray blank line between frames
                del buf[:1]
                continue
            if end > 0:
                break
            searched = max(0, len(buf) - 1)
            self._fill()
        head = buf[:end].decode("utf-8", "replace")
        del buf[:end + 2]
        # Outer headers are raw except the outbound `connect` reply, which is a channel-data
        # block (URL-encoded like an event: `Reply-Text: %2BOK%0A`).
        headers = parse_headers(head, decode=False)
        if "Event-Name" in headers:
            headers = parse_headers(head, decode=True)
        length = headers.get("Content-Length")
        if not length:
            return headers, b""
        size = int(length)
        while len(buf) < size:
            self._fill()
        body = bytes(buf[:size])
        del buf[:size]
        return headers, body


def encode_command(command: str, headers: dict[str, str] | None = None, body: str | None = None) -> bytes:
    """One ESL command as bytes. Refuses line breaks in the command and header values: a value
    that came from a webhook must never be able to inject a second command."""
    _check_line(command)
    lines = [command]
    if headers:
        for key, value in headers.items():
            value = str(value)
            _check_line(key)
            _check_line(value)
            lines.append(f"{key}: {value}")
    if body is not None:
        data = body.encode("utf-8")
        lines.append("content-type: text/plain")
        lines.append(f"content-length: {len(data)}")
        return ("\n".join(lines) + "\n\n").encode("utf-8") + data
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def _check_line(text: str) -> None:
    if "\n" in text or "\r" in text:
        raise ValueError(f"line break in an ESL command line: {text[:80]!r}")
