"""A simulated channel: FreeSWITCH's state machine, variables and the events it fires on the way.

One greenlet per channel runs its applications (`run_script`). Everything that can end a wait
early (hang-up, `uuid_break`, a DTMF digit) sets `_wake`, so applications wait with
`Channel.wait()` and look at why they woke.
"""
from __future__ import annotations

import logging
import time
from collections import deque

import gevent
from gevent.event import Event as Signal
from gevent.queue import Queue

from cpaas.sandbox import causes
from cpaas.sandbox.cdr import set_hangup_variables
from cpaas.sandbox.profile import CallerProfile

log = logging.getLogger("cpaas.sandbox.channel")

STATE_NUMBERS = {"CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
                 "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
                 "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12, "CS_NONE": 13}
CALLSTATE_NUMBERS = {"DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5,
                     "RING_WAIT": 6, "HANGUP": 7, "UNHELD": 8}

_STOP = object()  # wakes an idle loop on hang-up
# A leg killed while it is being originated gets this long to finish originating (FreeSWITCH
# processes the kill once the originate returns; a loopback leg usually answers meanwhile).
KILL_GRACE_SECONDS = 1.0


class Command:
    """A queued `sendmsg` (execute/hangup/unicast/nomedia) for the channel to run in order."""

    def __init__(self, kind: str, app: str = "", arg: str = "", app_uuid: str | None = None,
                 loops: int = 1, headers: list | None = None, cause: str = "NORMAL_CLEARING"):
        self.kind, self.app, self.arg, self.app_uuid = kind, app, arg, app_uuid
        self.loops, self.headers, self.cause = loops, headers or [], cause


class Channel:
    def __init__(self, switch, uuid: str, name: str, direction: str, profile: CallerProfile,
                 variables: dict | None = None, hit_dialplan: bool = False):
        self.switch = switch
        self.uuid = uuid
        self.name = name
        self.direction = direction
        self.profile = profile
        self.hit_dialplan = hit_dialplan
        self.created_us = switch.clock.now_us()
        self.profile.created_us = self.created_us
        self.profile.unique_id = uuid
        self.profile.channel_name = name
        self.variables: dict[str, str] = {}
        self.state, self.state_number = "CS_NEW", 0
        self.call_state = "DOWN"
        self.answer_state = "ringing"
        self.hangup_cause: str | None = None
        self.hangup_by_peer = False
        self.session_id = switch.next_session_id()
        self.loopback_peer: Channel | None = None
        self.bridged_to: Channel | None = None
        # The leg shown as Other-Leg-* (a bridge's originator, or the leg it bridged to); it stays
        # after the bridge ends, as in FreeSWITCH.
        self.other_leg: Channel | None = None
        self.other_leg_type: str | None = None
        self.farend = None            # scripted far end (cpaas.sandbox.farend.FarEnd), if any
        self.has_media = True         # False for a SIP leg until SDP (183/200): no codec headers
        self.output = None            # what this channel currently sends (cpaas.sandbox.audio.Source)
        self.recognizer = None        # speech detection on what it hears (cpaas.sandbox.asr.Recognizer)
        self.dtmf_buffer: deque[str] = deque()
        self.commands: Queue = Queue()
        self._wake = Signal()
        self._break = False
        self._destroyed = Signal()
        self.on_hangup: list = []     # callbacks(channel) after CHANNEL_HANGUP
        self.on_answer_hooks: list = []  # callbacks(channel) after CHANNEL_ANSWER
        self.on_reported: list = []   # callbacks(channel) after CHANNEL_HANGUP_COMPLETE
        self.current_app: str | None = None
        self._deferred_cause: str | None = None  # hang-up waiting for the running app to return
        self.originating = False      # an outbound leg waiting for its far end
        self._next_script: list | None = None     # replaces the running script (transfer, uuid_bridge)
        self.pending_kill: str | None = None     # uuid_kill received while originating
        self.greenlet = None
        self.events_muted = False     # used by the originate of a failed `error/` leg: no events at all
        for key, value in (variables or {}).items():
            self.variables[key] = str(value)

    # ---- identity and events -------------------------------------------------------------
    @property
    def answered(self) -> bool:
        return self.profile.times["answered"] > 0

    @property
    def hungup(self) -> bool:
        return self.hangup_cause is not None

    @property
    def ending(self) -> bool:
        """Hung up, about to be as soon as the running application returns, or leaving its
        applications for a new script."""
        return self.hangup_cause is not None or self._deferred_cause is not None or self._next_script is not None

    def replace_script(self, script: list) -> None:
        """Stop the running applications (a park ends with CHANNEL_UNPARK) and run `script`."""
        self._next_script = list(script)
        self.commands.put(_STOP)
        self._wake.set()

    def hangup_after_app(self, cause: str) -> None:
        """A loopback A leg whose B leg went away: its application ends first, then it hangs up."""
        if self.ending:
            return
        self._deferred_cause = causes.normalise(cause)
        self.commands.put(_STOP)
        self._wake.set()
        if self.greenlet is None:
            self.hangup(self._deferred_cause)

    def peer(self) -> Channel | None:
        """The channel that hears what this one sends: a bridge partner, else the other loopback leg."""
        return self.bridged_to or self.loopback_peer

    def set_var(self, name: str, value) -> None:
        """Set (or with None, unset) a channel variable; one set again moves to the end of the
        list, as in FreeSWITCH's events."""
        if value is None:
            self.variables.pop(name, None)
        else:
            self.variables.pop(name, None)
            self.variables[name] = str(value)

    def get_var(self, name: str) -> str | None:
        if name in self.variables:
            return self.variables[name]
        builtin = {"uuid": self.uuid, "channel_name": self.name, "direction": self.direction,
                   "destination_number": self.profile.destination_number,
                   "caller_id_number": self.profile.caller_id_number,
                   "caller_id_name": self.profile.caller_id_name,
                   "state": self.state, "answer_state": self.answer_state}
        return builtin.get(name)

    def channel_headers(self, with_vars: bool = True, other: bool = True) -> list[tuple[str, str]]:
        direction = self.direction
        out = [("Channel-State", self.state), ("Channel-Call-State", self.call_state),
               ("Channel-State-Number", str(self.state_number)), ("Channel-Name", self.name),
               ("Unique-ID", self.uuid), ("Call-Direction", direction),
               ("Presence-Call-Direction", direction),
               ("Channel-HIT-Dialplan", "true" if self.hit_dialplan else "false"),
               ("Channel-Call-UUID", self.variables.get("call_uuid", self.uuid)),
               ("Answer-State", self.answer_state)]
        if self.hangup_cause:
            out.append(("Hangup-Cause", self.hangup_cause))
        if self.has_media:
            out += [("Channel-Read-Codec-Name", "L16"), ("Channel-Read-Codec-Rate", "8000"),
                    ("Channel-Read-Codec-Bit-Rate", "128000"), ("Channel-Write-Codec-Name", "L16"),
                    ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "128000")]
        out += self.profile.headers("Caller")
        if other and self.other_leg is not None and self.other_leg_type:
            out.append(("Other-Type", self.other_leg_type))
            out += self.other_leg.profile.headers("Other-Leg", other_leg=True)
        if with_vars:
            out += [(f"variable_{k}", v) for k, v in self.variables.items()]
        return out

    def fire(self, name: str, pre=(), post=(), body=None, with_vars: bool = True, calling=None,
             subclass: str | None = None, leading=None) -> None:
        if self.events_muted:
            return
        headers = list(pre) + self.channel_headers(with_vars)
        headers += list(post)
        self.switch.fire(name, headers, body=body, channel_uuid=self.uuid, calling=calling, subclass=subclass,
                         leading=leading)

    # ---- state machine ----------------------------------------------------------------------
    def set_state(self, state: str, fire: bool = True) -> None:
        self.state, self.state_number = state, STATE_NUMBERS[state]
        if fire:
            self.fire("CHANNEL_STATE", with_vars=False)

    def set_callstate(self, call_state: str) -> None:
        original = self.call_state
        if original == call_state:
            return
        self.call_state = call_state
        self.fire("CHANNEL_CALLSTATE", pre=[("Original-Channel-Call-State", original),
                                            ("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[call_state]))],
                  with_vars=False)

    def announce_created(self, originated: bool) -> None:
        """CHANNEL_STATE CS_INIT, CHANNEL_CREATE (+ CHANNEL_ORIGINATE for an originated leg)."""
        self.set_state("CS_INIT")
        self.state_number = 2
        self.fire("CHANNEL_CREATE")
        if originated:
            self.fire("CHANNEL_ORIGINATE")
        self.set_state("CS_ROUTING", fire=not originated or True)
        if not originated:
            self.set_callstate("RINGING")

    def mark_ring_ready(self) -> None:
        if self.profile.times["progress"] or self.answered or self.hungup:
            return
        self.profile.times["progress"] = self.switch.clock.now_us()
        self.fire("CHANNEL_PROGRESS")
        self.set_callstate("RINGING")
        if self.loopback_peer is not None:
            self.loopback_peer.mark_ring_ready()

    def mark_pre_answered(self) -> None:
        if self.profile.times["progress_media"] or self.answered or self.hungup:
            return
        self.profile.times["progress_media"] = self.switch.clock.now_us()
        self.has_media = True
        self.answer_state = "early"
        self.set_var("endpoint_disposition", "EARLY MEDIA")
        self.fire("CHANNEL_PROGRESS_MEDIA")
        self.set_callstate("EARLY")
        if self.loopback_peer is not None:
            self.loopback_peer.mark_pre_answered()
        self._wake.set()

    def mark_answered(self) -> None:
        if self.answered or self.hungup:
            return
        if self.direction == "inbound" and self.name.startswith("sofia/"):
            # Answering a SIP call sends the SDP first: FreeSWITCH reports early media, then answer.
            self.mark_pre_answered()
        self.profile.times["answered"] = self.switch.clock.now_us()
        self.has_media = True
        self.answer_state = "answered"
        self.set_var("endpoint_disposition", "ANSWER")
        self.fire("CHANNEL_ANSWER")
        self.set_callstate("ACTIVE")
        if self.loopback_peer is not None:
            self.loopback_peer.mark_answered()
        if self.farend is not None:
            self.farend.on_answer(self)
        for hook in self.on_answer_hooks:
            hook(self)
        self.on_answer_hooks.clear()
        self._wake.set()

    # ---- hang-up ----------------------------------------------------------------------------
    def hangup(self, cause: str = "NORMAL_CLEARING", from_peer: bool = False) -> bool:
        """Start hanging up; the channel's greenlet finishes the job. False if already hung up."""
        if self.hungup:
            return False
        cause = causes.normalise(cause)
        self.hangup_cause = cause
        self.hangup_by_peer = from_peer
        self.profile.times["hangup"] = self.switch.clock.now_us()
        self.answer_state = "hangup"
        log.debug("channel %s hangup %s", self.uuid, cause)
        self.fire("CHANNEL_HANGUP")
        self._wake.set()
        self.commands.put(_STOP)
        for callback in list(self.on_hangup):
            callback(self)
        loop_peer = self.loopback_peer
        if loop_peer is not None and not loop_peer.hungup:
            if (self.variables.get("loopback_leg") == "A" and not from_peer
                    and self.current_app in ("conference", "uuid_bridge")):
                # Seen in FreeSWITCH 1.10: an A leg in a conference or a uuid_bridge tears the B
                # leg's media down first (its application returns), then the B leg hangs up.
                loop_peer.hangup_after_app(cause)
            elif self.variables.get("loopback_leg") == "A":
                loop_peer.hangup(cause, from_peer=True)
            else:
                # A cause set on the B leg does not reach the A leg (the A leg sees NORMAL_CLEARING),
                # and the A leg's application returns before its CHANNEL_HANGUP.
                loop_peer.hangup_after_app("NORMAL_CLEARING")
        if self.greenlet is None:
            # Never started running (a failed originate): finish on a greenlet of its own.
            self.greenlet = gevent.spawn(self.finish)
        return True

    def finish(self) -> None:
        """CS_HANGUP .. CS_DESTROY, the variables FreeSWITCH computes at the end, and removal."""
        if self._destroyed.is_set():
            return
        if not self.hungup:
            self.hangup(self._deferred_cause or "NORMAL_CLEARING")
        self.set_state("CS_HANGUP")
        self.set_callstate("HANGUP")
        self.set_state("CS_REPORTING")
        set_hangup_variables(self)
        self.fire("CHANNEL_HANGUP_COMPLETE", pre=[("Hangup-Cause", self.hangup_cause)])
        for callback in list(self.on_reported):
            callback(self)
        self.fire("CHANNEL_DESTROY")
        self.set_state("CS_DESTROY")
        self.switch.remove_channel(self)
        self._destroyed.set()

    # ---- waiting ----------------------------------------------------------------------------
    def wait(self, seconds: float, wake_on_dtmf: bool = False, until_answered: bool | str = False) -> str:
        """Wait `seconds` of simulated time; returns timeout, hangup, break, dtmf or answered."""
        deadline = time.monotonic() + self.switch.clock.real(seconds) if seconds != float("inf") else None
        kill_deadline = None
        while True:
            self._wake.clear()
            if self.ending:
                return "hangup"
            if self._break:
                self._break = False
                return "break"
            if wake_on_dtmf and self.dtmf_buffer:
                return "dtmf"
            if until_answered and (self.answered or (until_answered == "early"
                                                      and self.profile.times["progress_media"])):
                return "answered"
            if until_answered and self.pending_kill:
                if kill_deadline is None:
                    kill_deadline = time.monotonic() + self.switch.clock.real(KILL_GRACE_SECONDS)
                if time.monotonic() >= kill_deadline:
                    return "killed"
                deadline = kill_deadline if deadline is None else min(deadline, kill_deadline)
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return "timeout"
            self._wake.wait(remaining)

    def break_media(self, all_: bool = False) -> None:
        """uuid_break: stop the media application in progress (and with `all`, drop queued ones)."""
        self._break = True
        if all_:
            kept = []
            while not self.commands.empty():
                item = self.commands.get_nowait()
                if item is _STOP:
                    kept.append(item)
            for item in kept:
                self.commands.put(item)
        self._wake.set()

    def clear_break(self) -> None:
        self._break = False

    # ---- DTMF -------------------------------------------------------------------------------
    def receive_dtmf(self, digits: str, source: str = "APP", duration: int = 2000) -> None:
        """Digits arriving on this channel: a DTMF event each, queued for the app that collects them."""
        for digit in digits:
            if digit in "wW":
                continue
            if self.hungup:
                return
            self.fire("DTMF", post=[("DTMF-Digit", digit), ("DTMF-Duration", str(duration)),
                                    ("DTMF-Source", source)], with_vars=False)
            self.dtmf_buffer.append(digit)
            self._wake.set()

    def send_dtmf(self, digits: str, source: str = "UNKNOWN") -> None:
        """Digits this channel sends: they arrive on whatever hears it."""
        peer = self.peer()
        if peer is not None:
            gevent.spawn(peer.receive_dtmf_paced, digits, source)
        if self.farend is not None:
            self.farend.heard_dtmf(digits)

    def receive_dtmf_paced(self, digits: str, source: str = "APP") -> None:
        for digit in digits:
            if self.hungup:
                return
            if digit in "wW":
                gevent.sleep(self.switch.clock.real(0.5 if digit == "w" else 1.0))
                continue
            self.receive_dtmf(digit, source)
            gevent.sleep(self.switch.clock.real(0.1))

    # ---- running applications ---------------------------------------------------------------
    def start_idle(self) -> None:
        """A leg with no script of its own (a bridge's B leg): serve commands until hang-up."""
        self.start([(Channel.serve_until_hangup, "")])

    def serve_until_hangup(self) -> None:
        self.serve_commands()
        if self._next_script is None and self._deferred_cause is None:
            self.wait(float("inf"))

    def start(self, script: list[tuple[str, str]]) -> None:
        """Run `script` (dialplan or originate applications) on the channel's own greenlet."""
        self.greenlet = gevent.spawn(self._run_script, script)

    def _run_script(self, script) -> None:
        try:
            pending = list(script)
            while pending and not self.hungup and self._deferred_cause is None:
                app, arg = pending.pop(0)
                if self._next_script is None:
                    if callable(app):  # an internal step (uuid_bridge, an idle bridge leg)
                        app(self)
                    else:
                        self.execute(app, arg)
                if self._next_script is not None and not self.hungup:
                    pending, self._next_script = self._next_script, None
            if not self.hungup:
                self.hangup(self._deferred_cause or "NORMAL_CLEARING")
        except Exception:  # a bug in an application must not leave a channel that never ends
            log.exception("channel %s: application failed", self.uuid)
            self.hangup("NORMAL_TEMPORARY_FAILURE")
        finally:
            self.finish()

    def execute(self, app: str, arg: str = "", app_uuid: str | None = None) -> str | None:
        """switch_core_session_exec: CHANNEL_EXECUTE, the application, CHANNEL_EXECUTE_COMPLETE."""
        from cpaas.sandbox.apps import lookup
        func = lookup(app)
        if func is None:
            log.info("channel %s: invalid application %s", self.uuid, app)
            self.hangup("DESTINATION_OUT_OF_ORDER")
            return None
        app_uuid = app_uuid or self.switch.new_uuid()
        self.set_var("current_application", app)
        if arg:  # an application without data leaves the previous one's in place
            self.set_var("current_application_data", arg)
        app_headers = [("Application", app)]
        if arg:
            app_headers.append(("Application-Data", arg))
        self.fire("CHANNEL_EXECUTE", post=app_headers + [("Application-UUID", app_uuid)])
        # FreeSWITCH sets these again as the application starts (so they move to the end).
        if arg:
            self.set_var("current_application_data", arg)
        self.set_var("current_application", app)
        previous, self.current_app = self.current_app, app
        try:
            response = func(self, arg or "")
        finally:
            self.current_app = previous
        if response is not None:
            self.set_var("current_application_response", response)
        self.fire("CHANNEL_EXECUTE_COMPLETE",
                  post=app_headers + [("Application-Response", response or "_none_"),
                                      ("Application-UUID", app_uuid)])
        if self._deferred_cause and not self.hungup:
            self.hangup(self._deferred_cause)
        return response

    def serve_commands(self) -> None:
        """The park loop: run queued sendmsg commands in order until the channel hangs up."""
        while not self.ending:
            item = self.commands.get()
            if item is _STOP or self.ending:
                break
            self.run_command(item)

    def run_pending_commands(self) -> None:
        while not self.hungup and not self.commands.empty():
            item = self.commands.get_nowait()
            if item is _STOP:
                break
            self.run_command(item)

    def run_command(self, cmd: Command) -> None:
        log.debug("channel %s: %s %s %s", self.uuid, cmd.kind, cmd.app, cmd.arg)
        if cmd.headers:
            self.fire("PRIVATE_COMMAND", leading=cmd.headers, with_vars=False)
        if cmd.kind == "hangup":
            self.hangup(cmd.cause)
        elif cmd.kind == "execute":
            loops = max(1, cmd.loops)
            for loop in range(1, loops + 1):
                if self.ending:
                    break
                self.clear_break()
                self.set_var("current_loop", loop)
                self.set_var("total_loops", loops)
                self.execute(cmd.app, cmd.arg, cmd.app_uuid)
            if cmd.app_uuid:
                self.set_var("app_uuid", cmd.app_uuid)
        elif cmd.kind == "unicast" or cmd.kind == "nomedia":
            pass  # media plumbing has no audible effect in the sandbox

    def queue_command(self, cmd: Command) -> None:
        self.commands.put(cmd)

    def release_control(self) -> None:
        """The controlling socket went away: FreeSWITCH clears CF_CONTROLLED, which ends the park
        the `socket` application sits in, so that application returns to whoever ran it."""
        self.commands.put(_STOP)
