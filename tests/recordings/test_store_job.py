"""The storing job in a real `cpaas worker`: local folder and S3 round trips, retries, and a failure that
keeps the file, each announced by a signed recording status callback."""
import pytest
import redis
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from cpaas.config import load_settings
from cpaas.jobs.recordings import enqueue_store
from cpaas.models.migrate import upgrade
from cpaas.services.recordings import MEDIA_INVALID, STORE_FAILED
from tests.recordings.audio import assert_mp3_lasts, wav_facts
from tests.recordings.rows import processing_recording, wait_for_status
from tests.support.app import environ_for_tests, make_app, new_account
from tests.support.live_server import LiveServer
from tests.support.servers import free_port
from tests.support.worker import WorkerProcess

RETRIES = "1 1"


@pytest.fixture
def stack(tmp_path, redis_url, aws_env, monkeypatch):
    """Start a worker with the given storage environment; yields (settings, database, connection, worker)."""
    started = []

    def start(**overrides):
        env = {**aws_env, **environ_for_tests(tmp_path, redis_url, RECORDING_UPLOAD_RETRY_INTERVALS=RETRIES,
                                              **overrides)}
        # enqueue_store runs in the engine's process: here, this one.
        monkeypatch.setenv("RECORDING_UPLOAD_RETRY_INTERVALS", RETRIES)
        settings = load_settings(env, dotenv=None)
        upgrade(settings.database_url)
        _, database = make_app(settings)
        worker = WorkerProcess(env)
        started.append((worker, database))
        return settings, database, redis.Redis.from_url(redis_url), worker

    yield start
    for worker, database in started:
        worker.stop()
        database.dispose()


def _callback(webhooks, account, path="/recording-status"):
    got = webhooks.wait_for(path, timeout=20)[0]
    assert RequestValidator(account.token).validate(got.url, got.form, got.headers["X-Twilio-Signature"])
    return got.form


def test_local_backend_keeps_the_file_under_its_key_with_an_mp3(stack, webhooks, tmp_path):
    settings, database, connection, _ = stack()
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 3.0, callback=webhooks.reply("/recording-status"))
    original = (settings.recordings_dir / f"{sid}.wav").read_bytes()
    enqueue_store(connection, settings, sid)

    recording = wait_for_status(database, sid, ("completed", "failed"))
    assert (recording.status, recording.error_code, recording.local_path) == ("completed", None, None)
    assert recording.storage_key == f"{account.sid}/{sid}.wav"
    stored = settings.recordings_dir / account.sid
    assert (stored / f"{sid}.wav").read_bytes() == original
    assert_mp3_lasts((stored / f"{sid}.mp3").read_bytes(), 3.0)
    assert not (settings.recordings_dir / f"{sid}.wav").exists()

    form = _callback(webhooks, account)
    assert form == {
        "AccountSid": account.sid, "CallSid": recording.call_sid, "RecordingSid": sid,
        "RecordingUrl": f"{settings.public_base_url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}",
        "RecordingStatus": "completed", "RecordingDuration": "3", "RecordingChannels": "1",
        "RecordingStartTime": "Mon, 23 Nov 2026 08:00:05 +0000", "RecordingSource": "RecordVerb"}


def test_s3_backend_uploads_confirms_then_removes_the_local_file(stack, webhooks, s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    settings, database, connection, _ = stack(STORAGE_BACKEND="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_server.url,
                                              S3_PREFIX="calls/", S3_REGION="us-east-1")
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 2.0, callback=webhooks.reply("/recording-status"))
    local = settings.recordings_dir / f"{sid}.wav"
    original = local.read_bytes()
    enqueue_store(connection, settings, sid)

    recording = wait_for_status(database, sid, ("completed", "failed"))
    assert recording.status == "completed" and recording.local_path is None
    assert s3_server.keys(bucket) == [f"calls/{account.sid}/{sid}.mp3", f"calls/{account.sid}/{sid}.wav"]
    assert s3_server.read(bucket, f"calls/{account.sid}/{sid}.wav") == original
    facts = wav_facts(s3_server.read(bucket, f"calls/{account.sid}/{sid}.wav"), tmp_path)
    assert (facts.rate, facts.channels, facts.width, facts.seconds) == (8000, 1, 2, 2.0)
    assert_mp3_lasts(s3_server.read(bucket, f"calls/{account.sid}/{sid}.mp3"), 2.0)
    assert not local.exists() and not local.with_suffix(".mp3").exists()
    assert _callback(webhooks, account)["RecordingStatus"] == "completed"


def test_s3_down_retries_then_fails_with_an_error_code_and_keeps_the_file(stack, webhooks, tmp_path):
    settings, database, connection, worker = stack(STORAGE_BACKEND="s3", S3_BUCKET="recordings",
                                                   S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
                                                   S3_REGION="us-east-1")
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/recording-status"),
                               events="in-progress completed absent")
    local = settings.recordings_dir / f"{sid}.wav"
    original = local.read_bytes()
    enqueue_store(connection, settings, sid)

    recording = wait_for_status(database, sid, ("completed", "failed"), timeout=30)
    assert (recording.status, recording.error_code) == ("failed", STORE_FAILED)
    assert recording.local_path == str(local) and local.read_bytes() == original
    assert not local.with_suffix(".mp3").exists(), "the temporary MP3 is cleaned up"
    form = _callback(webhooks, account)
    assert (form["RecordingStatus"], form["ErrorCode"], form["RecordingSid"]) == ("failed", str(STORE_FAILED), sid)
    log = worker.stop()
    assert log.count("will retry") == 2, log[-3000:]
    assert "storing failed for good" in log


def test_a_file_that_is_not_audio_fails_at_once(stack, webhooks):
    settings, database, connection, worker = stack()
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/recording-status"))
    (settings.recordings_dir / f"{sid}.wav").write_bytes(b"not a wave file")
    enqueue_store(connection, settings, sid)
    recording = wait_for_status(database, sid, ("completed", "failed"))
    assert (recording.status, recording.error_code) == ("failed", MEDIA_INVALID)
    assert (settings.recordings_dir / f"{sid}.wav").exists()
    assert _callback(webhooks, account)["ErrorCode"] == str(MEDIA_INVALID)
    assert "will retry" not in worker.stop()


def test_no_callback_unless_the_app_asked_for_it(stack, webhooks):
    settings, database, connection, _ = stack()
    account = new_account(database)
    quiet = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/quiet"),
                                 events="in-progress absent")
    loud = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/loud"))
    enqueue_store(connection, settings, quiet)
    enqueue_store(connection, settings, loud)
    wait_for_status(database, quiet, ("completed",))
    assert webhooks.wait_for("/loud")[0].form["RecordingSid"] == loud
    assert webhooks.received("/quiet") == []


def test_sdk_round_trip_with_the_worker_storing_to_s3(stack, s3_server, tmp_path):
    """The whole path: engine's WAV -> worker -> S3 -> SDK fetch -> WAV and MP3 downloads -> delete."""
    bucket = s3_server.new_bucket()
    settings, database, connection, _ = stack(STORAGE_BACKEND="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_server.url,
                                              S3_REGION="us-east-1")
    app, app_database = make_app(settings)
    server = LiveServer(app)
    try:
        account = new_account(database)
        client = Client(account.sid, account.token)
        client.api.base_url = server.url
        sid = processing_recording(database, settings, account.sid, 5.0)
        enqueue_store(connection, settings, sid)
        wait_for_status(database, sid, ("completed", "failed"))
        assert client.recordings(sid).fetch().status == "completed"
        media = f"{server.url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}"
        facts = wav_facts(requests.get(media + ".wav", timeout=10).content, tmp_path)
        assert (facts.rate, facts.seconds) == (8000, 5.0)
        assert_mp3_lasts(requests.get(media + ".mp3", timeout=10).content, 5.0)
        assert client.recordings(sid).delete() is True
        assert s3_server.keys(bucket) == []
    finally:
        server.stop()
        app_database.dispose()
