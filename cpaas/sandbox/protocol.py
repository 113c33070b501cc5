"""Event Socket wire format, byte for byte as FreeSWITCH 1.10 writes it.

Header order depends on the frame (see ../shared/esl-traces/README.md): command replies are
`Content-Type`, `Reply-Text`; api responses `Content-Type`, `Content-Length`; events put
`Content-Length` first. Plain and XML event values are URL-encoded with FreeSWITCH's unsafe set.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# switch_url_encode(): SWITCH_URL_UNSAFE plus control and non-ASCII bytes.
_UNSAFE = set(b"\r\n \"#%&+:;<=>?@[\\]^`{|}")
GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


_NEEDS_ENCODING = re.compile(r'[\x00-\x1f\x7f-\U0010ffff \r\n"#%&+:;<=>?@\[\\\]^`{|}]')


def url_encode(value: str) -> str:
    value = str(value)
    if not _NEEDS_ENCODING.search(value):  # most header values need nothing: skip the byte loop
        return value
    out = []
    for byte in value.encode("utf-8"):
        if byte in _UNSAFE or byte < 0x20 or byte > 0x7E:
            out.append("%%%02X" % byte)
        else:
            out.append(chr(byte))
    return "".join(out)


def url_decode(value: str) -> str:
    from urllib.parse import unquote
    return unquote(value)


def command_reply(text: str, *extra: tuple[str, str]) -> bytes:
    lines = ["Content-Type: command/reply", f"Reply-Text: {text}"]
    lines += [f"{k}: {v}" for k, v in extra]
    return ("\n".join(lines) + "\n\n").encode()


def api_response(body: str | bytes) -> bytes:
    data = body.encode() if isinstance(body, str) else body
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def auth_request() -> bytes:
    return b"Content-Type: auth/request\n\n"


def rude_rejection() -> bytes:
    body = b"Access Denied, go away.\n"
    return b"Content-Type: text/rude-rejection\nContent-Length: %d\n\n" % len(body) + body


def disconnect_notice(session_uuid: str | None = None, disposition: str = "disconnect",
                      channel_name: str | None = None, linger_time: int | None = None) -> bytes:
    """The goodbye frame; with a controlled session it names it and says why (linger or disconnect)."""
    lines = ["Content-Type: text/disconnect-notice"]
    body = GOODBYE
    if session_uuid:
        lines += [f"Controlled-Session-UUID: {session_uuid}", f"Content-Disposition: {disposition}"]
        if disposition == "linger":
            lines += [f"Channel-Name: {channel_name}", f"Linger-Time: {linger_time}"]
            body = b""
    lines.append(f"Content-Length: {len(body)}")
    return ("\n".join(lines) + "\n\n").encode() + body


def log_data(text: str, level: int, file: str, func: str, line: int) -> bytes:
    body = text.encode()
    head = (f"Content-Type: log/data\nContent-Length: {len(body)}\nLog-Level: {level}\nText-Channel: 3\n"
            f"Log-File: {file}\nLog-Func: {func}\nLog-Line: {line}\nUser-Data: \n\n")
    return head.encode() + body


def render_plain(headers: list[tuple[str, str]], body: str | None) -> bytes:
    text = "".join(f"{k}: {url_encode(v)}\n" for k, v in headers)
    if body is not None:
        data = body.encode()
        text = text.encode() + b"Content-Length: %d\n\n" % len(data) + data
    else:
        text = (text + "\n").encode()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(text) + text


def _array_items(value: str) -> list[str] | None:
    """FreeSWITCH array values (`ARRAY::a|:b`) are lists in JSON and repeated elements in XML."""
    if value.startswith("ARRAY::"):
        return value[len("ARRAY::"):].split("|:")
    return None


def render_json(headers: list[tuple[str, str]], body: str | None) -> bytes:
    obj: dict[str, object] = {}
    for key, value in headers:
        items = _array_items(str(value))
        obj[key] = items if items is not None else str(value)
    if body is not None:
        obj["Content-Length"] = str(len(body.encode()))
        obj["_body"] = body
    data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(data) + data


def _xml_escape(value: str) -> str:
    return url_encode(value)


def render_xml(headers: list[tuple[str, str]], body: str | None) -> bytes:
    parts = ["<event>\n  <headers>\n"]
    for key, value in headers:
        for item in _array_items(str(value)) or [value]:
            parts.append(f"    <{key}>{_xml_escape(item)}</{key}>\n")
    parts.append("  </headers>\n")
    if body is not None:
        parts.append(f"  <Content-Length>{len(body.encode())}</Content-Length>\n")
        parts.append(f"  <body>{body}  </body>\n")
    parts.append("</event>\n")
    data = "".join(parts).encode()
    return b"Content-Length: %d\nContent-Type: text/event-xml\n\n" % len(data) + data


RENDERERS = {"plain": render_plain, "json": render_json, "xml": render_xml}


@dataclass
class Command:
    """One frame a client sent: its first line, headers (in order) and body."""

    line: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default


class FrameReader:
    """Reads client commands off a gevent socket: header block, blank line, Content-Length body."""

    def __init__(self, sock):
        self._sock = sock
        self._buf = b""

    def _fill(self) -> bool:
        chunk = self._sock.recv(65536)
        if not chunk:
            return False
        self._buf += chunk
        return True

    def read(self) -> Command | None:
        """The next command, or None when the peer closed."""
        while True:
            # Commands end with a blank line; tolerate CRLF from telnet-like clients.
            buf = self._buf.replace(b"\r\n", b"\n") if b"\r" in self._buf else self._buf
            self._buf = buf
            end = buf.find(b"\n\n")
            if end >= 0:
                break
            if not self._fill():
                return None
        block = self._buf[:end].decode("utf-8", "replace")
        self._buf = self._buf[end + 2:]
        lines = block.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            return self.read()
        headers = []
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers.append((key.strip(), value.strip()))
        command = Command(lines[0].strip(), headers)
        length = command.header("content-length")
        if length and length.isdigit() and int(length) > 0:
            need = int(length)
            while len(self._buf) < need:
                if not self._fill():
                    return None
            command.body = self._buf[:need].decode("utf-8", "replace")
            self._buf = self._buf[need:]
        return command
