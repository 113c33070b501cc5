"""Just enough SIP over UDP on 127.0.0.1 to drive Kamailio in tests: a caller and fake FreeSWITCH nodes."""
from __future__ import annotations

import select
import socket
import time
import uuid
from dataclasses import dataclass


@dataclass
class Message:
    raw: str
    start: str
    headers: list[tuple[str, str]]
    source: tuple[str, int]

    @property
    def method(self) -> str | None:
        return None if self.start.startswith("SIP/2.0") else self.start.split()[0]

    @property
    def status(self) -> int | None:
        return int(self.start.split()[1]) if self.start.startswith("SIP/2.0") else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None


def parse(data: bytes, source) -> Message:
    text = data.decode("utf-8", "replace")
    head = text.split("\r\n\r\n", 1)[0]
    start, *lines = head.split("\r\n")
    headers = []
    for line in lines:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return Message(text, start, headers, source)


class Peer:
    """A UDP SIP endpoint on 127.0.0.1 (ephemeral port)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def send(self, text: str, address) -> None:
        self.sock.sendto(text.encode(), address)

    def receive(self, timeout: float, want=lambda m: True) -> Message | None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if ready:
                data, source = self.sock.recvfrom(65535)
                message = parse(data, source)
                if want(message):
                    return message
        return None

    def close(self) -> None:
        self.sock.close()


def invite(caller: Peer, proxy_port: int, to_user: str, extra_headers: str = "") -> str:
    call_id = uuid.uuid4().hex
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    return (
        f"INVITE sip:{to_user}@127.0.0.1:{proxy_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{caller.port};branch={branch};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:+442071838750@127.0.0.1:{caller.port}>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{to_user}@127.0.0.1:{proxy_port}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: 1 INVITE\r\n"
        f"Contact: <sip:carrier@127.0.0.1:{caller.port}>\r\n"
        f"{extra_headers}"
        f"Content-Length: 0\r\n\r\n"
    )


def out_of_dialog(method: str, caller: Peer, proxy_port: int, user: str | None) -> str:
    target = f"{user}@" if user else ""
    return (
        f"{method} sip:{target}127.0.0.1:{proxy_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{caller.port};branch=z9hG4bK{uuid.uuid4().hex[:16]};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:carrier@127.0.0.1:{caller.port}>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:{target}127.0.0.1:{proxy_port}>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Content-Length: 0\r\n\r\n"
    )


def response(request: Message, code: int, reason: str) -> str:
    """A final response that follows the request's Via path back (as a UAS must)."""
    vias = "".join(f"Via: {via}\r\n" for via in request.all("Via"))
    return (
        f"SIP/2.0 {code} {reason}\r\n{vias}"
        f"From: {request.first('From')}\r\n"
        f"To: {request.first('To')};tag={uuid.uuid4().hex[:8]}\r\n"
        f"Call-ID: {request.first('Call-ID')}\r\n"
        f"CSeq: {request.first('CSeq')}\r\n"
        f"Content-Length: 0\r\n\r\n"
    )
