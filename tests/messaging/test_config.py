"""Gateway configuration from the environment: defaults, routing, and errors that name the variable."""
import pytest

from cpaas.config import SettingsError
from cpaas.messaging.config import HttpOptions, KannelOptions, Rate, RetryPolicy, load_messaging_config

KANNEL = {
    "SMS_GATEWAYS": "kannel1 acme sandbox",
    "SMS_GATEWAY_KANNEL1_TYPE": "kannel",
    "SMS_GATEWAY_KANNEL1_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
    "SMS_GATEWAY_KANNEL1_USERNAME": "cpaas",
    "SMS_GATEWAY_KANNEL1_PASSWORD": "secret",
    "SMS_GATEWAY_KANNEL1_RATE": "20",
    "SMS_GATEWAY_KANNEL1_NUMBERS": "+15551230000, +4420*",
    "SMS_GATEWAY_ACME_TYPE": "http",
    "SMS_GATEWAY_ACME_URL": "https://api.acme.test/v1/sms",
    "SMS_GATEWAY_ACME_ACCOUNTS": "AC1 AC2",
    "SMS_GATEWAY_ACME_FIELDS": "to=msisdn, from=sender, body=text",
    "SMS_GATEWAY_ACME_AUTH_HEADER": "Authorization: Bearer abc:def",
    "SMS_GATEWAY_ACME_DLR_STATUSES": "OK=delivered, NOK=failed",
}


def test_defaults_are_one_sandbox_gateway_and_100_per_hour():
    config = load_messaging_config({})
    assert list(config.gateways) == ["sandbox"]
    assert config.default_gateway == "sandbox"
    assert config.gateways["sandbox"].type == "sandbox"
    assert config.number_rate == Rate(100, 3600)
    assert config.retry == RetryPolicy(6, 5.0, 600.0)


def test_full_configuration_is_read():
    config = load_messaging_config(KANNEL)
    kannel, acme = config.gateways["kannel1"], config.gateways["acme"]
    assert config.default_gateway == "kannel1"
    assert (kannel.type, kannel.username, kannel.password) == ("kannel", "cpaas", "secret")
    assert kannel.rate == Rate(20, 1)
    assert kannel.options == KannelOptions(smsc=None, dlr_mask=31)
    assert kannel.numbers == ("+15551230000", "+4420*")
    assert acme.type == "http" and acme.accounts == ("AC1", "AC2")
    assert isinstance(acme.options, HttpOptions)
    assert acme.options.fields == {"to": "msisdn", "from": "sender", "body": "text"}
    assert acme.options.auth_header == ("Authorization", "Bearer abc:def")
    assert acme.options.dlr_statuses == {"ok": "delivered", "nok": "failed"}


def test_routing_prefers_number_then_account_then_default():
    config = load_messaging_config({**KANNEL, "SMS_DEFAULT_GATEWAY": "sandbox"})
    assert config.route("+15551230000", "AC1").name == "kannel1"   # number rule wins
    assert config.route("+442071234567", None).name == "kannel1"   # prefix rule
    assert config.route("+15559999999", "AC2").name == "acme"      # account rule
    assert config.route("+15559999999", "AC9").name == "sandbox"   # default
    assert config.route(None, None).name == "sandbox"


def test_rates_accept_units():
    config = load_messaging_config({"SMS_RATE_LIMIT": "10/minute", "SMS_GATEWAYS": "sandbox",
                                    "SMS_GATEWAY_SANDBOX_RATE": "600/hours"})
    assert config.number_rate == Rate(10, 60)
    assert config.gateways["sandbox"].rate == Rate(600, 3600)


def test_retry_policy_doubles_up_to_the_cap_and_stops():
    policy = load_messaging_config({"SMS_SEND_ATTEMPTS": "4", "SMS_RETRY_BASE_DELAY": "2",
                                    "SMS_RETRY_MAX_DELAY": "5"}).retry
    assert [policy.delay_after(n) for n in (1, 2, 3, 4)] == [2, 4, 5, None]


@pytest.mark.parametrize("env, variable", [
    ({"SMS_GATEWAYS": "Bad-Name"}, "SMS_GATEWAYS"),
    ({"SMS_GATEWAYS": "a a"}, "SMS_GATEWAYS"),
    ({"SMS_GATEWAYS": "k1"}, "SMS_GATEWAY_K1_TYPE"),
    ({"SMS_GATEWAYS": "k1", "SMS_GATEWAY_K1_TYPE": "smpp"}, "SMS_GATEWAY_K1_TYPE"),
    ({"SMS_GATEWAYS": "k1", "SMS_GATEWAY_K1_TYPE": "kannel"}, "SMS_GATEWAY_K1_URL"),
    ({"SMS_GATEWAYS": "k1", "SMS_GATEWAY_K1_TYPE": "kannel", "SMS_GATEWAY_K1_URL": "ftp://x"},
     "SMS_GATEWAY_K1_URL"),
    ({"SMS_GATEWAYS": "k1", "SMS_GATEWAY_K1_TYPE": "kannel", "SMS_GATEWAY_K1_URL": "http://x"},
     "SMS_GATEWAY_K1_USERNAME"),
    ({"SMS_GATEWAYS": "sandbox", "SMS_DEFAULT_GATEWAY": "other"}, "SMS_DEFAULT_GATEWAY"),
    ({"SMS_RATE_LIMIT": "lots"}, "SMS_RATE_LIMIT"),
    ({"SMS_RATE_LIMIT": "0/hour"}, "SMS_RATE_LIMIT"),
    ({"SMS_GATEWAY_SANDBOX_RATE": "5/fortnight"}, "SMS_GATEWAY_SANDBOX_RATE"),
    ({"SMS_GATEWAY_SANDBOX_DELAY": "soon"}, "SMS_GATEWAY_SANDBOX_DELAY"),
    ({"SMS_GATEWAY_SANDBOX_CALLBACK_TOKEN": "short"}, "SMS_GATEWAY_SANDBOX_CALLBACK_TOKEN"),
    ({"SMS_GATEWAY_SANDBOX_CALLBACK_TOKEN": "has%escape%codes"}, "SMS_GATEWAY_SANDBOX_CALLBACK_TOKEN"),
    ({**KANNEL, "SMS_GATEWAY_ACME_FIELDS": "to=msisdn, colour=blue"}, "SMS_GATEWAY_ACME_FIELDS"),
    ({**KANNEL, "SMS_GATEWAY_ACME_FIELDS": "to"}, "SMS_GATEWAY_ACME_FIELDS"),
    ({**KANNEL, "SMS_GATEWAY_ACME_DLR_STATUSES": "OK=great"}, "SMS_GATEWAY_ACME_DLR_STATUSES"),
    ({**KANNEL, "SMS_GATEWAY_ACME_AUTH_HEADER": "Bearer abc"}, "SMS_GATEWAY_ACME_AUTH_HEADER"),
    ({**KANNEL, "SMS_GATEWAY_ACME_FORMAT": "xml"}, "SMS_GATEWAY_ACME_FORMAT"),
    ({**KANNEL, "SMS_GATEWAY_KANNEL1_DLR_MASK": "64"}, "SMS_GATEWAY_KANNEL1_DLR_MASK"),
])
def test_errors_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as caught:
        load_messaging_config(env)
    assert str(caught.value).startswith(variable + ":")
