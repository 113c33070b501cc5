"""Conferences: rows kept in step with FreeSWITCH's conference events, and their status callbacks."""
from __future__ import annotations

import logging
from email.utils import format_datetime

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cpaas.jobs.webhooks import enqueue
from cpaas.models import Account, Conference, Participant, utcnow
from cpaas.services.call_queue import send_command
from cpaas.services.errors import InvalidParameter
from cpaas.services.webhooks import WebhookRequest

log = logging.getLogger("cpaas.conferences")
#: FreeSWITCH conference profile our conference.conf.xml defines.
PROFILE = "cpaas"


def active_conference(session: Session, account_sid: str, friendly_name: str) -> Conference | None:
    return session.scalars(select(Conference).where(
        Conference.account_sid == account_sid, Conference.friendly_name == friendly_name,
        Conference.status != "completed")).first()


def connected_count(session: Session, conference_sid: str) -> int:
    return session.scalar(select(func.count()).select_from(Participant).where(
        Participant.conference_sid == conference_sid, Participant.status == "connected"))


class ConferenceEvents:
    """Applies conference::maintenance actions to rows and queues the callbacks they trigger."""

    def __init__(self, redis_client: redis.Redis, retry_intervals: tuple[int, ...]):
        self.redis = redis_client
        self.retry_intervals = retry_intervals

    def member_joined(self, session: Session, conference: Conference, participant: Participant,
                      member_id: str | None) -> None:
        participant.status, participant.member_id = "connected", member_id
        participant.date_updated = utcnow()
        if conference.status == "init" and participant.start_conference_on_enter:
            conference.status = "in-progress"
            self._notify(session, conference, "conference-start", participant)
        self._notify(session, conference, "participant-join", participant)

    def member_left(self, session: Session, conference: Conference, participant: Participant) -> None:
        if participant.status == "complete":
            return
        participant.status = "complete"
        participant.date_updated = utcnow()
        if participant.end_conference_on_exit and conference.status != "completed":
            conference.reason_conference_ended = "participant-with-end-conference-on-exit-left"
            conference.call_sid_ending_conference = participant.call_sid
        self._notify(session, conference, "participant-leave", participant)

    def member_muted(self, session: Session, conference: Conference, participant: Participant, muted: bool) -> None:
        if participant.muted == muted:
            return
        participant.muted = muted
        participant.date_updated = utcnow()
        self._notify(session, conference, "participant-mute" if muted else "participant-unmute", participant)

    def ended(self, session: Session, conference: Conference) -> None:
        if conference.status == "completed":
            return
        started = conference.status == "in-progress"
        conference.status = "completed"
        conference.reason_conference_ended = conference.reason_conference_ended or "last-participant-left"
        conference.date_updated = utcnow()
        log.info("%s ended: %s", conference.sid, conference.reason_conference_ended)
        if started:
            self._notify(session, conference, "conference-end", None)

    def _notify(self, session: Session, conference: Conference, event: str, participant: Participant | None):
        short = event.split("-", 1)[1]  # participant-join -> join, conference-start -> start
        if not conference.status_callback or short not in conference.status_callback_events.split():
            return
        params = {"ConferenceSid": conference.sid, "FriendlyName": conference.friendly_name,
                  "AccountSid": conference.account_sid, "StatusCallbackEvent": event,
                  "SequenceNumber": str(conference.next_sequence()), "Timestamp": format_datetime(utcnow())}
        if participant is not None:
            params.update(CallSid=participant.call_sid, Muted=_bool(participant.muted), Hold=_bool(participant.hold),
                          Coaching=_bool(participant.coaching),
                          EndConferenceOnExit=_bool(participant.end_conference_on_exit),
                          StartConferenceOnEnter=_bool(participant.start_conference_on_enter))
        if event == "conference-end":
            params["ReasonConferenceEnded"] = conference.reason_conference_ended or ""
            if conference.call_sid_ending_conference:
                params["CallSidEndingConference"] = conference.call_sid_ending_conference
        token = session.get(Account, conference.account_sid).auth_token
        request = WebhookRequest(url=conference.status_callback, method=conference.status_callback_method,
                                 params=params, account_sid=conference.account_sid, purpose="conference-callback",
                                 resource_sid=conference.sid, auth_token=token)
        enqueue(self.redis, request, self.retry_intervals, order_key=conference.sid)


def _bool(value: bool) -> str:
    return "true" if value else "false"


# ---- API side: changing a live conference -----------------------------------------------------

def send_member_command(redis_client, conference: Conference, participant: Participant | None, command: str,
                        url: str | None = None, method: str | None = None) -> None:
    """`conference <sid> <command> [<member id>|all]` on the node that hosts it; for play and hold,
    with what `url` (fetched with `method`) says to play."""
    target = participant.member_id if participant is not None else "all"
    send_command(redis_client, conference.node or "", participant.call_sid if participant else conference.sid,
                 "conference", conference=conference.sid, command=command, member=target, url=url,
                 method=method)


def end_conference(redis_client, conference: Conference) -> None:
    conference.reason_conference_ended = "conference-ended-via-api"
    send_member_command(redis_client, conference, None, "kick")


def update_participant(redis_client, conference: Conference, participant: Participant, *, muted=None,
                       hold=None, hold_url=None, hold_method="GET", announce_url=None,
                       announce_method="POST") -> Participant:
    """Twilio's Participant update. HoldUrl and AnnounceUrl answer with audio or with TwiML of <Play>,
    <Say>, <Pause> and <Redirect> (Twilio's defaults: HoldMethod GET, AnnounceMethod POST)."""
    if participant.status != "connected" or participant.member_id is None:
        raise InvalidParameter("The participant is not connected", reason="not_connected")
    if muted is not None and muted != participant.muted:
        send_member_command(redis_client, conference, participant, "mute" if muted else "unmute")
    if hold is not None and hold != participant.hold:
        participant.hold = hold
        # mod_conference: `hold <member> [file]`; the held member hears HoldUrl (else the profile's music).
        send_member_command(redis_client, conference, participant, "hold" if hold else "unhold",
                            hold_url if hold else None, hold_method)
    if announce_url:
        send_member_command(redis_client, conference, participant, "play", announce_url, announce_method)
    participant.date_updated = utcnow()
    return participant
