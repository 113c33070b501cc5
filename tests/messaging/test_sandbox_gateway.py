"""The sandbox gateway: accepted and delivered later, magic numbers for every failure kind."""
from pathlib import Path

import pytest

from cpaas.messaging.gateways import CallbackError, CallbackRequest, GatewayRegistry, OutboundSms
from cpaas.messaging.gateways.sandbox import MAGIC_NUMBERS


@pytest.fixture
def sandbox():
    return GatewayRegistry.from_environ({"SMS_GATEWAY_SANDBOX_DELAY": "0.5"}, "http://127.0.0.1:8080").get("sandbox")


def sms(to="+15557654321", body="hello"):
    return OutboundSms(message_ref="SM0123456789abcdef0123456789abcdef", from_="+15551230000", to=to, body=body)


def test_an_ordinary_number_is_accepted_and_reported_delivered_after_the_delay(sandbox):
    result = sandbox.send(sms())
    assert result.accepted and not result.retryable and result.error_code is None
    assert result.provider_id.startswith("sandbox-")
    [scheduled] = result.scheduled_reports
    assert scheduled.delay == 0.5
    report = scheduled.report
    assert (report.message_ref, report.status, report.error_code) == (sms().message_ref, "delivered", None)
    assert report.provider_id == result.provider_id and report.gateway == "sandbox"
    assert report.is_final


@pytest.mark.parametrize("number, code", [("+15005550001", 21211), ("+15005550002", 21612),
                                          ("+15005550004", 21610), ("+15005550009", 21614)])
def test_magic_numbers_rejected_at_send_are_final(sandbox, number, code):
    result = sandbox.send(sms(to=number))
    assert (result.accepted, result.retryable, result.error_code) == (False, False, code)
    assert result.error_message and not result.scheduled_reports


def test_the_busy_magic_number_is_retryable_every_time(sandbox):
    for _ in range(3):
        result = sandbox.send(sms(to="+15005550020"))
        assert (result.accepted, result.retryable, result.error_code) == (False, True, 30001)
    final = result.as_final()
    assert (final.retryable, final.error_code, final.error_message) == (False, 30001, result.error_message)


@pytest.mark.parametrize("number, status, code", [("+15005550010", "undelivered", 30003),
                                                  ("+15005550011", "undelivered", 30005),
                                                  ("+15005550012", "failed", 30007)])
def test_magic_numbers_that_fail_after_sending(sandbox, number, status, code):
    result = sandbox.send(sms(to=number))
    assert result.accepted
    [scheduled] = result.scheduled_reports
    assert (scheduled.report.status, scheduled.report.error_code) == (status, code)


def test_every_magic_number_is_documented():
    text = (Path(__file__).parents[2] / "docs" / "messaging.md").read_text(encoding="utf-8")
    for number in MAGIC_NUMBERS:
        assert number in text


def test_injected_inbound_uses_twilio_names(sandbox):
    inbound = sandbox.parse_inbound(CallbackRequest({"From": "0015557654321", "To": "+15551230000", "Body": "hi"}))
    assert (inbound.from_, inbound.to, inbound.body, inbound.gateway) == ("+15557654321", "+15551230000", "hi",
                                                                          "sandbox")


def test_posted_delivery_report_is_checked(sandbox):
    report = sandbox.parse_delivery_report(CallbackRequest({"ref": "SM1", "status": "undelivered",
                                                            "error_code": "30003"}))
    assert (report.message_ref, report.status, report.error_code) == ("SM1", "undelivered", 30003)
    with pytest.raises(CallbackError):
        sandbox.parse_delivery_report(CallbackRequest({"ref": "SM1", "status": "lost"}))
    with pytest.raises(CallbackError):
        sandbox.parse_delivery_report(CallbackRequest({"status": "sent"}))


def test_callback_token_is_enforced_when_configured():
    registry = GatewayRegistry.from_environ({"SMS_GATEWAY_SANDBOX_CALLBACK_TOKEN": "s3cret-token"},
                                            "http://127.0.0.1:8080")
    sandbox = registry.get("sandbox")
    params = {"From": "+1555", "To": "+1666", "Body": "x"}
    with pytest.raises(CallbackError) as caught:
        sandbox.parse_inbound(CallbackRequest(params))
    assert caught.value.status == 403
    with pytest.raises(CallbackError):
        sandbox.parse_inbound(CallbackRequest({**params, "token": "wrong-token"}))
    assert sandbox.parse_inbound(CallbackRequest({**params, "token": "s3cret-token"})).body == "x"
