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
