"""The Kannel gateway against a real Kannel (bearerbox + smsbox) with fakesmsc as the carrier."""
import pytest

from cpaas.messaging.gateways import CallbackError, CallbackRequest, GatewayRegistry, OutboundSms
from tests.messaging.recorder import RecordingServer
from tests.support.kannel import REJECTED_PREFIX, KannelHarness, kannel_installed
from tests.support.servers import free_port

TOKEN = "kannel-callback-token"
OUR_NUMBER = "+15551230000"
PHONE = "+15557654321"

needs_kannel = pytest.mark.skipif(not kannel_installed(), reason="Kannel is not installed (scripts/setup test)")


def kannel_env(url, **extra):
    return {"SMS_GATEWAYS": "kannel1", "SMS_GATEWAY_KANNEL1_TYPE": "kannel", "SMS_GATEWAY_KANNEL1_URL": url,
            "SMS_GATEWAY_KANNEL1_USERNAME": "cpaas", "SMS_GATEWAY_KANNEL1_PASSWORD": "sendsms-secret",
            "SMS_GATEWAY_KANNEL1_CALLBACK_TOKEN": TOKEN, "SMS_GATEWAY_KANNEL1_TIMEOUT": "2",
            **{f"SMS_GATEWAY_KANNEL1_{k}": v for k, v in extra.items()}}


@pytest.fixture(scope="module")
def callbacks():
    """Our side of Kannel's calls (DLR and get-url), as the API will mount it."""
    server = RecordingServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kannel(callbacks):
    harness = KannelHarness()
    gateway = GatewayRegistry.from_environ(kannel_env(harness.sendsms_url), callbacks.url).get("kannel1", "kannel")
    harness.get_url = gateway.inbound_get_url()
    harness.start()
    yield harness, gateway
    harness.stop()


_refs = iter(range(10**6))


def outbound(body="Hello from the test", to=PHONE, from_=OUR_NUMBER):
    return OutboundSms(message_ref=f"SM{next(_refs):032x}", from_=from_, to=to, body=body)


def statuses_for(gateway, callbacks, ref):
    return sorted(gateway.parse_delivery_report(r).status for r in reports_for(callbacks, ref, 2))


def reports_for(callbacks, ref, count, timeout=10.0):
    requests = callbacks.wait_for(lambda r: r.path == "/sms/kannel/kannel1/dlr" and r.params.get("ref") == ref,
                                  count=count, timeout=timeout)
    return [r.as_callback() for r in requests]


# -- through the real Kannel --------------------------------------------------------------------
@needs_kannel
def test_send_reaches_the_carrier_and_the_delivery_report_maps_back(kannel, callbacks):
    harness, gateway = kannel
    sms = outbound("Hello [world] €uro ~ test")
    result = gateway.send(sms)
    assert (result.accepted, result.error_code) == (True, None), harness.logs()
    carrier = harness.wait_for_carrier_message(lambda m: m.text == sms.body)
    assert (carrier.sender, carrier.receiver, carrier.coding) == (OUR_NUMBER, PHONE, "text")
    # Kannel reports "accepted by the SMSC" (8) and "delivered" (1); smsbox may call us in either order.
    reports = {r.status: r for r in map(gateway.parse_delivery_report, reports_for(callbacks, sms.message_ref, 2))}
    assert sorted(reports) == ["delivered", "sent"]
    final = reports["delivered"]
    assert final.message_ref == sms.message_ref and final.is_final and not reports["sent"].is_final
    assert final.error_code is None and final.gateway == "kannel1" and final.provider_id


@needs_kannel
def test_ucs2_text_goes_out_as_ucs2(kannel, callbacks):
    harness, gateway = kannel
    sms = outbound("Привет 👋 ça va")
    assert gateway.send(sms).accepted
    carrier = harness.wait_for_carrier_message(lambda m: m.coding == "ucs-2" and m.text == sms.body)
    assert (carrier.sender, carrier.receiver) == (OUR_NUMBER, PHONE)
    assert statuses_for(gateway, callbacks, sms.message_ref) == ["delivered", "sent"]


@needs_kannel
def test_long_message_is_concatenated_by_kannel(kannel):
    harness, gateway = kannel
    body = "".join(f"part{i:03d} " for i in range(25))  # 200 GSM characters: 2 segments of <= 153
    assert gateway.send(outbound(body)).accepted
    parts = harness.wait_for_carrier_messages(lambda m: m.coding == "udh" and m.text in body, count=2)
    assert [len(p.text) for p in parts] == [153, 47]
    assert "".join(p.text for p in parts) == body
    # Concatenation UDH: IEI 0 (8-bit reference) or 8 (16-bit), then "2 parts", part 1 and 2.
    assert all(p.udh[:3] in (b"\x05\x00\x03", b"\x06\x08\x04") for p in parts)
    assert [p.udh[-2:] for p in parts] == [b"\x02\x01", b"\x02\x02"]


@needs_kannel
def test_mo_at_the_carrier_arrives_at_our_get_url_as_inbound_sms(kannel, callbacks):
    harness, gateway = kannel
    harness.inject_mo(PHONE, OUR_NUMBER, "Hi there  two spaces é")
    [request] = callbacks.wait_for(lambda r: r.path == "/sms/kannel/kannel1/inbound"
                                   and "two spaces" in r.params.get("text", ""))
    inbound = gateway.parse_inbound(request.as_callback())
    assert (inbound.from_, inbound.to, inbound.body) == (PHONE, OUR_NUMBER, "Hi there  two spaces é")
    assert inbound.gateway == "kannel1" and inbound.provider_id and inbound.smsc == "fake"
    assert inbound.received_at is not None


@needs_kannel
def test_ucs2_mo_arrives_as_unicode(kannel, callbacks):
    harness, gateway = kannel
    harness.inject_mo("0015557654321", OUR_NUMBER, "Салем 😀", ucs2=True)
    [request] = callbacks.wait_for(lambda r: r.path == "/sms/kannel/kannel1/inbound" and "😀" in r.params["text"])
    inbound = gateway.parse_inbound(request.as_callback())
    assert (inbound.from_, inbound.body) == (PHONE, "Салем 😀")  # 00 prefix normalized to +


@needs_kannel
def test_kannel_black_list_is_a_final_reject_with_a_code(kannel):
    _, gateway = kannel
    result = gateway.send(outbound(to=REJECTED_PREFIX + "5550000"))
    assert (result.accepted, result.retryable, result.error_code) == (False, False, 30007)
    assert "denied" in result.error_message


@needs_kannel
def test_wrong_credentials_are_final(kannel, callbacks):
    harness, _ = kannel
    env = kannel_env(harness.sendsms_url, PASSWORD="wrong")
    gateway = GatewayRegistry.from_environ(env, callbacks.url).get("kannel1")
    result = gateway.send(outbound())
    assert (result.accepted, result.retryable, result.error_code) == (False, False, 30008)
    assert "403" in result.error_message


@needs_kannel
def test_carrier_down_kannel_queues_and_delivers_when_it_returns(kannel, callbacks):
    harness, gateway = kannel
    harness.disconnect_carrier()
    try:
        sms = outbound("sent while the carrier was away")
        assert gateway.send(sms).accepted  # Kannel answers "3: Queued for later delivery"
    finally:
        harness.connect_carrier()
    harness.wait_for_carrier_message(lambda m: m.text == sms.body)
    assert statuses_for(gateway, callbacks, sms.message_ref) == ["delivered", "sent"]


def test_kannel_down_is_retryable():
    gateway = GatewayRegistry.from_environ(kannel_env(f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms"),
                                           "http://127.0.0.1:8080").get("kannel1")
    result = gateway.send(outbound())
    assert (result.accepted, result.retryable, result.error_code) == (False, True, 30008)


# -- the parsers on their own ----------------------------------------------------------------------
@pytest.fixture
def parser():
    return GatewayRegistry.from_environ(kannel_env("http://127.0.0.1:13013/cgi-bin/sendsms"),
                                        "https://cpaas.example.org").get("kannel1")


def test_sendsms_parameters(parser):
    params = parser.sendsms_params(OutboundSms("SMab", OUR_NUMBER, PHONE, "ça €", validity_period=3601))
    assert params == {
        "username": "cpaas", "password": "sendsms-secret", "from": OUR_NUMBER, "to": PHONE, "text": "ça €",
        "charset": "UTF-8", "coding": "2", "dlr-mask": "31", "validity": "61",
        "dlr-url": "https://cpaas.example.org/sms/kannel/kannel1/dlr?ref=SMab&type=%d&reply=%A&smsc=%i&ts=%T&id=%F"
                   f"&token={TOKEN}"}
    assert parser.sendsms_params(OutboundSms("SMab", OUR_NUMBER, PHONE, "plain {gsm}"))["coding"] == "0"


def test_inbound_get_url_pattern(parser):
    assert parser.inbound_get_url() == (
        "https://cpaas.example.org/sms/kannel/kannel1/inbound?from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I"
        f"&smsc=%i&ts=%T&token={TOKEN}")


@pytest.mark.parametrize("kind, status, code", [("1", "delivered", None), ("2", "undelivered", 30003),
                                                ("4", "sent", None), ("8", "sent", None), ("16", "failed", 30007)])
def test_dlr_types(parser, kind, status, code):
    report = parser.parse_delivery_report(CallbackRequest({"ref": "SM1", "type": kind, "reply": "id:1 stat:X",
                                                           "token": TOKEN}))
    assert (report.message_ref, report.status, report.error_code) == ("SM1", status, code)
    assert (report.error_message is not None) == (code is not None)


@pytest.mark.parametrize("params", [{"ref": "SM1", "type": "3"}, {"ref": "SM1", "type": "x"}, {"type": "1"},
                                    {"ref": "SM1"}])
def test_malformed_dlr_is_refused(parser, params):
    with pytest.raises(CallbackError) as caught:
        parser.parse_delivery_report(CallbackRequest({**params, "token": TOKEN}))
    assert caught.value.status == 400


def test_callbacks_without_the_token_are_forbidden(parser):
    with pytest.raises(CallbackError) as caught:
        parser.parse_delivery_report(CallbackRequest({"ref": "SM1", "type": "1"}))
    assert caught.value.status == 403
    with pytest.raises(CallbackError):
        parser.parse_inbound(CallbackRequest({"from": PHONE, "to": OUR_NUMBER, "text": "x", "token": "nope-nope"}))


def test_raw_ucs2_text_is_decoded_from_the_raw_query(parser):
    """Without mo-recode Kannel sends UTF-16BE bytes; only the undecoded query string still has them."""
    raw = f"from=%2B1555&to=%2B1666&text=%04%36%D8%3D%DE%00&coding=2&charset=UTF-16BE&token={TOKEN}"
    params = {"from": "+1555", "to": "+1666", "text": "\ufffd6\ufffd=\ufffd", "coding": "2", "charset": "UTF-16BE",
              "token": TOKEN}
    assert parser.parse_inbound(CallbackRequest(params, raw_query=raw)).body == "ж😀"
    with pytest.raises(CallbackError):
        parser.parse_inbound(CallbackRequest(params))


@needs_kannel
def test_a_reply_to_an_inbound_message_goes_back_out_to_the_phone(kannel, callbacks):
    """The round trip the product does: MO at the carrier -> our get-url -> reply sent through Kannel."""
    harness, gateway = kannel
    harness.inject_mo(PHONE, OUR_NUMBER, "PING 42")
    [request] = callbacks.wait_for(lambda r: r.path.endswith("/inbound") and r.params.get("text") == "PING 42")
    inbound = gateway.parse_inbound(request.as_callback())
    reply = outbound(f"PONG to {inbound.from_}", to=inbound.from_, from_=inbound.to)
    assert gateway.send(reply).accepted
    carrier = harness.wait_for_carrier_message(lambda m: m.text == f"PONG to {PHONE}")
    assert (carrier.sender, carrier.receiver) == (OUR_NUMBER, PHONE)
    assert statuses_for(gateway, callbacks, reply.message_ref) == ["delivered", "sent"]
