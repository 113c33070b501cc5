"""The inbound dialplan, hunted the way mod_dialplan_xml hunts it, for sample DIDs on each trunk."""
import pytest

from tests.deploy.dialplan_eval import Channel, execute, hunt, load_context, load_globals


def call(rendered, *, acl, to, caller, network_ip="203.0.113.9"):
    variables = {"sip_network_ip": network_ip, "uuid": "8d3f0c1e-0000-4000-8000-000000000001"}
    if acl:
        variables["sip_acl_authed_by"] = acl
    channel = Channel(
        profile={"destination_number": to, "caller_id_number": caller, "network_addr": network_ip},
        variables=variables, globals=load_globals(rendered),
    )
    return hunt(load_context(rendered / "dialplan", "cpaas_inbound"), channel), channel


@pytest.mark.parametrize("trunk,to,caller,e164_to,e164_from", [
    # UK, national format: trunk prefix 0, bare national number, exit code 00, already E.164
    ("uk", "07700900123", "02071838750", "+447700900123", "+442071838750"),
    ("uk", "7700900123", "2071838750", "+447700900123", "+442071838750"),
    ("uk", "00447700900123", "+33142685300", "+447700900123", "+33142685300"),
    ("uk", "+447700900123", "0033142685300", "+447700900123", "+33142685300"),
    # US, national format: 10 digits, 11 with the trunk prefix 1, exit code 011
    ("us", "2025550123", "4155550100", "+12025550123", "+14155550100"),
    ("us", "12025550123", "14155550100", "+12025550123", "+14155550100"),
    ("us", "2025550123", "011442071838750", "+12025550123", "+442071838750"),
    # International format: digits that already carry the country code
    ("intl", "447700900123", "12025550123", "+447700900123", "+12025550123"),
    ("intl", "+447700900123", "+12025550123", "+447700900123", "+12025550123"),
])
def test_numbers_are_normalised_to_e164_per_trunk(rendered, trunk, to, caller, e164_to, e164_from):
    result, channel = call(rendered, acl=f"cpaas_trunk_{trunk}", to=to, caller=caller)
    assert result.apps() == ["set", "set", "set", "socket", "log", "hangup"]
    execute(result, channel, stop_at="socket")
    assert channel.variables["cpaas_trunk"] == trunk
    assert channel.variables["cpaas_to"] == e164_to
    assert channel.variables["cpaas_from"] == e164_from
    assert channel.variables["cpaas_direction"] == "inbound"
    assert channel.variables["cpaas_original_to"] == to
    assert channel.variables["cpaas_original_from"] == caller


def test_the_call_goes_to_the_controller_and_a_failed_socket_means_503(rendered, sample_settings):
    result, _ = call(rendered, acl="cpaas_trunk_uk", to="07700900123", caller="02071838750")
    assert result.data("socket") == ["controller:8084 async full"]
    # mod_event_socket's socket app returns on a failed connect and the dialplan goes on: the next
    # application must end the call with a cause sofia sends as 503 Service Unavailable.
    tail = result.applications[result.apps().index("socket") + 1:]
    assert tail[-1] == ("hangup", "NORMAL_TEMPORARY_FAILURE")
    assert result.extensions[-1] == "cpaas_to_controller"


def test_a_withheld_caller_is_passed_on_as_sent(rendered):
    result, channel = call(rendered, acl="cpaas_trunk_uk", to="07700900123", caller="anonymous")
    execute(result, channel, stop_at="socket")
    assert channel.variables["cpaas_from"] == "anonymous"
    assert channel.variables["cpaas_to"] == "+447700900123"


def test_an_address_no_trunk_admitted_is_refused_with_403(rendered):
    result, _ = call(rendered, acl=None, to="07700900123", caller="02071838750", network_ip="192.0.2.99")
    assert result.applications[-1] == ("respond", "403 Forbidden")
    assert "socket" not in result.apps()


def test_an_unreadable_called_number_is_refused_with_404(rendered):
    result, _ = call(rendered, acl="cpaas_trunk_us", to="s", caller="4155550100")
    assert result.applications[-1] == ("respond", "404 Not Found")
    assert "socket" not in result.apps()


def test_a_national_rule_does_not_leak_into_another_trunk(rendered):
    # "07700900123" means +44… only on the UK trunk: the international trunk has no national rule.
    result, _ = call(rendered, acl="cpaas_trunk_intl", to="07700900123", caller="12025550123")
    assert result.applications[-1] == ("respond", "404 Not Found")


def test_registered_devices_reach_the_controller_tagged_as_devices(rendered):
    channel = Channel(profile={"destination_number": "+447700900123", "caller_id_number": "alice"},
                      variables={"sip_authorized": "true", "user_name": "alice", "uuid": "u-1"},
                      globals=load_globals(rendered))
    result = hunt(load_context(rendered / "dialplan", "cpaas_devices"), channel)
    execute(result, channel, stop_at="socket")
    assert channel.variables["cpaas_direction"] == "device"
    assert channel.variables["cpaas_device"] == "alice"
    assert channel.variables["cpaas_to"] == "+447700900123"
    assert result.data("socket") == ["controller:8084 async full"]
    assert result.applications[-1] == ("hangup", "NORMAL_TEMPORARY_FAILURE")


def test_the_global_controller_address_expands_on_any_channel_of_the_node(rendered):
    channel = Channel(profile={}, globals=load_globals(rendered))
    assert channel.expand("&socket(${cpaas_controller} async full)") == "&socket(controller:8084 async full)"
