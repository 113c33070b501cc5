"""Routing plus per-gateway throughput on a real Redis and a real loopback provider."""
import time

import pytest
import redis

from cpaas.messaging.config import load_messaging_config
from cpaas.messaging.gateways import GatewayRegistry, OutboundSms, UnknownGateway
from cpaas.messaging.ratelimit import GatewayThroughput
from cpaas.messaging.sender import Deferred, SmsSender


def sms(n, from_="+15551230000", account=None):
    return OutboundSms(message_ref=f"SM{n:032x}", from_=from_, to="+15557654321", body=f"message {n}",
                       account_sid=account)


@pytest.fixture
def env(recorder):
    return {"SMS_GATEWAYS": "sandbox acme", "SMS_GATEWAY_ACME_TYPE": "http",
            "SMS_GATEWAY_ACME_URL": recorder.url + "/send", "SMS_GATEWAY_ACME_RATE": "5",
            "SMS_GATEWAY_ACME_ACCOUNTS": "AC1"}


@pytest.fixture
def client(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def test_routes_by_account_and_paces_to_the_gateway_rate(env, recorder, client):
    config = load_messaging_config(env)
    sender = SmsSender(GatewayRegistry(config, "http://127.0.0.1:8080"), GatewayThroughput(client, config))
    started = time.monotonic()
    results = [sender.send(sms(n, account="AC1")) for n in range(8)]
    elapsed = time.monotonic() - started
    assert all(r.accepted for r in results)
    assert len(recorder.requests) == 8
    assert 0.9 < elapsed < 3.0  # 5/second: the sixth to eighth waited for the next second's slots
    arrivals = [r for r in recorder.requests]
    assert [r.json["reference"] for r in arrivals] == [f"SM{n:032x}" for n in range(8)]


def test_unlimited_gateway_is_not_paced(env, client):
    config = load_messaging_config(env)
    sender = SmsSender(GatewayRegistry(config, "http://127.0.0.1:8080"), GatewayThroughput(client, config))
    started = time.monotonic()
    results = [sender.send(sms(n)) for n in range(50)]
    assert all(r.accepted for r in results) and time.monotonic() - started < 5.0  # paced would take 10 s
    assert {r.scheduled_reports[0].report.gateway for r in results} == {"sandbox"}


def test_a_long_wait_is_deferred_with_the_slot_kept(env, recorder, client):
    config = load_messaging_config(env)
    slept = []
    now = time.time()  # frozen: the slots are arithmetic, not a race with five real HTTP posts
    sender = SmsSender(GatewayRegistry(config, "http://127.0.0.1:8080"),
                       GatewayThroughput(client, config, clock=lambda: now), max_wait=0.5, sleep=slept.append)
    outcomes = [sender.send(sms(n), gateway="acme") for n in range(11)]
    assert all(o.accepted for o in outcomes[:5])
    assert all(isinstance(o, Deferred) and o.gateway == "acme" for o in outcomes[5:])
    assert [round(o.delay) for o in outcomes[5:]] == [1, 1, 1, 1, 1, 2]
    assert len(recorder.requests) == 5 and slept == []
    # Re-run when the slot comes: it was booked already, so it is sent without another reservation.
    assert sender.send(sms(5), gateway="acme", slot_booked=True).accepted
    assert len(recorder.requests) == 6


def test_unknown_gateway_names_are_refused(env):
    registry = GatewayRegistry(load_messaging_config(env), "http://127.0.0.1:8080")
    with pytest.raises(UnknownGateway):
        registry.get("nope")
    with pytest.raises(UnknownGateway):
        registry.get("acme", "kannel")  # a callback URL for the wrong type
    assert registry.get("acme", "http").name == "acme"
    assert registry.names == ("sandbox", "acme")
    assert registry.for_sender("+15550000000", "AC1").name == "acme"
    assert registry.for_sender("+15550000000", "AC2").name == "sandbox"
