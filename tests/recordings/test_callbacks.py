"""Which recording status callbacks an app gets (RecordingStatusCallbackEvent) and what they carry."""
import redis
from rq import Queue

from cpaas.models import Recording
from cpaas.services.recordings import ABSENT_SILENT, STORE_FAILED, notify_status, status_callback_request
from tests.recordings.rows import processing_recording
from tests.support.app import make_app, new_account, settings_for_tests


def _recording(status, events="completed", **fields):
    return Recording(sid="RE" + "1" * 32, account_sid="AC" + "2" * 32, call_sid="CA" + "3" * 32,
                     source="DialVerb", status=status, duration=7, channels=2, status_callback="http://app/rec",
                     status_callback_method="get", status_callback_events=events, **fields)


class _Account:
    auth_token = "token"


def test_each_status_goes_out_only_when_its_event_was_asked_for(tmp_path, redis_url):
    settings = settings_for_tests(tmp_path, redis_url)
    asked = "in-progress completed absent"
    for status, events, sent in [("in-progress", asked, True), ("in-progress", "completed", False),
                                 ("completed", "completed", True), ("failed", "completed", True),
                                 ("failed", "in-progress", False), ("absent", asked, True),
                                 ("absent", "completed", False), ("processing", asked, False),
                                 ("completed", "in-progress,completed", True)]:
        request = status_callback_request(settings, _Account(), _recording(status, events))
        assert (request is not None) == sent, (status, events)


def test_a_failed_callback_carries_the_error_code_and_twilios_names(tmp_path, redis_url):
    settings = settings_for_tests(tmp_path, redis_url, PUBLIC_BASE_URL="https://cpaas.example.org")
    request = status_callback_request(settings, _Account(), _recording("failed", error_code=STORE_FAILED,
                                                                         conference_sid="CF" + "4" * 32))
    assert (request.url, request.method, request.auth_token) == ("http://app/rec", "GET", "token")
    assert request.params == {
        "AccountSid": "AC" + "2" * 32, "CallSid": "CA" + "3" * 32, "RecordingSid": "RE" + "1" * 32,
        "RecordingUrl": f"https://cpaas.example.org/2010-04-01/Accounts/{'AC' + '2' * 32}/Recordings/{'RE' + '1' * 32}",
        "RecordingStatus": "failed", "RecordingChannels": "2", "RecordingSource": "DialVerb",
        "RecordingDuration": "7", "ConferenceSid": "CF" + "4" * 32, "ErrorCode": str(STORE_FAILED)}


def test_notify_status_queues_the_callback_signed_with_the_accounts_token(tmp_path, redis_url):
    settings = settings_for_tests(tmp_path, redis_url)
    _, database = make_app(settings)
    account = new_account(database)
    connection = redis.Redis.from_url(redis_url)
    sid = processing_recording(database, settings, account.sid, 1.0, callback="http://127.0.0.1:9/rec",
                               events="in-progress completed")
    with database.session() as session:
        recording = session.get(Recording, sid)
        recording.status = "in-progress"
        job = notify_status(connection, settings, session, recording)
        recording.status_callback_events = "completed"
        assert notify_status(connection, settings, session, recording) is None
    assert [j.id for j in Queue("webhooks", connection=connection).jobs] == [job.id]
    payload = job.args[0]
    assert payload["auth_token"] == account.token and payload["params"]["RecordingStatus"] == "in-progress"
    assert payload["purpose"] == "recording-status-callback" and payload["resource_sid"] == sid
    database.dispose()


def test_an_absent_recording_says_why(tmp_path, redis_url):
    settings = settings_for_tests(tmp_path, redis_url)
    request = status_callback_request(settings, _Account(), _recording("absent", "absent", error_code=ABSENT_SILENT))
    assert (request.params["RecordingStatus"], request.params["ErrorCode"]) == ("absent", "16102")
