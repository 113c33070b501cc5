"""<Dial> with <Number>, <Sip>, <Client> or a bare number: ring every leg at once, bridge the first
to answer, then post DialCallStatus/DialCallSid/DialCallDuration to the action (or carry on)."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

import gevent

from cpaas.models import Call, new_sid, utcnow
from cpaas.services.errors import InvalidParameter
from cpaas.switch.errors import ChannelHangup
from cpaas.switch.originate import Endpoint, OriginateRequest
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.tasks import conference, whisper
from cpaas.voice.twiml.tasks.record import keep_recording

log = logging.getLogger("cpaas.voice")
_DIAL_STATUS = {"USER_BUSY": "busy", "NO_ANSWER": "no-answer", "NO_USER_RESPONSE": "no-answer",
                "ALLOTTED_TIMEOUT": "no-answer", "ORIGINATOR_CANCEL": "canceled", "LOSE_RACE": "canceled"}
_SETTLE_SECONDS = 1.0  # how long leg events may trail the bridge's own completion


@dataclass
class Leg:
    call_sid: str
    channel_uuid: str
    endpoint: Endpoint
    whisper: bool = False  # the callee hears a document of its own before it is connected


def run(flow, verb: v.Dial):
    if isinstance(verb.nouns[0], v.Conference):
        return conference.run(flow, verb, verb.nouns[0])
    legs = _create_legs(flow, verb)
    if not legs:
        return _finish(flow, verb, "failed", None, 0)
    if not verb.answer_on_bridge:
        flow.session.answer()
    if verb.hangup_on_star:
        flow.session.set_variable("bridge_terminate_key", "*")
    variables = {"originate_timeout": verb.timeout, "ignore_early_media": "ring_ready"}
    if any(leg.whisper for leg in legs):
        whisper.set_timers(variables, [leg.endpoint for leg in legs], verb.timeout)
    recording = DialRecording.start(flow, verb, variables)
    if len(legs) == 1:
        # Global {} values are escaped exactly; per-leg [] values may not hold , ' " \ | (a password might).
        variables.update(legs[0].endpoint.variables)
        legs[0].endpoint.variables = {}
    request = OriginateRequest(endpoints=[leg.endpoint for leg in legs], variables=variables)
    try:
        result = flow.session.bridge(request.dial_string())
    except ChannelHangup as exc:
        _after_caller_hung_up(flow, verb, legs, recording, exc.variables.get("last_bridge_to"))
        raise
    if result.interrupted:
        return None
    answered = next((leg for leg in legs if result.answered and leg.channel_uuid == result.other_uuid), None)
    status = "completed" if answered else _DIAL_STATUS.get(result.hangup_cause or "", "failed")
    duration = _settle_legs(flow, legs, answered, result.hangup_cause)
    if not answered and _whisper_refused(flow, legs):
        status = "no-answer"
    recorded = recording.finish(flow) if recording else {}
    return _finish(flow, verb, status, answered.call_sid if answered else None, duration, **recorded)


def _after_caller_hung_up(flow, verb: v.Dial, legs: list[Leg], recording: "DialRecording | None",
                          bridged_to: str | None) -> None:
    """The caller left mid-dial: the legs end canceled, and the action is still requested.
    `bridged_to`: the channel the caller was last bridged to (an answered whisper leg counts only
    if it got that far)."""
    _settle_legs(flow, legs, None, "ORIGINATOR_CANCEL")
    recorded = recording.finish(flow) if recording else {}
    if not verb.action:
        return
    with flow.env.database.session() as session:
        children = [(leg, session.get(Call, leg.call_sid)) for leg in legs]
        answered = next((c for leg, c in children if c.answer_time is not None
                         and (not leg.whisper or leg.channel_uuid == bridged_to)), None)
        status = "completed" if answered else next(
            ("canceled" if leg.whisper and c.answer_time else c.status for leg, c in children), "canceled")
        params = {"DialCallStatus": status, "DialCallDuration": answered.duration or 0 if answered else 0,
                  **recorded}
        if answered:
            params["DialCallSid"] = answered.sid
    flow.post_in_background(verb.action, verb.method, "dial-action", **params)


def _create_legs(flow, verb: v.Dial) -> list[Leg]:
    legs = []
    with flow.env.database.session() as session:
        parent = session.get(Call, flow.call_sid)
        caller_id = verb.caller_id or parent.from_  # Twilio presents the caller unless callerId says otherwise
        for noun in verb.nouns:
            target = _target(noun)
            try:
                route = flow.env.router.route(target, caller_id)
            except InvalidParameter as exc:
                log.warning("%s: <Dial> %s: %s", flow.call_sid, target, exc.message)
                continue
            child = Call(account_sid=parent.account_sid, parent_call_sid=parent.sid, direction="outbound-dial",
                         to=target, from_=caller_id or "", status="queued", timeout=verb.timeout,
                         url=flow.absolute(noun.url) if getattr(noun, "url", None) else None,
                         method=getattr(noun, "method", "POST"),
                         status_callback=getattr(noun, "status_callback", None),
                         status_callback_method=getattr(noun, "status_callback_method", "POST"),
                         status_callback_events=" ".join(getattr(noun, "status_callback_event", ("completed",))),
                         node=parent.node)
            session.add(child)
            session.flush()
            leg_uuid = str(uuid.uuid4())
            variables = {"cpaas_call_sid": child.sid, "cpaas_account_sid": parent.account_sid,
                         "cpaas_parent_call_sid": parent.sid, "origination_uuid": leg_uuid,
                         # The time limit runs from the answer, on the leg that answers.
                         "api_on_answer": f"sched_hangup +{verb.time_limit} {leg_uuid} ALLOTTED_TIMEOUT"}
            if route.caller_id:
                variables["origination_caller_id_number"] = route.caller_id
            if isinstance(noun, v.Number) and noun.send_digits:
                # execute_on_answer* all run (FreeSWITCH matches the prefix), beside a recording's.
                variables["execute_on_answer_digits"] = f"send_dtmf {noun.send_digits}"
            if isinstance(noun, v.Sip) and noun.username:
                variables.update(sip_auth_username=noun.username, sip_auth_password=noun.password or "")
            if child.url:
                variables.update(whisper.leg_variables(flow.env.settings))
            leg = Leg(child.sid, leg_uuid, Endpoint(route.endpoint, variables), whisper=bool(child.url))
            if len(verb.nouns) > 1 and not _per_leg_safe(leg.endpoint):
                log.warning("%s: <Dial> %s: its credentials cannot be sent with other legs", flow.call_sid, target)
                flow.env.call_events.fail(session, child, "INVALID_GATEWAY")
                continue
            legs.append(leg)
    return legs


def _whisper_refused(flow, legs: list[Leg]) -> bool:
    whispered = [leg.call_sid for leg in legs if leg.whisper]
    if not whispered:
        return False
    with flow.env.database.session() as session:
        return whisper.refused(session, whispered)


def _per_leg_safe(endpoint: Endpoint) -> bool:
    try:
        endpoint.render(for_api=False)
        return True
    except ValueError:
        return False


def _target(noun) -> str:
    if isinstance(noun, v.Number):
        return noun.number
    if isinstance(noun, v.Sip):
        return noun.uri
    return f"client:{noun.identity}"


def _settle_legs(flow, legs: list[Leg], answered: Leg | None, cause: str | None) -> int:
    """Give the node listener a moment to record each leg's end; end legs that never had a channel.
    Returns the answered leg's talk time in seconds."""
    deadline = gevent.get_hub().loop.now() + _SETTLE_SECONDS
    while True:
        with flow.env.database.session() as session:
            children = [session.get(Call, leg.call_sid) for leg in legs]
            pending = [c for c in children if not c.is_finished]
            if not pending or gevent.get_hub().loop.now() >= deadline:
                for child in pending:
                    flow.env.call_events.fail(session, child, cause or "NORMAL_CLEARING")
                winner = next((c for c in children if answered and c.sid == answered.call_sid), None)
                if winner is None:
                    return 0
                if winner.duration is not None:
                    return winner.duration
                start = winner.answer_time or winner.start_time
                return int((utcnow() - start).total_seconds()) if start else 0
        gevent.sleep(0.05)


def _finish(flow, verb: v.Dial, status: str, dial_call_sid: str | None, duration: int, **recorded):
    if not verb.action:
        return None  # without an action the document carries on after <Dial>
    params = {"DialCallStatus": status, "DialCallDuration": duration, **recorded}
    if dial_call_sid:
        params["DialCallSid"] = dial_call_sid
    return flow.request(verb.action, verb.method, "dial-action", **params)


class DialRecording:
    """<Dial record="...">: the answered leg records the conversation from its answer, or the caller's
    leg from the start of ringing; the file becomes a Recording (source DialVerb) of the parent call."""

    def __init__(self, verb: v.Dial, sid: str, path: Path, from_ringing: bool):
        self.verb, self.sid, self.path, self.from_ringing = verb, sid, path, from_ringing
        self.started = utcnow()

    @classmethod
    def start(cls, flow, verb: v.Dial, variables: dict) -> "DialRecording | None":
        if verb.record == "do-not-record":
            return None
        settings = flow.env.settings
        settings.recordings_dir.mkdir(parents=True, exist_ok=True)
        sid = new_sid("RE")
        recording = cls(verb, sid, (settings.recordings_dir / f"{sid}.wav").resolve(),
                        verb.record.startswith("record-from-ringing"))
        if verb.record.endswith("-dual"):
            variables["RECORD_STEREO"] = "true"
        if recording.from_ringing:
            if verb.record.endswith("-dual"):
                flow.session.set_variable("RECORD_STEREO", "true")
            flow.session.start_recording(str(recording.path))
        else:
            variables["execute_on_answer"] = f"record_session {recording.path}"
        return recording

    def finish(self, flow) -> dict:
        """The action's Recording* parameters ({} when nothing was recorded)."""
        if self.from_ringing:
            flow.session.stop_recording(str(self.path))
        kept = keep_recording(flow, self.sid, self.path, self.started, "DialVerb",
                              self.verb.recording_status_callback, self.verb.recording_status_callback_method,
                              self.verb.recording_status_callback_event,
                              channels=2 if self.verb.record.endswith("-dual") else 1, wait=1.0)
        if kept is None:
            return {}
        return {"RecordingUrl": kept["url"], "RecordingSid": self.sid, "RecordingDuration": kept["duration"]}
