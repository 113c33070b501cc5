"""Replay a real FreeSWITCH transcript (../shared/esl-traces) against the sandbox, frame by frame.

What is compared, after normalising what differs per run (uuids, dates, counters, host names):
- replies and api responses: in strict order, same Content-Type, same header names in the same
  order (variables aside) and the same Reply-Text / body text;
- events: per channel (a channel is known by its Channel-Name and order of appearance, so uuids
  never need to agree), the same sequence of event names, and for each pair the same header names
  in the same order (variable_* headers are compared separately: see `variable_report`);
- channel-less events (BACKGROUND_JOB, API, CUSTOM...): the same sequence of names and bodies.

Events FreeSWITCH fires that the sandbox does not model are listed in IGNORED_EVENTS and dropped
from both sides before comparing. Before each command the replayer waits until the sandbox has
fired at least the events the real switch had fired by then (the real client waited for them too).
"""
from __future__ import annotations

import json
import re
import socket
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import unquote

from tests.sandbox.esl import UUID_RE, FrameStream, parse_event_body
from tests.support.traces import load_trace

# Not modelled by the sandbox: periodic core chatter, codec negotiation, presence, and conference
# talk detection (there is no audio energy to detect).
IGNORED_EVENTS = {"HEARTBEAT", "RE_SCHEDULE", "CODEC", "PRESENCE_IN", "CALL_UPDATE", "MEDIA_BUG_START",
                  "MEDIA_BUG_STOP", "CHANNEL_APPLICATION", "PRIVATE_COMMAND"}
CONFERENCE_ACTIONS = {"conference-create", "conference-destroy", "add-member", "del-member", "mute-member",
                      "unmute-member", "deaf-member", "undeaf-member", "kick-member"}
EVENT_TYPES = ("text/event-plain", "text/event-json", "text/event-xml")
BARRIER_TIMEOUT = float(__import__("os").environ.get("REPLAY_BARRIER_TIMEOUT", "15"))


@dataclass
class Ev:
    name: str
    headers: list[tuple[str, str]]
    body: str = ""

    def get(self, key, default=None):
        for k, v in self.headers:
            if k == key:
                return v
        return default

    @property
    def uuid(self):
        return self.get("Unique-ID")

    @property
    def key(self):
        if self.name == "CUSTOM":
            return f"CUSTOM/{self.get('Event-Subclass')}/{self.get('Action')}"
        return self.name


def decode_event(content_type: str, body: bytes) -> Ev:
    if content_type == "text/event-plain":
        headers, inner = parse_event_body(body)
        headers = [(k, unquote(v)) for k, v in headers]
        return Ev(dict(headers).get("Event-Name", ""), headers, inner.decode(errors="replace"))
    if content_type == "text/event-json":
        obj = json.loads(body)
        inner = obj.pop("_body", "")
        headers = [(k, str(v)) for k, v in obj.items()]
        return Ev(obj.get("Event-Name", ""), headers, inner)
    text = body.decode(errors="replace")
    head = text.split("<headers>", 1)[1].split("</headers>", 1)[0]
    headers = [(m.group(1), unquote(m.group(2))) for m in re.finditer(r"<([^>/]+)>([^<]*)</\1>", head)]
    inner = re.search(r"<body>(.*)</body>", text, re.S)
    return Ev(dict(headers).get("Event-Name", ""), headers, inner.group(1) if inner else "")


def modelled(ev: Ev) -> bool:
    if ev.name in IGNORED_EVENTS:
        return False
    if ev.name == "CUSTOM" and ev.get("Event-Subclass") == "conference::maintenance":
        return ev.get("Action") in CONFERENCE_ACTIONS
    return True


def normalise(text: str, hostnames=()) -> str:
    text = UUID_RE.sub("<uuid>", text)
    for host in hostnames:
        if host:
            text = text.replace(host, "<host>")
    text = re.sub(r"/srv/fsbench/|/tmp/[^ \n]*?/", "<dir>/", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    return re.sub(r"\b(N \w+?)s\b", r"\1", text)  # "1 minute" / "2 minutes"


def header_names(headers) -> list[str]:
    return [k for k, _ in headers if not k.startswith("variable_")]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    compared_frames: int = 0
    compared_events: int = 0
    variable_gaps: Counter = field(default_factory=Counter)
    header_differences: list[str] = field(default_factory=list)
    #: Events whose shared variable_* headers come in another order than FreeSWITCH's.
    variable_order: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.problems.append(message)


class Roles:
    """Channel-Name#n for each uuid, n counting earlier uuids that had the same Channel-Name."""

    def __init__(self):
        self.by_uuid: dict[str, str] = {}
        self._count: Counter = Counter()

    def role(self, ev: Ev) -> str | None:
        uuid = ev.uuid
        if not uuid:
            return None
        if uuid not in self.by_uuid:
            name = ev.get("Channel-Name") or "?"
            self.by_uuid[uuid] = f"{name}#{self._count[name]}"
            self._count[name] += 1
        return self.by_uuid[uuid]


class Replayer:
    def __init__(self, trace: str, connect, hostnames=("vm",), event_headers: bool = True):
        self.trace = trace
        #: False compares events by name only (their header names are still collected in
        #: report.header_differences for reading).
        self.event_headers = event_headers
        self.frames = load_trace(trace)
        self._connect = connect          # -> connected socket
        self.hostnames = hostnames
        self.report = Report()
        self.mapping: dict[str, str] = {}
        self.expected: list[Ev] = []
        self.actual: list[Ev] = []
        self.exp_roles, self.act_roles = Roles(), Roles()

    # ---- running ------------------------------------------------------------------------------
    def run(self, sock=None) -> Report:
        sock = sock or self._connect()
        stream = FrameStream(sock)
        try:
            for frame in self.frames:
                if frame.direction == "sent":
                    self._barrier(stream)
                    sock.sendall(self._substitute(frame.raw))
                elif frame.direction == "recv":
                    ct = frame.header("Content-Type")
                    if ct in EVENT_TYPES and frame.header("Content-Length") and not frame.header("Reply-Text"):
                        self.expected.append(decode_event(ct, frame.body))
                    else:
                        self._expect_reply(stream, frame)
                else:
                    self._expect_close(stream)
        finally:
            sock.close()
        self._compare_events()
        return self.report

    def _read(self, stream, timeout):
        frame = stream.next(timeout=timeout)
        if not frame.closed and frame.content_type in EVENT_TYPES and not frame.header("Reply-Text"):
            self.actual.append(decode_event(frame.content_type, frame.body))
            return None
        return frame

    def _barrier(self, stream) -> None:
        """Wait until the sandbox fired what the real switch had fired before this command."""
        deadline = time.monotonic() + BARRIER_TIMEOUT
        while True:
            need = Counter(self._keyed(self.expected, self.exp_roles))
            have = Counter(self._keyed(self.actual, self.act_roles))
            if all(have[k] >= n for k, n in need.items()) or time.monotonic() > deadline:
                break
            try:
                frame = self._read(stream, 0.05)
            except Exception:
                continue
            if frame is not None:
                self.report.fail(f"unexpected frame while waiting for events: {frame.raw[:200]!r}")
        self._learn_roles()

    def _keyed(self, events, roles):
        return [(roles.role(e) or "-", e.key) for e in events if modelled(e) and e.name not in ("API",)]

    def _learn_roles(self) -> None:
        exp = {}
        for e in self.expected:
            role = self.exp_roles.role(e) if modelled(e) else None
            if role:
                exp.setdefault(role, e.uuid)
        for e in self.actual:
            role = self.act_roles.role(e) if modelled(e) else None
            if role and role in exp:
                self.mapping.setdefault(exp[role], e.uuid)

    def _substitute(self, raw: bytes) -> bytes:
        text = raw.decode()
        return UUID_RE.sub(lambda m: self.mapping.get(m.group(0), m.group(0)), text).encode()

    def _next_reply(self, stream):
        deadline = time.monotonic() + BARRIER_TIMEOUT
        while time.monotonic() < deadline:
            try:
                frame = self._read(stream, deadline - time.monotonic())
            except Exception:
                break
            if frame is not None:
                return frame
        return None

    def _expect_reply(self, stream, expected) -> None:
        actual = self._next_reply(stream)
        where = f"[{self.trace}] after {self.report.compared_frames} replies"
        if actual is None:
            self.report.fail(f"{where}: no frame, expected {expected.raw[:120]!r}")
            return
        if actual.closed:
            self.report.fail(f"{where}: connection closed, expected {expected.raw[:120]!r}")
            return
        self.report.compared_frames += 1
        exp_names, act_names = header_names(expected.headers), header_names(actual.headers)
        if exp_names != act_names:
            self.report.fail(f"{where}: header names differ: {_diff(exp_names, act_names)}")
        for name in ("Content-Type", "Reply-Text", "Content-Disposition", "Socket-Mode", "Control"):
            exp_v, act_v = expected.header(name), actual.header(name)
            if exp_v is not None and normalise(unquote(exp_v), self.hostnames) != normalise(
                    unquote(act_v or ""), self.hostnames + (self._our_host(),)):
                self.report.fail(f"{where}: {name} {act_v!r} != {exp_v!r}")
        self._learn_pairs(expected.header("Reply-Text") or "", actual.header("Reply-Text") or "")
        if expected.header("Content-Type") in ("api/response", "text/disconnect-notice", "log/data",
                                               "text/rude-rejection"):
            exp_body = expected.body.decode(errors="replace")
            act_body = actual.body.decode(errors="replace")
            self._learn_pairs(exp_body, act_body)
            if normalise(exp_body, self.hostnames) != normalise(act_body, (self._our_host(),)):
                self.report.fail(f"{where}: body {act_body[:300]!r} != {exp_body[:300]!r}")

    def _our_host(self) -> str:
        return socket.gethostname()

    def _learn_pairs(self, expected: str, actual: str) -> None:
        for exp_uuid, act_uuid in zip(UUID_RE.findall(expected), UUID_RE.findall(actual)):
            self.mapping.setdefault(exp_uuid, act_uuid)

    def _expect_close(self, stream) -> None:
        deadline = time.monotonic() + BARRIER_TIMEOUT
        while time.monotonic() < deadline:
            try:
                frame = self._read(stream, deadline - time.monotonic())
            except Exception:
                break
            if frame is None:
                continue
            if frame.closed:
                return
            self.report.fail(f"[{self.trace}] expected close, got {frame.raw[:200]!r}")
        self.report.fail(f"[{self.trace}] connection not closed")

    # ---- event comparison ---------------------------------------------------------------------
    def _compare_events(self) -> None:
        exp_by, act_by = defaultdict(list), defaultdict(list)
        for e in self.expected:
            if modelled(e):
                exp_by[self.exp_roles.role(e) or "-"].append(e)
        for e in self.actual:
            if modelled(e):
                act_by[self.act_roles.role(e) or "-"].append(e)
        for role in sorted(set(exp_by) | set(act_by)):
            exp, act = exp_by.get(role, []), act_by.get(role, [])
            exp_keys, act_keys = [e.key for e in exp], [e.key for e in act]
            if role == "-":  # channel-less events: order across jobs may differ
                exp_keys, act_keys = sorted(exp_keys), sorted(act_keys)
                exp = sorted(exp, key=lambda e: (e.key, normalise(e.body)))
                act = sorted(act, key=lambda e: (e.key, normalise(e.body)))
            if exp_keys != act_keys:
                self.report.fail(f"[{self.trace}] {role}: event names differ: {_diff(exp_keys, act_keys)}")
                continue
            for e, a in zip(exp, act):
                self.report.compared_events += 1
                en, an = header_names(e.headers), header_names(a.headers)
                if en != an:
                    message = f"[{self.trace}] {role} {e.key}: headers differ: {_diff(en, an)}"
                    if self.event_headers:
                        self.report.fail(message)
                    else:
                        self.report.header_differences.append(message)
                if e.name == "BACKGROUND_JOB" and normalise(e.body) != normalise(a.body):
                    self.report.fail(f"[{self.trace}] BACKGROUND_JOB body {a.body!r} != {e.body!r}")
                exp_vars = [k for k, _ in e.headers if k.startswith("variable_")]
                act_vars = [k for k, _ in a.headers if k.startswith("variable_")]
                for missing in set(exp_vars) - set(act_vars):
                    self.report.variable_gaps[missing] += 1
                common = set(exp_vars) & set(act_vars)
                exp_order = [k for k in exp_vars if k in common]
                act_order = [k for k in act_vars if k in common]
                if exp_order != act_order:
                    self.report.variable_order.append(
                        f"[{self.trace}] {role} {e.key}: variable order {_diff(exp_order, act_order)}")


def connect_to(host: str, port: int):
    return lambda: socket.create_connection((host, port), timeout=10)


def _diff(expected: list, actual: list) -> str:
    """A compact unified diff of two lists (- expected only, + sandbox only)."""
    import difflib
    lines = [line for line in difflib.unified_diff(expected, actual, lineterm="", n=1)][2:]
    return " | ".join(lines)
