"""NodeListener: one inbound ESL connection per FreeSWITCH node, turning channel events into call
status (and status callbacks) and conference events into Conference/Participant rows."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import gevent
from sqlalchemy import select

from cpaas.config import FreeSwitchNode
from cpaas.models import Call, Conference, Participant
from cpaas.models.calls import TERMINAL, load_progress_rows, save_progress_rows
from cpaas.services import call_recordings
from cpaas.services.calls import Progress
from cpaas.services.conferences import ConferenceEvents
from cpaas.switch.errors import EslError
from cpaas.switch.inbound import EslConnection
from cpaas.switch.originate import call_sid_of_originate
from cpaas.switch.wire import Event
from cpaas.voice import members, recordings
from cpaas.voice.env import VoiceEnv
from cpaas.voice.orphans import end_orphaned_call

log = logging.getLogger("cpaas.voice")

CONFERENCE_SUBCLASS = "conference::maintenance"
BEEP = "tone_stream://%(300,0,880)"
CHANNEL_EVENTS = ("CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
                  "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB")
_STATUS = {"CHANNEL_CREATE": "initiated", "CHANNEL_PROGRESS": "ringing", "CHANNEL_PROGRESS_MEDIA": "ringing",
           "CHANNEL_ANSWER": "in-progress"}
_BEFORE_ANSWER = ("initiated", "ringing")


#: Channel events applied in one write at most: a write cannot be split across transactions, and
#: the hub is held while it runs (about 0.1 ms an event).
MAX_EVENTS_PER_WRITE = 16


def event_time(event: Event) -> datetime:
    micros = event.get("Event-Date-Timestamp")
    if micros and micros.isdigit():
        return datetime.fromtimestamp(int(micros) / 1e6, timezone.utc)
    return datetime.now(timezone.utc)


class NodeListener:
    def __init__(self, node: FreeSwitchNode, env: VoiceEnv):
        self.node = node
        self.env = env
        self.conference_events = ConferenceEvents(env.redis, env.settings.webhook_retry_intervals)
        self.connection = EslConnection.for_node(node)
        self._progress: list | None = None  # channel events waiting for their write
        for name in CHANNEL_EVENTS:
            self.connection.register_handle(name, self._on_channel_event)
        self.connection.register_handle(CONFERENCE_SUBCLASS, self._on_conference)
        self.connection.subscribe(*CHANNEL_EVENTS, "CUSTOM", CONFERENCE_SUBCLASS)

    def start(self) -> "NodeListener":
        self.connection.start()
        gevent.spawn(self._sweep_when_connected)
        return self

    def _sweep_when_connected(self) -> None:
        """After a controller restart, calls that ended while nobody listened would stay open:
        end those this node no longer has (uuid_exists false)."""
        self.connection.wait_connected()
        with self.env.database.session() as session:
            open_calls = [(c.sid, c.channel_uuid) for c in session.scalars(select(Call).where(
                Call.node == self.node.name, Call.status.not_in(TERMINAL), Call.channel_uuid.is_not(None)))]
        for call_sid, channel_uuid in open_calls:
            try:
                exists = self.connection.api(f"uuid_exists {channel_uuid}").strip() == "true"
            except EslError:
                return  # the connection dropped again; the next start sweeps
            if not exists:
                end_orphaned_call(self.env, call_sid, f"{channel_uuid} no longer exists on {self.node.name}")

    def stop(self) -> None:
        self.connection.stop()

    # ---- channel events -> call status ---------------------------------------------------

    def _on_channel_event(self, event: Event) -> None:
        name = event.name
        if name == "BACKGROUND_JOB":
            self._on_job(event)
            return
        call_sid = event.variable("cpaas_call_sid")
        if name == "CHANNEL_HANGUP_COMPLETE":
            progress = Progress("ended", event_time(event), node=self.node.name, channel_uuid=event.uuid,
                                hangup_cause=event.get("Hangup-Cause"),
                                answered=bool(event.variable("answer_epoch", "0").strip("0")),
                                billsec=_int(event.variable("billsec")),
                                sip_response_code=_int(event.variable("sip_term_status")),
                                canceled_by_api=event.variable("cpaas_canceled") == "true")
        elif _STATUS[name] in _BEFORE_ANSWER and (not call_sid or event.variable("cpaas_direction") == "inbound"):
            # A call from outside: its row is written `ringing` when the controller takes the
            # channel, and nothing before the answer can move it. Looking it up cost a query.
            return
        else:
            progress = Progress(_STATUS[name], event_time(event), node=self.node.name, channel_uuid=event.uuid)
        self._queue_progress(call_sid, progress)

    def _queue_progress(self, call_sid: str | None, progress: Progress) -> None:
        """Status changes are written behind, in the order read: those read while the previous batch
        was being written go together into one transaction (two queries for all of them)."""
        if self._progress is None or len(self._progress) >= MAX_EVENTS_PER_WRITE:
            batch = self._progress = []
            self.env.write_behind.submit(f"{self.node.name} channel events",
                                         lambda session: self._apply_progress(session, batch))
        self._progress.append((call_sid, progress))

    def _apply_progress(self, session, batch: list[tuple[str | None, Progress]]):
        if self._progress is batch:
            self._progress = None  # events read from now on go into the next write
        by_sid = load_progress_rows(session, "sid", {sid for sid, _ in batch if sid})
        by_uuid = load_progress_rows(session, "channel_uuid", {p.channel_uuid for sid, p in batch if not sid})
        by_uuid = {uuid: by_sid.get(call.sid, call) for uuid, call in by_uuid.items()}  # one object per call
        ended = []
        for call_sid, progress in batch:
            call = by_sid.get(call_sid) if call_sid else by_uuid.get(progress.channel_uuid)
            if call is None:
                continue
            self.env.call_events.apply(session, call, progress)
            if progress.status == "ended":
                ended.append(call.sid)
        save_progress_rows(session, {call.sid: call for call in (*by_sid.values(), *by_uuid.values())}.values())
        recorded = call_recordings.calls_recording(session, ended) if ended else []
        if not recorded:
            return None
        return lambda: [gevent.spawn(recordings.finish_all, self.env, sid) for sid in recorded]

    def _on_job(self, event: Event) -> None:
        """A failed `bgapi originate` never makes a channel: fail the call with FreeSWITCH's cause."""
        body = (event.body or "").strip()
        if not body.startswith("-ERR"):
            return
        call_sid = call_sid_of_originate(event.get("Job-Command-Arg"))
        if not call_sid:
            return
        cause = body[4:].strip().split()[0] if body[4:].strip() else "NORMAL_TEMPORARY_FAILURE"
        log.info("%s: originate failed on %s: %s", call_sid, self.node.name, cause)
        # In the same queue as channel events: the CHANNEL_CREATE read before it is applied first.
        self._queue_progress(call_sid, Progress("ended", event_time(event), node=self.node.name,
                                                hangup_cause=cause))

    # ---- conference events -> Conference / Participant rows ------------------------------

    def _beep(self, conference_sid: str) -> None:
        """<Conference beep>: a short tone to everyone when a member joins or leaves."""
        gevent.spawn(self.connection.api, f"conference {conference_sid} play {BEEP}")

    def _record_conference(self, session, conference: Conference) -> None:
        """record="record-from-start": from the moment the conference starts until it ends."""
        recording = call_recordings.new_recording(session, self.env.settings, None, "Conference",
                                                  conference=conference)
        gevent.spawn(self.connection.api, f"conference {conference.sid} record {recording.local_path}")

    def _on_conference(self, event: Event) -> None:
        action = event.get("Action")
        if action == "play-file-member-done":
            members.file_done(event.uuid)  # a file played to one member (wait music) has played out
            return
        if action not in ("add-member", "del-member", "mute-member", "unmute-member", "conference-destroy"):
            return
        with self.env.database.session() as session:
            conference = session.get(Conference, event.get("Conference-Name", ""))
            if conference is None:
                return  # not one of ours (e.g. a conference started from the dialplan)
            if action == "conference-destroy":
                self.conference_events.ended(session, conference)
                gevent.spawn(recordings.finish_all, self.env, None, conference.sid)
                return
            participant = session.scalars(select(Participant).where(
                Participant.conference_sid == conference.sid, Participant.channel_uuid == event.uuid)).first()
            if participant is None:
                return
            if action == "add-member":
                self._member_joined(session, conference, participant, event)
            elif action == "del-member":
                members.left(event.uuid)
                self.conference_events.member_left(session, conference, participant)
                if participant.beep in ("true", "onExit") and event.get("Conference-Size", "0") != "0":
                    self._beep(conference.sid)
            else:
                self.conference_events.member_muted(session, conference, participant, action == "mute-member")

    def _member_joined(self, session, conference: Conference, participant: Participant, event: Event) -> None:
        starting = conference.status == "init"
        self.conference_events.member_joined(session, conference, participant, event.get("Member-ID"))
        started = conference.status == "in-progress"
        if starting and started:
            members.conference_started(conference.sid)  # what the waiting members hear stops now
            if conference.record:
                self._record_conference(session, conference)
        members.joined(event.uuid, event.get("Member-ID"), started)
        if participant.beep in ("true", "onEnter"):
            self._beep(conference.sid)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
