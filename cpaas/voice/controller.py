"""The call controller: FreeSWITCH hands every call to it (outbound ESL socket), one flow per call;
one NodeListener per node tracks call status and delivers live updates."""
from __future__ import annotations

import logging

from cpaas.models import Call, insert_row, utcnow
from cpaas.services import call_recordings
from cpaas.services.calls import voice_params
from cpaas.services.phone_numbers import voice_route
from cpaas.switch.outbound import ChannelSession, OutboundServer
from cpaas.voice import orphans
from cpaas.voice.dispatcher import Dispatcher
from cpaas.voice.env import VoiceEnv
from cpaas.voice.listener import NodeListener
from cpaas.voice.session import CallSession
from cpaas.voice.twiml import whisper
from cpaas.voice.twiml.fetch import CallSnapshot, DocumentRequest, InlineDocument, read_call
from cpaas.voice.twiml.flow import TwimlFlow

log = logging.getLogger("cpaas.voice")

#: What a call's socket needs beyond the events ChannelSession always asks for (execute completions,
#: hang-up, jobs): the answer, and speech results for <Gather input="speech">. With every event of
#: the channel, a verb cost a dozen frames (CHANNEL_EXECUTE, CHANNEL_STATE, CALL_UPDATE...) to
#: write, read and route, and nobody read them.
CALL_EVENTS = ("CHANNEL_ANSWER", "DETECTED_SPEECH")


class Controller:
    def __init__(self, env: VoiceEnv, host: str | None = None, port: int | None = None,
                 latencies: list | None = None):
        self.env = env
        self.latencies = latencies  # per-verb latencies of every call, when measuring
        settings = env.settings
        self.server = OutboundServer(self.handle_channel, host or settings.controller_host,
                                     settings.controller_port if port is None else port, only_events=CALL_EVENTS)
        self.listeners = [NodeListener(node, env) for node in settings.esl_nodes]
        self.flows: dict[str, TwimlFlow] = {}  # call sid -> flow running here
        self.dispatcher = Dispatcher(env, self.listeners, self.flows)
        self.orphans = orphans.OrphanWatch(env)

    def start(self) -> "Controller":
        self.server.start()
        for listener in self.listeners:
            listener.start()
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        self.dispatcher.stop()
        self.server.stop()
        for listener in self.listeners:
            listener.stop()
        self.orphans.stop()
        self.env.write_behind.stop()

    @property
    def port(self) -> int:
        return self.server.port

    # ---- one call --------------------------------------------------------------------------

    def handle_channel(self, channel: ChannelSession) -> None:
        if channel.variable("cpaas_whisper") == "true":
            # A <Dial> leg's whisper: the leg lives on in the caller's bridge, so no orphan watch.
            whisper.run(self.env, channel, self.latencies)
            return
        call_sid = channel.variable("cpaas_call_sid")
        send_digits = record = None
        if call_sid:
            first, known, send_digits, record = self._originated(call_sid)
        elif channel.variable("cpaas_direction") == "inbound":
            call_sid, first, known = self._inbound(channel)
        else:
            log.warning("channel %s reached the controller without cpaas variables; hanging up", channel.uuid)
            channel.hangup("CALL_REJECTED")
            return
        if first is None:
            return
        session = CallSession(channel, call_sid, self.latencies)
        flow = TwimlFlow(session, call_sid, self.env, known)
        self.flows[call_sid] = flow
        try:
            if send_digits:
                session.send_digits(send_digits)
            if record:
                self._record_whole_call(session, call_sid)
            flow.run(first)
        finally:
            self.flows.pop(call_sid, None)
            self.orphans.watch(call_sid, "the call's socket closed")

    def _originated(self, call_sid: str):
        with self.env.database.session() as session:
            found = read_call(session, call_sid)
            if found is None:
                log.warning("%s: no such call; hanging up", call_sid)
                return None, None, None, None
            call, known = found
            if call.twiml:
                first = InlineDocument(call.twiml)
            else:
                first = DocumentRequest(call.url, call.method, fallback_url=call.fallback_url,
                                        fallback_method=call.fallback_method)
            return first, known, call.send_digits, call.record

    def _record_whole_call(self, session: CallSession, call_sid: str) -> None:
        """Calls.create Record=true: record from the answer to the end (stored when the call ends)."""
        with self.env.database.session() as db:
            call = db.get(Call, call_sid)
            recording = call_recordings.new_recording(db, self.env.settings, call, "OutboundAPI",
                                                      call.recording_status_callback)
            path = recording.local_path
        session.start_recording(path)

    def _inbound(self, channel: ChannelSession):
        to, from_ = channel.variable("cpaas_to", ""), channel.variable("cpaas_from", "")
        node = self.env.settings.esl_nodes[0].name if len(self.env.settings.esl_nodes) == 1 else None
        known = None
        with self.env.database.session() as session:
            number = voice_route(session, to)
            call = Call(account_sid=number.account_sid if number else None, to=to, from_=from_,
                        direction="inbound", status="ringing", channel_uuid=channel.uuid, node=node,
                        start_time=utcnow(), caller_name=channel.variable("caller_id_name"),
                        phone_number_sid=number.sid if number else None)
            if number is not None:
                call.url, call.method = number.voice_url, number.voice_method
                call.fallback_url, call.fallback_method = number.voice_fallback_url, number.voice_fallback_method
                call.status_callback, call.status_callback_method = number.status_callback, \
                    number.status_callback_method
            if number is None or not number.voice_url:
                why = "is not a number of any account" if number is None else "has no VoiceUrl"
                call.error_message = f"{to} {why}"
            insert_row(session, call)  # a row per call set-up: the unit of work would double its cost
            call_sid = call.sid
            if call.error_message:
                log.warning("%s: inbound call from %s to %s rejected: %s", call_sid, from_, to, call.error_message)
            else:
                # The flow need not read back the row written here.
                known = CallSnapshot(voice_params(call), call.account_sid, number.auth_token)
        channel.set("cpaas_call_sid", call_sid)
        if number is None or not number.voice_url:
            channel.hangup("UNALLOCATED_NUMBER" if number is None else "CALL_REJECTED")
            return call_sid, None, None
        log.info("%s: inbound call from %s to %s", call_sid, from_, to)
        return call_sid, DocumentRequest(call.url, call.method, fallback_url=call.fallback_url,
                                         fallback_method=call.fallback_method), known
