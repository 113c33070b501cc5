"""<Dial><Conference>: join (or start) a conference by name; the member's flags carry Twilio's options."""
from __future__ import annotations

import logging

from cpaas.models import Call, Conference, Participant
from cpaas.services.conferences import PROFILE, active_conference, connected_count
from cpaas.voice.twiml import verbs as v
from cpaas.voice.twiml.tasks import wait_music

log = logging.getLogger("cpaas.voice")


def flags(noun: v.Conference) -> list[str]:
    """Twilio options -> FreeSWITCH member flags: a member that may not start the conference waits
    for one that can (wait-mod); endConferenceOnExit is endconf."""
    result = ["moderator" if noun.start_conference_on_enter else "wait-mod"]
    if noun.muted:
        result.append("mute")
    if noun.end_conference_on_exit:
        result.append("endconf")
    return result


def run(flow, dial: v.Dial, noun: v.Conference):
    with flow.env.database.session() as session:
        call = session.get(Call, flow.call_sid)
        conference = active_conference(session, call.account_sid, noun.name)
        if conference is None:
            conference = Conference(account_sid=call.account_sid, friendly_name=noun.name, node=call.node,
                                    record=noun.record == "record-from-start",
                                    status_callback=noun.status_callback,
                                    status_callback_method=noun.status_callback_method,
                                    status_callback_events=" ".join(noun.status_callback_event))
            session.add(conference)
            session.flush()
        elif connected_count(session, conference.sid) >= noun.max_participants:
            log.warning("%s: conference %s is full (%d)", flow.call_sid, conference.sid, noun.max_participants)
            return _after(flow, dial, "failed")
        elif noun.status_callback and not conference.status_callback:
            # Whoever joins first need not be the one that asked for the conference's events.
            conference.status_callback, conference.status_callback_method = (noun.status_callback,
                                                                             noun.status_callback_method)
            conference.status_callback_events = " ".join(noun.status_callback_event)
        existing = session.get(Participant, (conference.sid, call.sid))
        if existing is not None:
            session.delete(existing)  # a call rejoining the same conference starts a fresh participation
            session.flush()
        session.add(Participant(conference_sid=conference.sid, call_sid=call.sid, account_sid=call.account_sid,
                                muted=noun.muted, start_conference_on_enter=noun.start_conference_on_enter,
                                end_conference_on_exit=noun.end_conference_on_exit, beep=noun.beep,
                                channel_uuid=flow.session.uuid))
        conference_sid = conference.sid
    log.info("%s: joining conference %s (%s)", flow.call_sid, conference_sid, noun.name)
    music = wait_music.start(flow, noun, conference_sid)
    try:
        result = flow.session.conference(conference_sid, PROFILE, flags(noun))
    finally:
        if music is not None:
            music.close()
    if not result.completed:
        return None
    return _after(flow, dial, "completed")


def _after(flow, dial: v.Dial, status: str):
    if not dial.action:
        return None
    return flow.request(dial.action, dial.method, "dial-action", DialCallStatus=status)
