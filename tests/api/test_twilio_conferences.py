"""Conferences through the official SDK, without a switch: listing with Twilio's filters and
paging, and what is refused. Live conferences are in tests/voice/test_conference.py."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from twilio.base.exceptions import TwilioException, TwilioRestException

from cpaas.models import Conference, Participant


@pytest.fixture
def conferences(database, account, other_account):
    """Three rooms of `account` on three days, and one of another account."""
    days = [datetime(2026, 3, day, 12, 0, tzinfo=timezone.utc) for day in (1, 2, 3)]
    rows = [Conference(account_sid=account.sid, friendly_name=name, status=status, date_created=day,
                       date_updated=day + timedelta(hours=1))
            for name, status, day in (("Standup", "completed", days[0]), ("Retro", "completed", days[1]),
                                      ("Standup", "in-progress", days[2]))]
    rows.append(Conference(account_sid=other_account.sid, friendly_name="Standup", status="in-progress",
                           date_created=days[2], date_updated=days[2]))
    with database.session() as session:
        session.add_all(rows)
    return [row.sid for row in rows[:3]]


def test_list_filters_by_name_status_and_dates_newest_first(client, conferences):
    first, second, third = conferences
    assert [c.sid for c in client.conferences.list()] == [third, second, first]
    assert [c.sid for c in client.conferences.list(friendly_name="Standup")] == [third, first]
    assert [c.sid for c in client.conferences.list(status="completed")] == [second, first]
    assert [c.sid for c in client.conferences.list(date_created="2026-03-02")] == [second]
    assert [c.sid for c in client.conferences.list(date_created_after="2026-03-02")] == [third, second]
    assert [c.sid for c in client.conferences.list(date_created_before="2026-03-02")] == [second, first]
    assert [c.sid for c in client.conferences.list(date_updated="2026-03-03")] == [third]
    assert [c.sid for c in client.conferences.list(page_size=1)] == [third, second, first]  # followed pages


def test_another_accounts_conference_and_bad_filters_are_refused(client, conferences, other_account, database):
    with database.session() as session:
        foreign = session.scalar(select(Conference.sid).where(Conference.account_sid == other_account.sid))
    with pytest.raises(TwilioRestException) as excinfo:
        client.conferences(foreign).fetch()
    assert excinfo.value.status == 404
    with pytest.raises(TwilioException) as excinfo:  # a list page the SDK cannot fetch
        client.conferences.list(status="ringing")
    assert '"status":400' in str(excinfo.value) and "Status: Must be one of" in str(excinfo.value)


def test_participants_list_filters_by_muted_and_hold(client, database, account, conferences):
    room = conferences[2]
    with database.session() as session:
        session.add_all([Participant(conference_sid=room, call_sid=f"CA{n:032x}", account_sid=account.sid,
                                     status="connected", muted=muted, hold=hold)
                         for n, (muted, hold) in enumerate(((False, False), (True, False), (True, True)))])
    participants = client.conferences(room).participants
    assert len(participants.list()) == 3
    assert sorted(p.call_sid[-1] for p in participants.list(muted=True)) == ["1", "2"]
    assert [p.call_sid[-1] for p in participants.list(hold=True)] == ["2"]
    assert [p.call_sid[-1] for p in participants.list(muted=False)] == ["0"]
    with pytest.raises(TwilioRestException) as excinfo:
        participants(f"CA{9:032x}").fetch()
    assert excinfo.value.status == 404
