"""Which channel events the node listener writes behind (each write looks the call up)."""
import redis

from cpaas.config import load_settings
from cpaas.models import Database
from cpaas.models.migrate import upgrade
from cpaas.switch.wire import Event
from cpaas.voice.env import VoiceEnv
from cpaas.voice.listener import NodeListener


def _event(name: str, **variables) -> Event:
    headers = {"Event-Name": name, "Unique-ID": "c0ffee00-0000-4000-8000-000000000001"}
    headers.update({f"variable_{key}": value for key, value in variables.items()})
    return Event(headers)


def test_events_before_the_answer_of_a_call_from_outside_are_not_written(tmp_path, redis_server):
    settings = load_settings({"DATA_DIR": str(tmp_path), "REDIS_URL": redis_server.url}, dotenv=None)
    upgrade(settings.database_url)
    env = VoiceEnv(settings, Database(settings.database_url), redis.Redis.from_url(redis_server.url))
    listener = NodeListener(settings.esl_nodes[0], env)
    queued = []
    listener._queue_progress = lambda call_sid, progress: queued.append((call_sid, progress.status))

    listener._on_channel_event(_event("CHANNEL_CREATE"))  # before the dialplan ran: no variables yet
    listener._on_channel_event(_event("CHANNEL_PROGRESS", cpaas_call_sid="CAin", cpaas_direction="inbound"))
    assert queued == []  # its row is written `ringing` by the controller; nothing here can move it

    listener._on_channel_event(_event("CHANNEL_ANSWER", cpaas_call_sid="CAin", cpaas_direction="inbound"))
    listener._on_channel_event(_event("CHANNEL_CREATE", cpaas_call_sid="CAout"))  # one we originated
    listener._on_channel_event(_event("CHANNEL_PROGRESS", cpaas_call_sid="CAout"))
    assert queued == [("CAin", "in-progress"), ("CAout", "initiated"), ("CAout", "ringing")]
    env.database.dispose()


def test_progress_rows_write_only_what_an_event_changed(tmp_path, redis_server):
    from datetime import datetime, timezone

    from cpaas.models import Call, insert_row
    from cpaas.models.calls import load_progress_rows, save_progress_rows
    from cpaas.services.calls import CallEvents, Progress
    from tests.support.app import new_account

    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    database = Database(url)
    account = new_account(database)
    with database.session() as session:
        call = Call(account_sid=account.sid, direction="outbound-api", to="+15557650000", from_="+15551230000",
                    status="ringing", channel_uuid="c0ffee00-0000-4000-8000-000000000002")
        insert_row(session, call)
    events = CallEvents(redis.Redis.from_url(redis_server.url), ())
    answered_at = datetime(2026, 11, 23, 12, 0, 5, tzinfo=timezone.utc)

    with database.session() as session:
        by_uuid = load_progress_rows(session, "channel_uuid", {call.channel_uuid})
        by_sid = load_progress_rows(session, "sid", {call.sid})
        assert set(by_uuid) == {call.channel_uuid} and set(by_sid) == {call.sid}
        row = by_sid[call.sid]
        assert events.apply(session, row, Progress("in-progress", answered_at, node="fs1"))
        assert not events.apply(session, row, Progress("ringing", answered_at))  # never back
        with database.session() as api:  # meanwhile, the API changes the callback of the call
            api.get(Call, call.sid).status_callback = "https://example.com/status"
        save_progress_rows(session, [row])

    with database.session() as session:
        written = session.get(Call, call.sid)
        assert (written.status, written.node, written.answer_time) == ("in-progress", "fs1", answered_at)
        assert written.start_time == answered_at and written.channel_uuid == call.channel_uuid
        assert written.status_callback == "https://example.com/status"  # not written back over
    database.dispose()
