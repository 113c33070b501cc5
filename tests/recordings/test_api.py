"""The Twilio Recordings resource driven by the official SDK; media downloaded as WAV and MP3."""
from datetime import datetime, timezone

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from cpaas.models import new_sid
from cpaas.services.recordings import MEDIA_INVALID, STORE_FAILED
from tests.recordings.audio import assert_mp3_lasts, wav_facts

RECORDING_KEYS = {"account_sid", "api_version", "call_sid", "conference_sid", "date_created", "date_updated",
                  "start_time", "duration", "sid", "price", "price_unit", "status", "channels", "source",
                  "error_code", "uri", "encryption_details", "subresource_uris", "media_url", "track"}


def _download(url: str, tmp_path, seconds: float, **kwargs):
    """GET the media without credentials and check it is audio of the right length."""
    response = requests.get(url, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    if url.endswith(".mp3"):
        assert response.headers["Content-Type"] == "audio/mpeg"
        assert_mp3_lasts(response.content, seconds)
    else:
        assert response.headers["Content-Type"] in ("audio/x-wav", "audio/wav")
        facts = wav_facts(response.content, tmp_path)
        assert (facts.rate, facts.channels, facts.width, facts.seconds) == (8000, 1, 2, seconds)
    return response


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_round_trip_download_as_wav_and_mp3_then_delete(api, backend, tmp_path):
    stack = api(backend)
    account = stack.account()
    client = stack.client(account)
    call_sid = new_sid("CA")
    sid = stack.recording(account, 4.0, call_sid=call_sid)

    # Served from the engine's file while the job has not run yet.
    assert client.recordings(sid).fetch().status == "processing"
    _download(stack.media(account.sid, sid, ".wav"), tmp_path, 4.0)
    _download(stack.media(account.sid, sid, ".mp3"), tmp_path, 4.0)

    assert stack.store(sid)["status"] == "completed"
    assert stack.stored_keys() == [f"{account.sid}/{sid}.mp3", f"{account.sid}/{sid}.wav"]
    fetched = client.recordings(sid).fetch()
    assert (fetched.status, fetched.duration, fetched.channels, fetched.call_sid) == ("completed", "4", 1, call_sid)
    assert [r.sid for r in client.calls(call_sid).recordings.list()] == [sid]
    assert client.calls(call_sid).recordings(sid).fetch().sid == sid
    _download(stack.media(account.sid, sid, ".wav"), tmp_path, 4.0)
    _download(stack.media(account.sid, sid, ".mp3"), tmp_path, 4.0)
    _download(stack.media(account.sid, sid, ""), tmp_path, 4.0)  # RecordingUrl as handed out: the WAV

    assert client.recordings(sid).delete() is True
    assert stack.stored_keys() == []
    with pytest.raises(TwilioRestException) as missing:
        client.recordings(sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert requests.get(stack.media(account.sid, sid, ".mp3"), timeout=10).status_code == 404
    assert client.recordings.list() == []
    assert [r.status for r in client.recordings.list(include_soft_deleted=True)] == ["deleted"]


def test_s3_media_can_redirect_to_a_short_lived_presigned_url(api, monkeypatch, tmp_path):
    monkeypatch.setenv("RECORDING_MEDIA_REDIRECT", "true")
    monkeypatch.setenv("RECORDING_URL_EXPIRES", "60")
    stack = api("s3")
    account = stack.account()
    sid = stack.recording(account, 2.0)
    stack.store(sid)
    response = requests.get(stack.media(account.sid, sid, ".mp3"), allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{stack.s3.url}/{stack.bucket}/recordings/{account.sid}/{sid}.mp3?")
    assert "Expires=60" in location or "X-Amz-Expires=60" in location
    _download(stack.media(account.sid, sid, ".mp3"), tmp_path, 2.0)  # following it gets the audio


def test_recording_json_is_twilios_shape(api):
    stack = api()
    account = stack.account()
    sid = stack.recording(account, 3.0)
    stack.store(sid)
    body = requests.get(f"{stack.url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}.json",
                        auth=account.auth, timeout=10).json()
    assert set(body) == RECORDING_KEYS
    assert body["sid"] == sid and body["account_sid"] == account.sid and body["api_version"] == "2010-04-01"
    assert (body["duration"], body["channels"], body["source"], body["status"]) == ("3", 1, "RecordVerb",
                                                                                   "completed")
    assert body["start_time"] == "Mon, 23 Nov 2026 08:00:05 +0000"
    assert body["date_created"].endswith("+0000") and body["error_code"] is None
    assert body["uri"] == f"/2010-04-01/Accounts/{account.sid}/Recordings/{sid}.json"
    assert body["media_url"] == f"{stack.settings.public_base_url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}"
    account_body = requests.get(f"{stack.url}/2010-04-01/Accounts/{account.sid}.json", auth=account.auth,
                                timeout=10).json()
    assert account_body["subresource_uris"]["recordings"] == f"/2010-04-01/Accounts/{account.sid}/Recordings.json"


def test_another_account_sees_nothing(api):
    stack = api()
    owner, stranger = stack.account("Owner"), stack.account("Stranger")
    call_sid = new_sid("CA")
    sid = stack.recording(owner, 1.0, call_sid=call_sid)
    client = stack.client(stranger)
    with pytest.raises(TwilioRestException) as fetch:
        client.recordings(sid).fetch()
    assert fetch.value.status == 404
    with pytest.raises(TwilioRestException) as delete:
        client.recordings(sid).delete()
    assert delete.value.status == 404
    assert client.recordings.list() == [] and client.calls(call_sid).recordings.list() == []
    # The stranger's credentials on the owner's URL, and the owner's recording under the stranger's path.
    response = requests.get(f"{stack.url}/2010-04-01/Accounts/{owner.sid}/Recordings/{sid}.json",
                            auth=stranger.auth, timeout=10)
    assert response.status_code == 404
    assert requests.get(stack.media(stranger.sid, sid, ".wav"), timeout=10).status_code == 404
    assert stack.client(owner).recordings(sid).fetch().status == "processing"


def test_json_needs_credentials_media_does_not(api):
    stack = api()
    account = stack.account()
    sid = stack.recording(account, 1.0)
    response = requests.get(f"{stack.url}/2010-04-01/Accounts/{account.sid}/Recordings/{sid}.json", timeout=10)
    assert (response.status_code, response.json()["code"]) == (401, 20003)
    assert requests.get(f"{stack.url}/2010-04-01/Accounts/{account.sid}/Recordings.json",
                        timeout=10).status_code == 401
    assert requests.get(stack.media(account.sid, sid, ".wav"), timeout=10).status_code == 200
    assert requests.get(stack.media(account.sid, "RE" + "0" * 32, ".wav"), timeout=10).status_code == 404


def test_lists_filter_and_page(api):
    stack = api()
    account = stack.account()
    client = stack.client(account)
    first_call, second_call = new_sid("CA"), new_sid("CA")
    on_first = [stack.recording(account, 1.0, call_sid=first_call) for _ in range(3)]
    on_second = stack.recording(account, 1.0, call_sid=second_call)

    assert sorted(r.sid for r in client.calls(first_call).recordings.list()) == sorted(on_first)
    assert [r.sid for r in client.recordings.list(call_sid=second_call)] == [on_second]
    paged = list(client.recordings.stream(page_size=2))
    assert sorted(r.sid for r in paged) == sorted(on_first + [on_second])
    first_page = client.recordings.page(page_size=2)
    second_page = first_page.next_page()
    assert len(list(first_page)) == 2 and len(list(second_page)) == 2 and second_page.next_page() is None

    bad = requests.get(f"{stack.url}/2010-04-01/Accounts/{account.sid}/Recordings.json?DateCreated=yesterday",
                       auth=account.auth, timeout=10)
    assert (bad.status_code, bad.json()["code"]) == (400, 20001)


def test_date_filters_take_days_and_instants_inclusively(api):
    stack = api()
    account = stack.account()
    client = stack.client(account)
    at = {name: datetime(2026, 11, day, hour, 30, 15, 500000, tzinfo=timezone.utc)
          for name, day, hour in (("monday", 16, 9), ("tuesday_early", 17, 1), ("tuesday_late", 17, 23),
                                  ("friday", 20, 12))}
    sids = {name: stack.recording(account, 1.0, date_created=moment) for name, moment in at.items()}

    def listed(**filters):
        return {name for name, sid in sids.items() if sid in {r.sid for r in client.recordings.list(**filters)}}

    tuesday = datetime(2026, 11, 17, tzinfo=timezone.utc)  # a date arrives as its midnight
    assert listed(date_created=tuesday) == {"tuesday_early", "tuesday_late"}
    assert listed(date_created_before=tuesday) == {"monday", "tuesday_early", "tuesday_late"}
    assert listed(date_created_after=tuesday) == {"tuesday_early", "tuesday_late", "friday"}
    # An instant counts to the second: 01:30:15 includes the recording made at 01:30:15.5.
    assert listed(date_created_before=at["tuesday_early"].replace(microsecond=0)) == {"monday", "tuesday_early"}
    assert listed(date_created_after=at["tuesday_late"].replace(microsecond=0)) == {"tuesday_late", "friday"}
    assert listed(date_created_after=tuesday, date_created_before=at["tuesday_early"]) == {"tuesday_early"}
    plain = requests.get(f"{stack.url}/2010-04-01/Accounts/{account.sid}/Recordings.json?DateCreated=2026-11-20",
                         auth=account.auth, timeout=10).json()
    assert [r["sid"] for r in plain["recordings"]] == [sids["friday"]]


def test_a_failed_recording_keeps_serving_its_wav(api, tmp_path):
    stack = api("s3", S3_ENDPOINT_URL="http://127.0.0.1:9")  # nothing listens on the discard port
    account = stack.account()
    sid = stack.recording(account, 2.0)
    outcome = stack.store(sid)  # outside RQ there are no retries left: the first failure is final
    assert outcome == {"status": "failed", "error_code": STORE_FAILED}
    fetched = stack.client(account).recordings(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", STORE_FAILED)
    _download(stack.media(account.sid, sid, ".wav"), tmp_path, 2.0)
    _download(stack.media(account.sid, sid, ".mp3"), tmp_path, 2.0)


def test_storage_down_answers_503_and_deletes_nothing(api, tmp_path):
    stack = api("s3")
    account = stack.account()
    sid = stack.recording(account, 1.0)
    stack.store(sid)
    # A second API process on the same database whose S3 endpoint is unreachable.
    outage = api("s3", S3_BUCKET=stack.bucket, S3_ENDPOINT_URL="http://127.0.0.1:9")
    response = requests.get(outage.media(account.sid, sid, ".wav"), timeout=30)
    assert (response.status_code, response.json()["code"]) == (503, 20503)
    with pytest.raises(TwilioRestException) as delete:
        outage.client(account).recordings(sid).delete()
    assert delete.value.status == 503
    assert stack.client(account).recordings(sid).fetch().status == "completed"
    assert stack.stored_keys() == [f"{account.sid}/{sid}.mp3", f"{account.sid}/{sid}.wav"]


def test_deleting_while_processing_removes_the_file_and_the_job_stores_nothing(api):
    stack = api("s3")
    account = stack.account()
    sid = stack.recording(account, 1.0)
    local = stack.settings.recordings_dir / f"{sid}.wav"
    assert stack.client(account).recordings(sid).delete() is True
    assert not local.exists()
    assert stack.store(sid) == {"status": "deleted"}
    assert stack.stored_keys() == []


def test_a_delete_that_lands_during_the_upload_wins(api):
    from cpaas.models import Recording
    from cpaas.services.recordings import store_media
    from cpaas.storage import storage_for

    stack = api("s3")
    account = stack.account()
    sid = stack.recording(account, 1.0)
    with stack.database.session() as session:
        recording = session.get(Recording, sid)  # the job has read the row ...
        with stack.database.session() as api_session:  # ... when the API marks it deleted
            api_session.get(Recording, sid).status = "deleted"
        assert store_media(session, storage_for(stack.settings), recording) is False
    assert stack.stored_keys() == []
    with stack.database.session() as session:
        assert session.get(Recording, sid).status == "deleted"


def test_uploads_that_failed_for_want_of_storage_can_be_queued_again(api, redis_url, tmp_path):
    import redis
    from rq import Queue

    from cpaas.jobs.recordings import retry_failed_uploads

    stack = api("s3")
    account = stack.account()
    outage = api("s3", S3_BUCKET=stack.bucket, S3_ENDPOINT_URL="http://127.0.0.1:9")
    lost_storage = outage.recording(account, 2.0)
    unusable = outage.recording(account, 1.0)
    (outage.settings.recordings_dir / f"{unusable}.wav").write_bytes(b"not audio")
    assert outage.store(lost_storage)["error_code"] == STORE_FAILED
    assert outage.store(unusable)["error_code"] == MEDIA_INVALID

    connection = redis.Redis.from_url(redis_url)
    assert retry_failed_uploads(stack.database, connection, stack.settings) == [lost_storage]
    assert [job.args for job in Queue("recordings", connection=connection).jobs] == [(lost_storage,)]
    assert stack.store(lost_storage)["status"] == "completed"  # what the worker runs
    assert stack.stored_keys() == [f"{account.sid}/{lost_storage}.mp3", f"{account.sid}/{lost_storage}.wav"]
    _download(stack.media(account.sid, lost_storage, ".mp3"), tmp_path, 2.0)
    assert stack.client(account).recordings(unusable).fetch().status == "failed"


def test_an_unexpected_error_on_the_last_attempt_still_ends_failed(api, redis_url):
    """RQ's failure callback covers what the job itself cannot catch (a bug, a lost database, a time-out)."""
    import redis

    from cpaas.jobs import context
    from cpaas.jobs.context import JobContext
    from cpaas.jobs.recordings import enqueue_store, on_store_failure

    stack = api()
    account = stack.account()
    sid = stack.recording(account, 1.0)
    connection = redis.Redis.from_url(redis_url)
    job = enqueue_store(connection, stack.settings, sid)
    error = RuntimeError("database went away")
    context.use(JobContext(stack.settings))
    try:
        job.retries_left = 2
        on_store_failure(job, connection, RuntimeError, error, None)
        assert stack.client(account).recordings(sid).fetch().status == "processing"  # RQ will try again
        job.retries_left = 0
        on_store_failure(job, connection, RuntimeError, error, None)
    finally:
        context.use(None)
    fetched = stack.client(account).recordings(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", STORE_FAILED)
    assert (stack.settings.recordings_dir / f"{sid}.wav").is_file()


def test_a_disk_that_cannot_take_the_mp3_is_a_storage_failure(api):
    stack = api()
    account = stack.account()
    sid = stack.recording(account, 1.0)
    (stack.settings.recordings_dir / f"{sid}.mp3").mkdir()  # where the temporary MP3 would go
    assert stack.store(sid) == {"status": "failed", "error_code": STORE_FAILED}
    assert (stack.settings.recordings_dir / f"{sid}.wav").is_file()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_players_can_seek_with_range_requests(api, backend):
    stack = api(backend)
    account = stack.account()
    sid = stack.recording(account, 2.0)
    stack.store(sid)
    url = stack.media(account.sid, sid, ".wav")
    whole = requests.get(url, timeout=10).content
    part = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == whole[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"


def test_media_stays_available_while_the_job_moves_the_file(api):
    """Requests racing the storing job (it renames the engine's file into storage) all get the audio."""
    import threading

    stack = api()
    account = stack.account()
    failures = []
    for _ in range(15):
        sid = stack.recording(account, 0.5)
        url = stack.media(account.sid, sid, ".mp3")
        storing = threading.Thread(target=stack.store, args=(sid,))
        storing.start()
        while True:  # at least one request after the job, and as many as fit while it runs
            done = not storing.is_alive()
            response = requests.get(url, timeout=10)
            if response.status_code != 200:
                failures.append((sid, response.status_code))
            if done:
                break
        storing.join(10)
    assert failures == []


def test_a_conferences_recordings(api):
    stack = api()
    account = stack.account()
    client = stack.client(account)
    conference_sid, other_conference = new_sid("CF"), new_sid("CF")
    recorded = stack.recording(account, 1.0, conference_sid=conference_sid, source="Conference")
    stack.recording(account, 1.0, conference_sid=other_conference, source="Conference")
    stack.recording(account, 1.0)

    listed = client.conferences(conference_sid).recordings.list()
    assert [(r.sid, r.conference_sid, r.source) for r in listed] == [(recorded, conference_sid, "Conference")]
    assert [r.sid for r in client.recordings.list(conference_sid=conference_sid)] == [recorded]
    assert client.conferences(conference_sid).recordings(recorded).fetch().sid == recorded
    with pytest.raises(TwilioRestException) as elsewhere:
        client.conferences(other_conference).recordings(recorded).fetch()
    assert elsewhere.value.status == 404
    assert client.conferences(conference_sid).recordings(recorded).delete() is True
    assert client.conferences(conference_sid).recordings.list() == []
    assert not (stack.settings.recordings_dir / f"{recorded}.wav").exists()
