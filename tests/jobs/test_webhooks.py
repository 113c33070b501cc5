"""Webhooks are signed as Twilio signs, retried on timeouts and 5xx, recorded, and kept in order per call."""
import time

import pytest
import redis
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from cpaas.jobs.webhooks import enqueue
from cpaas.models import WebhookAttempt
from cpaas.models.migrate import upgrade
from cpaas.services.webhooks import WebhookRequest, twilio_signature
from tests.support.app import environ_for_tests, make_app, new_account, settings_for_tests
from tests.support.webhook_server import Reply
from tests.support.worker import WorkerProcess


def test_signature_matches_twilios_published_vector():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    assert twilio_signature("https://mycompany.com/myapp.php?foo=1&bar=2", params, "12345") == \
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.fixture
def env(tmp_path, redis_url):
    return environ_for_tests(tmp_path, redis_url)


@pytest.fixture
def worker(env):
    upgrade(env["DATABASE_URL"])
    process = WorkerProcess(env)
    yield process
    process.stop()


@pytest.fixture
def database(tmp_path, redis_url, env):
    _, database = make_app(settings_for_tests(tmp_path, redis_url))
    yield database
    database.dispose()


def _request(url, account, purpose="status-callback", resource="CA" + "1" * 32, method="POST", **params):
    return WebhookRequest(url=url, method=method, params=params, account_sid=account.sid, purpose=purpose,
                          resource_sid=resource, auth_token=account.token)


def _attempts(database, resource):
    with database.session() as session:
        return session.scalars(select(WebhookAttempt).where(WebhookAttempt.resource_sid == resource)
                               .order_by(WebhookAttempt.date_created)).all()


def test_signed_post_is_accepted_by_twilio_validator(webhooks, worker, database, env):
    account = new_account(database)
    url = webhooks.reply("/status")
    enqueue(redis.Redis.from_url(env["REDIS_URL"]), _request(url, account, CallSid="CA1", CallStatus="ringing"), ())
    got = webhooks.wait_for("/status")[0]
    assert got.form == {"CallSid": "CA1", "CallStatus": "ringing"}
    assert RequestValidator(account.token).validate(got.url, got.form, got.headers["X-Twilio-Signature"])


def test_signed_get_and_json_bodies(webhooks, worker, database, env):
    account = new_account(database)
    connection = redis.Redis.from_url(env["REDIS_URL"])
    enqueue(connection, _request(webhooks.reply("/get?x=1"), account, method="GET", Digits="42"), ())
    got = webhooks.wait_for("/get")[0]
    assert got.args == {"x": "1", "Digits": "42"}
    assert RequestValidator(account.token).validate(got.url, {}, got.headers["X-Twilio-Signature"])

    json_request = _request(webhooks.reply("/json"), account, event="answered")
    json_request.json_body = True
    enqueue(connection, json_request, ())
    got = webhooks.wait_for("/json")[0]
    assert got.headers["Content-Type"] == "application/json" and b'"event":"answered"' in got.body
    assert RequestValidator(account.token).validate(got.url, got.body.decode(), got.headers["X-Twilio-Signature"])


def test_5xx_and_timeouts_are_retried_4xx_is_not(webhooks, worker, database, env):
    account = new_account(database)
    connection = redis.Redis.from_url(env["REDIS_URL"])
    flaky = webhooks.reply("/flaky", Reply(status=503), Reply(delay=3), Reply(status=200))
    enqueue(connection, _request(flaky, account, resource="CA" + "a" * 32), (1, 1))
    assert len(webhooks.wait_for("/flaky", count=3, timeout=20)) == 3

    rejecting = webhooks.reply("/rejecting", default=Reply(status=404))
    enqueue(connection, _request(rejecting, account, resource="CA" + "b" * 32), (1, 1))
    webhooks.wait_for("/rejecting")
    time.sleep(2.5)
    assert len(webhooks.received("/rejecting")) == 1

    attempts = _attempts(database, "CA" + "a" * 32)
    deadline = time.monotonic() + 5
    while len(attempts) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        attempts = _attempts(database, "CA" + "a" * 32)
    assert [(a.attempt, a.response_status) for a in attempts] == [(1, 503), (2, None), (3, 200)]
    assert attempts[1].error.startswith("timed out")
    assert [a.response_status for a in _attempts(database, "CA" + "b" * 32)] == [404]


def test_callbacks_for_one_call_arrive_in_order_even_when_one_is_retried(webhooks, worker, database, env):
    account = new_account(database)
    connection = redis.Redis.from_url(env["REDIS_URL"])
    url = webhooks.reply("/ordered", Reply(status=500))  # the first delivery fails once
    for status in ("initiated", "ringing", "in-progress", "completed"):
        enqueue(connection, _request(url, account, CallStatus=status), (1, 1), order_key="CA-order")
    got = webhooks.wait_for("/ordered", count=5, timeout=20)
    assert [r.form["CallStatus"] for r in got] == ["initiated", "initiated", "ringing", "in-progress", "completed"]


def test_redirects_are_followed_as_browsers_do(webhooks):
    from cpaas.services.webhooks import send

    webhooks.reply("/moved", Reply(status=302, headers={"Location": "/landed"}))
    webhooks.reply("/kept", Reply(status=307, headers={"Location": "/landed"}))
    webhooks.reply("/landed", Reply(body="<Response/>"), default=Reply(body="<Response/>"))
    request = WebhookRequest(url=webhooks.url + "/moved", method="POST", params={"CallSid": "CA1"},
                             account_sid="AC1", purpose="voice-url")
    moved = send(request, 2)
    assert (moved.ok, moved.final_url, moved.body) == (True, webhooks.url + "/landed", b"<Response/>")
    assert webhooks.received("/landed")[-1].method == "GET"  # 302 after a POST: a GET, as requests did
    kept = send(WebhookRequest(**{**request.to_dict(), "url": webhooks.url + "/kept"}), 2)
    assert kept.ok and webhooks.received("/landed")[-1].method == "POST"
    assert webhooks.received("/landed")[-1].form["CallSid"] == "CA1"  # 307 repeats the POST with its body


def test_a_dead_or_slow_server_is_a_retryable_failure_that_says_why(webhooks):
    from cpaas.services.webhooks import send
    from tests.support.servers import free_port

    dead = send(WebhookRequest(url=f"http://127.0.0.1:{free_port()}/x", method="POST", params={},
                               account_sid="AC1", purpose="voice-url"), 1)
    assert (dead.ok, dead.retryable, dead.status) == (False, True, None)
    assert dead.error.startswith("connection failed:")
    webhooks.reply("/slow", Reply(delay=1.5))
    slow = send(WebhookRequest(url=webhooks.url + "/slow", method="POST", params={}, account_sid="AC1",
                               purpose="voice-url"), 0.5)
    assert (slow.ok, slow.retryable, slow.error) == (False, True, "timed out after 0.5s")
