"""Originate: parse a FreeSWITCH dial string and bring up the outbound leg(s) it names.

`{global vars}[leg vars]endpoint` legs, `,` rings legs at once (first answer wins), `|` tries
groups in turn. Endpoints: loopback/EXT[/CONTEXT], error/CAUSE, sofia/gateway/GW/NUMBER,
sofia/PROFILE/URI, user/NAME; SIP-like ones reach a scripted far end (cpaas.sandbox.farend).
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import gevent
from gevent.event import AsyncResult

from cpaas.sandbox import causes, confirm, dialplan, farend
from cpaas.sandbox.channel import Channel
from cpaas.sandbox.fsstrings import separate
from cpaas.sandbox.profile import CallerProfile

log = logging.getLogger("cpaas.sandbox.originate")
USAGE = ("-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] "
         "[<cid_name>] [<cid_num>] [<timeout_sec>]\n")


class DialStringError(ValueError):
    pass


@dataclass
class Leg:
    endpoint: str
    variables: dict = field(default_factory=dict)


def split_top(text: str, separators: str) -> list[str]:
    """Split on separators that are outside {}, [], <>, (), quotes and backslash escapes."""
    parts, depth, quote, current = [], 0, None, []
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            current.append(ch)
            continue
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "{[<(":
            depth += 1
        elif ch in "}]>)":
            depth -= 1
        elif ch in separators and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def parse_vars(text: str) -> dict:
    """`a=1,b=x\\,y` as switch_event_create_brackets reads it: split on `,`, then at the first `=`."""
    out = {}
    for item in separate(text, ","):
        pair = separate(item, "=", 2)
        if len(pair) == 2 and pair[0]:
            out[pair[0]] = pair[1]
    return out


def _take_block(text: str, opener: str, closer: str) -> tuple[str, str]:
    depth = 0
    for i, ch in enumerate(text):
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return text[1:i], text[i + 1:]
    raise DialStringError(f"unbalanced {opener}{closer}")


def parse_dial_string(url: str) -> tuple[dict, list[list[Leg]]]:
    """-> (global variables, groups of simultaneous legs tried in order)."""
    url = url.strip()
    global_vars: dict = {}
    while url[:1] in ("{", "<"):
        block, url = _take_block(url, url[0], "}" if url[0] == "{" else ">")
        global_vars.update(parse_vars(block))
    groups = []
    for group_text in split_top(url, "|"):
        legs = []
        for leg_text in split_top(group_text, ","):
            leg_text = leg_text.strip()
            leg_vars: dict = {}
            while leg_text[:1] in ("[", "{"):
                block, leg_text = _take_block(leg_text, leg_text[0], "]" if leg_text[0] == "[" else "}")
                leg_vars.update(parse_vars(block))
            if not leg_text:
                raise DialStringError("empty endpoint")
            legs.append(Leg(leg_text.strip(), leg_vars))
        groups.append(legs)
    return global_vars, groups


def split_originate_args(arg: str) -> list[str]:
    """The originate api's arguments, split on blanks as FreeSWITCH does (quotes group, so
    `'&socket(host:port async full)'` is one argument; `\\s` is a blank):
    <call url> <exten>|&<app>(<args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout>]."""
    argv = separate(arg.strip(), " ")
    if len(argv) < 2:
        raise DialStringError("missing destination")
    return argv


def parse_destination(argv: list[str]) -> tuple[list[tuple[str, str]] | None, str | None, list[str]]:
    """`&app(args)` -> ([(app, args)], None, extra); `EXT [dialplan] [context] ...` -> (None, EXT, extra)."""
    target, extra = argv[0], argv[1:]
    if target.startswith("&"):
        match = re.match(r"([\w-]+)(?:\((.*)\))?$", target[1:], re.S)
        if not match:
            raise DialStringError("bad application")
        return [(match.group(1), match.group(2) or "")], None, extra
    return None, target, extra


class Originator:
    """Brings up one leg; `result` resolves to the answered Channel or a failure cause."""

    def __init__(self, switch, leg: Leg, global_vars: dict, caller: dict, a_leg=None):
        self.switch = switch
        self.leg = leg
        self.vars = {**global_vars, **leg.variables}
        self.caller = caller
        self.a_leg = a_leg          # the bridging channel, when this leg is a bridge's B leg
        self.result: AsyncResult = AsyncResult()
        self.channel: Channel | None = None
        self.confirming = False
        self.started = switch.clock.now()
        # The whole originate's timer, and the leg's own (check_per_channel_timeouts), in seconds.
        self.timeout = float(self.vars.get("originate_timeout") or caller.get("timeout") or 60)
        self.leg_limit: float | None = _positive(self.vars.get("leg_timeout"))

    def start(self) -> None:
        gevent.spawn(self._run)

    def cancel(self, cause: str = "ORIGINATOR_CANCEL") -> None:
        if self.channel is not None and (not self.channel.answered or self.confirming):
            if cause == "LOSE_RACE":
                self.channel.set_var("group_dial_status", "loser")
            self.channel.hangup(cause)
        if not self.result.ready():
            self.result.set(cause)

    def _run(self) -> None:
        try:
            self._dial()
        except Exception:
            log.exception("originate %s failed", self.leg.endpoint)
            if not self.result.ready():
                self.result.set("NORMAL_TEMPORARY_FAILURE")

    def _dial(self) -> None:
        endpoint = self.leg.endpoint
        kind, _, rest = endpoint.partition("/")
        if len(self.switch.channels) >= self.switch.max_sessions:
            # FreeSWITCH refuses new sessions past max-sessions (`fsctl max_sessions N` raises it).
            self.result.set("SWITCH_CONGESTION")
            return
        if kind == "error":
            self.result.set(causes.normalise(rest, "NORMAL_TEMPORARY_FAILURE"))
            return
        if kind == "loopback":
            self._dial_loopback(rest)
        elif kind in ("sofia", "user", "sandbox", "verto"):
            self._dial_farend(endpoint, self._number(kind, rest))
        else:
            self.result.set("CHAN_NOT_IMPLEMENTED")

    @staticmethod
    def _number(kind: str, rest: str) -> str:
        parts = rest.split("/")
        if kind == "sofia" and parts[0] == "gateway" and len(parts) >= 3:
            number = parts[2]
        else:
            number = parts[-1]
        number = re.sub(r"^sips?:", "", number)
        return number.split("@")[0]

    def _profile(self, destination: str, source: str, context: str) -> CallerProfile:
        v = self.vars
        return CallerProfile(
            direction="outbound",
            caller_id_number=v.get("origination_caller_id_number") or self.caller.get("cid_num") or "0000000000",
            caller_id_name=v.get("origination_caller_id_name") or self.caller.get("cid_name"),
            callee_id_name=v.get("origination_callee_id_name", "Outbound Call"),
            callee_id_number=v.get("origination_callee_id_number", destination if source != "mod_loopback"
                                   else context),
            destination_number=destination, source=source, context=context,
            # An api originate of a SIP leg has no dialplan until it runs one.
            dialplan="xml" if source == "mod_loopback" or self.a_leg is not None else "")

    def _new_a(self, name: str, profile: CallerProfile, endpoint: str) -> Channel:
        uuid = self.vars.get("origination_uuid") or self.switch.new_uuid()
        channel = Channel(self.switch, uuid, name, "outbound", profile)
        self.channel = channel
        channel.set_var("direction", "outbound")
        channel.set_var("is_outbound", "true")
        # mod_loopback names the channel first and takes origination_uuid after; sofia starts with it.
        given_uuid = "origination_uuid" in self.vars and name.startswith("loopback/")
        if not given_uuid:
            channel.set_var("uuid", uuid)
            channel.set_var("call_uuid", uuid)
        channel.set_var("session_id", channel.session_id)
        for key in ("read_codec", "write_codec"):
            channel.set_var(key, "L16")
            channel.set_var(key.replace("codec", "rate"), "8000")
        channel.set_var("channel_name", name)
        if given_uuid:  # switch_core_session_set_uuid runs after the channel is named
            channel.set_var("uuid", uuid)
            channel.set_var("call_uuid", uuid)
        for key, value in self.vars.items():
            channel.set_var(key, value)
        channel.set_var("originate_early_media", "true")
        channel.set_var("originate_endpoint", endpoint)
        if self.a_leg is not None:
            channel.other_leg, channel.other_leg_type = self.a_leg, "originator"
        self.switch.add_channel(channel)
        return channel

    def _announce(self, channel: Channel) -> None:
        # Only mod_loopback renames a channel it already created (sofia creates it with the uuid).
        if "origination_uuid" in self.vars and channel.name.startswith("loopback/"):
            channel.fire("CHANNEL_UUID", pre=[("Old-Unique-ID", channel.uuid)])
        channel.fire("CHANNEL_OUTGOING", with_vars=False)
        channel.set_state("CS_INIT")
        channel.state_number = 2
        channel.fire("CHANNEL_CREATE")
        channel.fire("CHANNEL_ORIGINATE")
        channel.set_state("CS_ROUTING")
        channel.set_state("CS_CONSUME_MEDIA")

    def _wait_outcome(self, channel: Channel) -> None:
        """Until the leg answers (and is confirmed, when asked), fails or times out."""
        early_ok = self.vars.get("ignore_early_media", "false") != "true" and self.a_leg is None
        channel.originating = True
        reason = channel.wait(self._remaining(), until_answered="early" if early_ok else True)
        channel.originating = False
        if channel.pending_kill and not channel.hungup:
            # uuid_kill during originate: FreeSWITCH completes the originate, then hangs up.
            channel.hangup(channel.pending_kill)
        if reason == "answered" and not channel.hungup and confirm.wanted(self.vars):
            reason = self._confirm(channel)
        if reason == "answered" and not channel.hungup:
            self.result.set(channel)
            return
        if reason == "timeout":
            channel.hangup(self._timeout_cause(channel))
        self.result.set(channel.hangup_cause or "NORMAL_CLEARING")

    def _elapsed(self) -> float:
        return self.switch.clock.now() - self.started

    def _remaining(self) -> float:
        """Simulated seconds until the first of the originate's and the leg's timers runs out."""
        limit = self.timeout if self.leg_limit is None else min(self.timeout, self.leg_limit)
        return max(limit - self._elapsed(), 0.0)

    def _timeout_cause(self, channel: Channel) -> str:
        if self.leg_limit is not None and self.leg_limit < self.timeout:
            return "ALLOTTED_TIMEOUT"  # the leg's own timer: check_per_channel_timeouts
        return "NO_ANSWER" if channel.profile.times["progress"] else "NO_USER_RESPONSE"

    def _confirm(self, channel: Channel) -> str:
        """The answered leg runs its confirmation on a greenlet of its own; the timers keep running."""
        self.leg_limit = confirm.leg_limit(self.vars, self._elapsed(), self.leg_limit)
        self.confirming = True
        collector = gevent.spawn(confirm.collect, channel, self.vars)
        collector.join(self.switch.clock.real(self._remaining()))
        self.confirming = False
        if not collector.ready():
            channel.hangup(self._timeout_cause(channel))
            collector.join()
            return "timeout"
        if not collector.value:
            return "hangup"
        confirm.forget(channel)
        return "answered"

    def _dial_loopback(self, rest: str) -> None:
        parts = rest.split("/")
        exten = parts[0]
        context = parts[1] if len(parts) > 1 and parts[1] else "default"
        profile = self._profile(exten, "mod_loopback", context)
        a = self._new_a(f"loopback/{exten}-a", profile, "loopback")
        b_profile = CallerProfile(direction="inbound", caller_id_number=profile.caller_id_number,
                                  caller_id_name=profile.caller_id_name, callee_id_name=profile.callee_id_name,
                                  callee_id_number=profile.callee_id_number, destination_number=exten,
                                  source="mod_loopback", context=context)
        b = Channel(self.switch, self.switch.new_uuid(), f"loopback/{exten}-b", "inbound", b_profile,
                    hit_dialplan=True)
        for key, value in (("direction", "inbound"), ("uuid", b.uuid), ("session_id", b.session_id),
                           ("channel_name", b.name), ("read_codec", "L16"), ("read_rate", "8000"),
                           ("write_codec", "L16"), ("write_rate", "8000")):
            b.set_var(key, value)
        if "origination_uuid" in self.vars:
            b.set_var("origination_uuid", a.uuid)
        a.set_var("other_loopback_leg_uuid", b.uuid)
        a.set_var("loopback_leg", "A")
        b.set_var("other_loopback_leg_uuid", a.uuid)
        b.set_var("loopback_leg", "B")
        a.loopback_peer, b.loopback_peer = b, a
        self.switch.add_channel(b)
        self._announce(a)
        b.set_state("CS_INIT")
        b.state_number = 2
        b.fire("CHANNEL_CREATE")
        b.state = "CS_ROUTING"
        b.state_number = 2
        b.set_callstate("RINGING")
        b.fire("CHANNEL_STATE", with_vars=False)
        apps = dialplan.extension(self.switch, exten)
        if apps is None:
            b.hangup("NO_ROUTE_DESTINATION")
            b.start([])
            a.hangup("NO_ROUTE_DESTINATION")
            self.result.set("NO_ROUTE_DESTINATION")
            return
        b.set_var("DP_MATCH", f"ARRAY::{exten}|:{exten}")
        b.set_var("call_uuid", b.uuid)
        b.set_state("CS_EXECUTE")
        b.start(apps)
        self._wait_outcome(a)
        if not a.hungup and self.a_leg is None:
            self._flip(a)

    def _flip(self, channel: Channel) -> None:
        channel.set_var("pre_transfer_caller_id_number", channel.profile.caller_id_number)
        channel.set_var("channel_cid_flipped", "yes")
        channel.set_var("call_uuid", channel.uuid)
        channel.profile.flip()
        channel.fire("CALL_UPDATE", pre=[("Direction", "RECV")])

    def _dial_farend(self, endpoint: str, number: str) -> None:
        unreachable = _unreachable_sip_uri(endpoint)
        profile = self._profile(number, "mod_sofia", "default")
        channel = self._new_a(_channel_name(endpoint), profile, endpoint.split("/")[0])
        far = farend.for_number(number, self.vars)
        if unreachable:
            # Like FreeSWITCH sending an INVITE to a closed port: no ringing, the leg fails.
            far = farend.FarEnd(fail_cause="NORMAL_TEMPORARY_FAILURE", ring_after=None, unreachable=True)
        channel.farend = far
        channel.has_media = False
        self._announce(channel)
        gevent.spawn(self._play_farend, channel, far)
        self._wait_outcome(channel)

    def _play_farend(self, channel: Channel, far: farend.FarEnd) -> None:
        clock = self.switch.clock
        started = time.monotonic()
        host = re.search(r"@\[?([\w.:-]+?)\]?(?::\d+)?$", self.leg.endpoint)
        address = host.group(1) if host else "127.0.0.1"

        def responded() -> None:
            if not far.unreachable:  # a closed port sends no SIP response, so no address either
                channel.profile.network_addr = address

        def sleep_until(seconds: float) -> bool:
            remaining = clock.real(seconds) - (time.monotonic() - started)
            while remaining > 0 and not channel.hungup and not channel.answered:
                gevent.sleep(min(remaining, 0.05))
                remaining = clock.real(seconds) - (time.monotonic() - started)
            return not channel.hungup
        if far.ring_after is not None and (far.fail_cause is None or far.fail_after > far.ring_after):
            if not sleep_until(far.ring_after):
                return
            responded()
            channel.mark_ring_ready()
        if far.fail_cause:
            if sleep_until(far.fail_after):
                responded()
                channel.set_var("sip_term_status", causes.SIP_STATUS.get(far.fail_cause, 503))
                channel.hangup(far.fail_cause)
            return
        if far.early_media:
            if not sleep_until((far.ring_after or 0) + 0.1):
                return
            channel.mark_pre_answered()
        if far.answer_after is None:
            return
        if sleep_until(far.answer_after):
            responded()
            channel.set_var("sip_term_status", "200")
            channel.mark_answered()


def _positive(text: str | None) -> float | None:
    try:
        value = float(text) if text else 0.0
    except ValueError:
        return None
    return value if value > 0 else None


def _channel_name(endpoint: str) -> str:
    """sofia names a channel after the URI without its scheme: sofia/internal/busy@127.0.0.1:5070."""
    if endpoint.startswith("sandbox/"):
        endpoint = f"sofia/{endpoint}"
    return re.sub(r"^(sofia/[^/]+/)sips?:", r"\1", endpoint)


def _unreachable_sip_uri(endpoint: str) -> bool:
    """A direct SIP URI (sofia/PROFILE/user@HOST:PORT) to a loopback port where nothing listens.

    Only loopback addresses are probed (one UDP datagram; a closed port answers with ICMP, which
    the next receive reports as ECONNREFUSED), so the sandbox never sends anything off the host."""
    match = re.match(r"sofia/(?!gateway/)[^/]+/(?:sips?:)?[^@/]+@(127\.\d+\.\d+\.\d+|localhost):(\d+)", endpoint)
    if not match:
        return False
    from gevent import socket as gsocket
    probe = gsocket.socket(gsocket.AF_INET, gsocket.SOCK_DGRAM)
    try:
        probe.settimeout(0.2)
        probe.connect((match.group(1), int(match.group(2))))
        probe.send(b"\r\n\r\n")  # a SIP keep-alive (RFC 5626), harmless to a real UAS
        probe.recv(1)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    finally:
        probe.close()
    return False


def dial(switch, url: str, caller: dict, a_leg=None) -> tuple[Channel | None, str, list]:
    """Ring the dial string's legs; -> (answered channel or None, cause, every Originator tried)."""
    global_vars, groups = parse_dial_string(url)
    tried: list[Originator] = []
    cause = "NORMAL_CLEARING"
    for legs in groups:
        originators = [Originator(switch, leg, global_vars, caller, a_leg) for leg in legs]
        tried += originators
        for originator in originators:
            originator.start()
        pending = list(originators)
        winner = None
        while pending and winner is None:
            if a_leg is not None and a_leg.hungup:
                for originator in pending:
                    originator.cancel("ORIGINATOR_CANCEL")
                return None, "ORIGINATOR_CANCEL", tried
            done = gevent.wait([o.result for o in pending], count=1, timeout=0.5)
            for result in done:
                originator = next(o for o in pending if o.result is result)
                pending.remove(originator)
                value = result.get()
                if isinstance(value, Channel):
                    winner = value
                    break
                cause = value
        if winner is not None:
            for originator in pending:
                originator.cancel("LOSE_RACE")
            return winner, "SUCCESS", tried
    return None, cause, tried


def originate_command(switch, arg: str) -> str:
    try:
        argv = split_originate_args(arg)
        url = argv[0]
        script, exten, extra = parse_destination(argv[1:])
        global_vars, _ = parse_dial_string(url)
    except DialStringError:
        return USAGE
    # [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>], after either form
    caller = dict(zip(("dialplan", "context", "cid_name", "cid_num", "timeout"), extra))
    channel, cause, _ = dial(switch, url, caller)
    if channel is None:
        return f"-ERR {cause}\n"
    if exten is not None:
        script = dialplan.extension(switch, exten)
        if script is None:
            channel.hangup("NO_ROUTE_DESTINATION")
            channel.start([])
            return "-ERR NO_ROUTE_DESTINATION\n"
    channel.set_state("CS_EXECUTE")
    channel.start(script)
    return f"+OK {channel.uuid}\n"
