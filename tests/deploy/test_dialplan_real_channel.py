"""The inbound dialplan fed a real FreeSWITCH 1.10.12 inbound SIP channel (shared/esl-traces, scenario 10b).

The channel's caller profile and variables come straight from the CHANNEL_CREATE event FreeSWITCH sent for a
call from a SIP UAC, so the fields and variables the dialplan reads (destination_number, caller_id_number,
sip_acl_authed_by, sip_network_ip, uuid) are the ones a real switch sets, under their real names.
"""
from urllib.parse import unquote

import pytest

from tests.deploy.dialplan_eval import Channel, execute, hunt, load_context, load_globals
from tests.support.traces import TRACES_DIR, load_trace

TRACE = "10b-sip-inbound-from-sipp-uac"
pytestmark = pytest.mark.skipif(not (TRACES_DIR / f"{TRACE}.txt").exists(), reason="shared/esl-traces not present")

# Event header -> caller-profile field (switch_caller_profile_event_set_data writes them with this prefix).
PROFILE_HEADERS = {"Caller-Destination-Number": "destination_number", "Caller-Caller-ID-Number": "caller_id_number",
                   "Caller-Caller-ID-Name": "caller_id_name", "Caller-Network-Addr": "network_addr",
                   "Caller-ANI": "ani", "Caller-Username": "username", "Caller-Context": "context",
                   "Caller-Unique-ID": "uuid", "Caller-Source": "source", "Caller-Dialplan": "dialplan"}


def real_inbound_channel(rendered, **overrides):
    frames = [f for f in load_trace(TRACE) if f.direction == "recv" and f.body]
    event = next(dict(line.split(": ", 1) for line in f.body.decode().splitlines() if ": " in line)
                 for f in frames if b"Event-Name: CHANNEL_CREATE\n" in f.body)
    profile = {field: unquote(event[header]) for header, field in PROFILE_HEADERS.items() if header in event}
    variables = {k[len("variable_"):]: unquote(v) for k, v in event.items() if k.startswith("variable_")}
    for name, value in overrides.items():
        (profile if name in profile else variables)[name] = value
    return Channel(profile=profile, variables=variables, globals=load_globals(rendered))


def test_the_trace_channel_carries_what_the_dialplan_reads(rendered):
    channel = real_inbound_channel(rendered)
    assert channel.profile["destination_number"] == "9196" and channel.profile["caller_id_number"] == "sipp"
    assert channel.variables["sip_acl_authed_by"] == "loopback.auto"  # admitted by an ACL: sofia says which
    assert channel.variables["sip_network_ip"] == "127.0.0.1" and channel.variables["uuid"]


def test_a_call_admitted_by_no_trunk_list_is_refused(rendered):
    result = hunt(load_context(rendered / "dialplan", "cpaas_inbound"), real_inbound_channel(rendered))
    assert result.applications[-1] == ("respond", "403 Forbidden")
    assert result.data("log")[0].endswith("from ${sip_network_ip} was admitted by no trunk ACL; refused")


def test_the_same_channel_from_a_trunk_reaches_the_controller(rendered):
    channel = real_inbound_channel(rendered, sip_acl_authed_by="cpaas_trunk_uk", destination_number="02071838750")
    result = hunt(load_context(rendered / "dialplan", "cpaas_inbound"), channel)
    execute(result, channel, stop_at="socket")
    assert result.data("socket") == ["controller:8084 async full"]
    assert channel.variables["cpaas_to"] == "+442071838750"
    assert channel.variables["cpaas_from"] == "sipp"  # a SIP name, passed on as sent
    assert channel.variables["cpaas_original_to"] == "02071838750"
    # The log line names the real channel: mod_dialplan expands ${uuid} from the channel at execution.
    assert channel.expand("${uuid}") == channel.variables["uuid"] == "cd8e7d28-e8bc-4d4f-a55e-0f70245af562"
