"""The storing job in a real `cpaas worker`: local folder and S3 round trips, retries, and a failure that
keeps the file, each announced by a signed recording status callback."""
import pytest
import redis
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from cpaas.config import load_settings
from cpaas.jobs.recordings import enqueue_store
from cpaas.services.recordings import MEDIA_INVALID, STORE_FAILED
from tests.recordings.audio import assert_mp3_lasts, wav_facts
from tests.recordings.rows import processing_recording, wait_for_status
from tests.recordings.s3 import AWS_ENV
from tests.support.app import environ_for_tests, make_app, new_account
from tests.support.live_server import LiveServer
from tests.support.servers import free_port
from tests.support.worker import WorkerProcess

RETRIES = "1 1"


class WorkerStack:
    """A real `cpaas worker` with one storage configuration, on its own Redis database so stacks
    never take each other's jobs."""

    def __init__(self, directory, redis_url, **overrides):
        env = {**AWS_ENV, **environ_for_tests(directory, redis_url, RECORDING_UPLOAD_RETRY_INTERVALS=RETRIES,
                                              **overrides)}
        self.settings = load_settings(env, dotenv=None)
        self.app, self.database = make_app(self.settings)
        self.connection = redis.Redis.from_url(redis_url)
        self.connection.flushdb()
        self.worker = WorkerProcess(env)

    def stop(self) -> str:
        log = self.worker.stop()
        self.database.dispose()
        return log


@pytest.fixture(scope="module")
def engine_env(redis_server):
    """enqueue_store runs in the engine's process (here, this one) and reads the retry intervals."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**AWS_ENV, "RECORDING_UPLOAD_RETRY_INTERVALS": RETRIES}.items():
            patch.setenv(key, value)
        yield redis_server.url.rsplit("/", 1)[0]


# Starting and stopping a worker costs seconds: the tests of one configuration share theirs.
@pytest.fixture(scope="module")
def local(engine_env, tmp_path_factory):
    stack = WorkerStack(tmp_path_factory.mktemp("local"), f"{engine_env}/3")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def s3(engine_env, tmp_path_factory, s3_server):
    bucket = s3_server.new_bucket()
    stack = WorkerStack(tmp_path_factory.mktemp("s3"), f"{engine_env}/4", STORAGE_BACKEND="s3", S3_BUCKET=bucket,
                        S3_ENDPOINT_URL=s3_server.url, S3_PREFIX="calls/", S3_REGION="us-east-1")
    stack.bucket = bucket
    yield stack
    stack.stop()


def _callback(webhooks, account, path="/recording-status"):
    got = webhooks.wait_for(path, timeout=20)[0]
    assert RequestValidator(account.token).validate(got.url, got.form, got.headers["X-Twilio-Signature"])
    return got.form


def test_local_backend_keeps_the_file_under_its_key_with_an_mp3(local, webhooks):
    settings, database = local.settings, local.database
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 3.0, callback=webhooks.reply("/recording-status"))
    original = (settings.recordings_dir / f"{sid}.wav").read_bytes()
    enqueue_store(local.connection, settings, sid)

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


def test_s3_backend_uploads_confirms_then_removes_the_local_file(s3, webhooks, s3_server, tmp_path):
    settings, database, bucket = s3.settings, s3.database, s3.bucket
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 2.0, callback=webhooks.reply("/recording-status"))
    local = settings.recordings_dir / f"{sid}.wav"
    original = local.read_bytes()
    enqueue_store(s3.connection, settings, sid)

    recording = wait_for_status(database, sid, ("completed", "failed"))
    assert recording.status == "completed" and recording.local_path is None
    keys = [f"calls/{account.sid}/{sid}.mp3", f"calls/{account.sid}/{sid}.wav"]
    assert [key for key in s3_server.keys(bucket) if sid in key] == keys
    assert s3_server.read(bucket, keys[1]) == original
    facts = wav_facts(s3_server.read(bucket, keys[1]), tmp_path)
    assert (facts.rate, facts.channels, facts.width, facts.seconds) == (8000, 1, 2, 2.0)
    assert_mp3_lasts(s3_server.read(bucket, keys[0]), 2.0)
    assert not local.exists() and not local.with_suffix(".mp3").exists()
    assert _callback(webhooks, account)["RecordingStatus"] == "completed"


def test_s3_down_retries_then_fails_with_an_error_code_and_keeps_the_file(engine_env, webhooks, tmp_path):
    stack = WorkerStack(tmp_path, f"{engine_env}/5", STORAGE_BACKEND="s3", S3_BUCKET="recordings",
                        S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", S3_REGION="us-east-1")
    try:
        settings, database = stack.settings, stack.database
        account = new_account(database)
        sid = processing_recording(database, settings, account.sid, 1.0,
                                   callback=webhooks.reply("/recording-status"), events="in-progress completed absent")
        local = settings.recordings_dir / f"{sid}.wav"
        original = local.read_bytes()
        enqueue_store(stack.connection, settings, sid)

        recording = wait_for_status(database, sid, ("completed", "failed"), timeout=30)
        assert (recording.status, recording.error_code) == ("failed", STORE_FAILED)
        assert recording.local_path == str(local) and local.read_bytes() == original
        assert not local.with_suffix(".mp3").exists(), "the temporary MP3 is cleaned up"
        form = _callback(webhooks, account)
        assert (form["RecordingStatus"], form["ErrorCode"], form["RecordingSid"]) == ("failed", str(STORE_FAILED),
                                                                                       sid)
    finally:
        log = stack.stop()
    assert log.count("will retry") == 2, log[-3000:]
    assert "storing failed for good" in log


def test_a_file_that_is_not_audio_fails_at_once(local, webhooks):
    settings, database = local.settings, local.database
    account = new_account(database)
    sid = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/recording-status"))
    (settings.recordings_dir / f"{sid}.wav").write_bytes(b"not a wave file")
    job = enqueue_store(local.connection, settings, sid)
    recording = wait_for_status(database, sid, ("completed", "failed"))
    assert (recording.status, recording.error_code) == ("failed", MEDIA_INVALID)
    assert (settings.recordings_dir / f"{sid}.wav").exists()
    assert _callback(webhooks, account)["ErrorCode"] == str(MEDIA_INVALID)
    job.refresh()
    assert (job.get_status(), job.retries_left) == ("finished", 2), "no retry for what can never succeed"


def test_no_callback_unless_the_app_asked_for_it(local, webhooks):
    settings, database = local.settings, local.database
    account = new_account(database)
    quiet = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/quiet"),
                                 events="in-progress absent")
    loud = processing_recording(database, settings, account.sid, 1.0, callback=webhooks.reply("/loud"))
    enqueue_store(local.connection, settings, quiet)
    enqueue_store(local.connection, settings, loud)
    wait_for_status(database, quiet, ("completed",))
    assert webhooks.wait_for("/loud")[0].form["RecordingSid"] == loud
    assert webhooks.received("/quiet") == []


def test_sdk_round_trip_with_the_worker_storing_to_s3(s3, s3_server, tmp_path):
    """The whole path: engine's WAV -> worker -> S3 -> SDK fetch -> WAV and MP3 downloads -> delete."""
    server = LiveServer(s3.app)
    try:
        account = new_account(s3.database)
        client = Client(account.sid, account.token)
        client.api.base_url = server.url
        sid = processing_recording(s3.database, s3.settings, account.sid, 5.0)
        enqueue_store(s3.connection, s3.settings, sid)
        wait_for_status(s3.database, sid, ("completed", "failed"))
        assert client.recordings(sid).fetch().status == "completed"
        assert len([key for key in s3_server.keys(s3.bucket) if sid in key]) == 2
        media = f"{server.url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}"
        facts = wav_facts(requests.get(media + ".wav", timeout=10).content, tmp_path)
        assert (facts.rate, facts.seconds) == (8000, 5.0)
        assert_mp3_lasts(requests.get(media + ".mp3", timeout=10).content, 5.0)
        assert client.recordings(sid).delete() is True
        assert [key for key in s3_server.keys(s3.bucket) if sid in key] == []
    finally:
        server.stop()
