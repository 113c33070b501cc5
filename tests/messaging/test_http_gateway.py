"""The generic HTTP gateway against a real loopback provider: field mapping, auth, ids, error classes."""
import socket
import threading

import pytest

from cpaas.messaging.gateways import CallbackError, CallbackRequest, GatewayRegistry, OutboundSms
from tests.messaging.recorder import Reply
from tests.support.servers import free_port

SMS = OutboundSms(message_ref="SMabc123", from_="+15551230000", to="+15557654321", body="Hello €", account_sid="AC1")


def gateway(url, **extra):
    env = {"SMS_GATEWAYS": "acme", "SMS_GATEWAY_ACME_TYPE": "http", "SMS_GATEWAY_ACME_URL": url,
           "SMS_GATEWAY_ACME_TIMEOUT": "1", **{f"SMS_GATEWAY_ACME_{k}": v for k, v in extra.items()}}
    return GatewayRegistry.from_environ(env, "https://cpaas.example.org").get("acme", "http")


def test_json_send_with_mapped_fields_auth_header_and_provider_id(recorder):
    recorder.respond = lambda r: Reply(201, {"messages": [{"id": "prov-42", "status": "queued"}]})
    acme = gateway(recorder.url + "/v1/sms", FIELDS="to=msisdn, from=sender, body=text, ref=client_ref, "
                   "dlr_url=callback, segments=parts", STATIC_FIELDS="channel=sms",
                   AUTH_HEADER="Authorization: Bearer t0k", ID_FIELD="messages.0.id", CALLBACK_TOKEN="cb-token-123")
    result = acme.send(SMS)
    assert (result.accepted, result.provider_id) == (True, "prov-42")
    [request] = recorder.requests
    assert (request.method, request.path) == ("POST", "/v1/sms")
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.json == {"msisdn": "+15557654321", "sender": "+15551230000", "text": "Hello €",
                            "client_ref": "SMabc123", "parts": 1, "channel": "sms",
                            "callback": "https://cpaas.example.org/sms/http/acme/dlr?ref=SMabc123&token=cb-token-123"}


def test_media_and_validity_are_sent_only_when_mapped_and_present(recorder):
    acme = gateway(recorder.url, FIELDS="to=to, body=text, media=media_urls, validity=ttl")
    with_media = OutboundSms("SM1", "+1555", "+1666", "pic", media_urls=("https://x.test/a.jpg",), validity_period=600)
    assert acme.send(with_media).accepted and acme.send(SMS).accepted
    assert recorder.requests[0].json == {"to": "+1666", "text": "pic", "media_urls": ["https://x.test/a.jpg"],
                                         "ttl": 600}
    assert recorder.requests[1].json == {"to": "+15557654321", "text": "Hello €"}


def test_form_post_with_basic_auth_and_default_fields(recorder):
    recorder.respond = lambda r: Reply(200, {"id": 7})
    acme = gateway(recorder.url + "/send", FORMAT="form", USERNAME="user", PASSWORD="pw")
    result = acme.send(SMS)
    assert (result.accepted, result.provider_id) == (True, "7")
    [request] = recorder.requests
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.params["to"] == "+15557654321" and request.params["body"] == "Hello €"
    assert request.params["reference"] == "SMabc123"


def test_get_method_sends_query_parameters_and_a_non_json_answer_has_no_id(recorder):
    recorder.respond = lambda r: Reply(200, "OK queued")
    result = gateway(recorder.url + "/api", METHOD="get").send(SMS)
    assert (result.accepted, result.provider_id) == (True, None)
    assert recorder.requests[0].method == "GET" and recorder.requests[0].params["from"] == "+15551230000"


@pytest.mark.parametrize("status, retryable, code", [(500, True, 30008), (502, True, 30008), (503, True, 30001),
                                                     (429, True, 30001), (400, False, 30008), (401, False, 30008),
                                                     (404, False, 30008), (422, False, 30008)])
def test_http_errors_are_classified(recorder, status, retryable, code):
    recorder.respond = lambda r: Reply(status, "provider says no")
    result = gateway(recorder.url).send(SMS)
    assert (result.accepted, result.retryable, result.error_code) == (False, retryable, code)
    assert str(status) in result.error_message and "provider says no" in result.error_message


def test_connection_refused_is_retryable():
    result = gateway(f"http://127.0.0.1:{free_port()}/sms").send(SMS)
    assert (result.accepted, result.retryable, result.error_code) == (False, True, 30008)
    assert "unreachable" in result.error_message


def test_a_provider_that_never_answers_times_out_retryably():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []
    stop = threading.Event()

    def hold_connections():  # accept and say nothing
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=hold_connections, daemon=True)
    thread.start()
    try:
        result = gateway(f"http://127.0.0.1:{listener.getsockname()[1]}/sms").send(SMS)
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()
    assert (result.accepted, result.retryable, result.error_code) == (False, True, 30008)
    assert "did not answer" in result.error_message


def test_delivery_report_from_json_with_status_table(recorder):
    acme = gateway(recorder.url, DLR_FIELDS="ref=data.client_ref, status=data.state, error_code=data.err, id=data.id",
                   DLR_STATUSES="OK=delivered")
    report = acme.parse_delivery_report(CallbackRequest({}, json={"data": {"client_ref": "SM9", "state": "DELIVRD",
                                                                           "id": "p1"}}))
    assert (report.message_ref, report.status, report.error_code, report.provider_id) == ("SM9", "delivered", None,
                                                                                          "p1")
    custom = acme.parse_delivery_report(CallbackRequest({}, json={"data": {"client_ref": "SM9", "state": "OK"}}))
    assert custom.status == "delivered"
    failed = acme.parse_delivery_report(CallbackRequest({}, json={"data": {"client_ref": "SM9", "state": "REJECTD",
                                                                           "err": "30007"}}))
    assert (failed.status, failed.error_code) == ("failed", 30007)
    undelivered = acme.parse_delivery_report(CallbackRequest({}, json={"data": {"client_ref": "SM9",
                                                                                "state": "expired"}}))
    assert (undelivered.status, undelivered.error_code) == ("undelivered", 30003)


def test_delivery_report_falls_back_to_our_ref_in_the_callback_url():
    acme = gateway("http://127.0.0.1:9/x")
    report = acme.parse_delivery_report(CallbackRequest({"ref": "SM5", "status": "sent"}))
    assert (report.message_ref, report.status) == ("SM5", "sent")
    with pytest.raises(CallbackError):
        acme.parse_delivery_report(CallbackRequest({"ref": "SM5", "status": "teleported"}))
    with pytest.raises(CallbackError):
        acme.parse_delivery_report(CallbackRequest({"status": "sent"}))


def test_inbound_from_form_fields():
    acme = gateway("http://127.0.0.1:9/x", INBOUND_FIELDS="from=msisdn, to=shortcode, body=message, id=mid")
    inbound = acme.parse_inbound(CallbackRequest({"msisdn": "0044207123", "shortcode": "+15551230000",
                                                  "message": "STOP", "mid": "m-1"}))
    assert (inbound.from_, inbound.to, inbound.body, inbound.provider_id) == ("+44207123", "+15551230000", "STOP",
                                                                              "m-1")
    with pytest.raises(CallbackError):
        acme.parse_inbound(CallbackRequest({"message": "no numbers"}))
