"""OriginateRequest renders strings FreeSWITCH's own tokenizer reads back exactly (fs_strings models it)."""
import pytest

from cpaas.switch import Endpoint, OriginateRequest, call_sid_of_originate
from tests.switch.fs_strings import parse_global_vars, separate_blank, separate_char

AWKWARD = {
    "cpaas_call_sid": "CA0123456789abcdef0123456789abcdef",
    "origination_caller_id_name": "O'Brien, Jones & \"Sons\"",
    "spaces": "  two  leading and trailing  ",
    "backslash": "C:\\path\\with,comma",
    "equals": "a=b=c",
    "tab": "x\ty",
}


def test_model_matches_the_traces_plain_originate():
    assert separate_blank("{origination_uuid=8d1b}loopback/echo/default &park") == [
        "{origination_uuid=8d1b}loopback/echo/default", "&park"]


def test_global_variables_survive_the_api_split_the_brace_split_and_the_equals_split():
    request = OriginateRequest(["sofia/gateway/trunk/+15551234567"], dict(AWKWARD), socket="127.0.0.1:8084")
    argv = separate_blank(request.argument())
    assert len(argv) == 2
    variables, legs = parse_global_vars(argv[0])
    assert variables == AWKWARD
    assert legs == "sofia/gateway/trunk/+15551234567"
    assert argv[1] == "&socket(127.0.0.1:8084 async full)"
    assert request.command().startswith("originate {")


def test_bridge_dial_string_has_no_api_level():
    request = OriginateRequest(["user/1000", "user/1001"], {"name": "a, b"})
    dial = request.dial_string()
    variables, legs = parse_global_vars(dial)
    assert variables == {"name": "a, b"}
    assert separate_char(legs, ",") == ["user/1000", "user/1001"]


def test_per_leg_variables_and_sequential_legs():
    request = OriginateRequest([Endpoint("user/1000", {"leg_timeout": 20, "caller": "Front Desk"}),
                                Endpoint("user/1001")], sequential=True, application="park")
    assert request.argument() == "[leg_timeout=20,caller=Front\\sDesk]user/1000|user/1001 &park()"
    assert separate_blank(request.argument())[0] == "[leg_timeout=20,caller=Front Desk]user/1000|user/1001"
    with pytest.raises(ValueError):
        Endpoint("user/1000", {"x": "a,b"}).render(True)


@pytest.mark.parametrize("bad", ["a}b", "x]", "line\nbreak"])
def test_values_that_cannot_be_escaped_are_refused(bad):
    with pytest.raises(ValueError):
        OriginateRequest(["user/1000"], {"v": bad}).command()


def test_names_endpoints_and_app_arguments_are_checked():
    with pytest.raises(ValueError):
        OriginateRequest(["user/1000"], {"bad name": "x"}).command()
    with pytest.raises(ValueError):
        OriginateRequest(["user/1000 &park"]).command()
    with pytest.raises(ValueError):
        OriginateRequest([]).command()
    assert OriginateRequest(["loopback/echo/default"]).command() == "originate loopback/echo/default &park()"
    spaced = OriginateRequest(["loopback/x"], application="playback", application_arg="/tmp/a file.wav")
    assert separate_blank(spaced.argument())[1] == "&playback(/tmp/a file.wav)"
    with pytest.raises(ValueError):  # FreeSWITCH cuts &app(arg) at the first ')'
        OriginateRequest(["loopback/x"], application="playback", application_arg="tone_stream://%(1,0,440)").command()


def test_call_sid_is_found_in_a_background_jobs_command_arg():
    request = OriginateRequest(["user/1000"], {"cpaas_call_sid": "CAabc123", "x": "y"}, socket="127.0.0.1:8084")
    assert call_sid_of_originate(request.argument()) == "CAabc123"
    assert call_sid_of_originate("error/user_busy &park") is None


def test_for_call_names_the_identity_variables_once():
    request = OriginateRequest.for_call(["sofia/gateway/trunk/+15551234567"], call_sid="CA1", account_sid="AC1",
                                        controller="127.0.0.1:8084", channel_uuid="u-1", caller_id_number="+15550000",
                                        timeout=30, ignore_early_media="true")
    variables, _ = parse_global_vars(separate_blank(request.argument())[0])
    assert variables == {"cpaas_call_sid": "CA1", "cpaas_account_sid": "AC1", "origination_uuid": "u-1",
                         "origination_caller_id_number": "+15550000", "originate_timeout": "30",
                         "ignore_early_media": "true"}
    assert request.app_token() == "'&socket(127.0.0.1:8084 async full)'"


@pytest.mark.parametrize("value", ["\\ x", "a\\", "\\\\", "\\'", "x\\,y", "\\s", "\\ ", "a\\=b", "''", "' '", "\\\\,"])
def test_backslashes_next_to_escapes_round_trip(value):
    request = OriginateRequest(["user/1000"], {"v": value})
    variables, _ = parse_global_vars(separate_blank(request.argument())[0])
    assert variables == {"v": value}
    bridge_vars, _ = parse_global_vars(request.dial_string())
    assert bridge_vars == {"v": value}


def test_plain_values_are_written_as_people_write_them():
    request = OriginateRequest(["user/1000"], {"a": "John Doe", "b": "x=y", "c": 'say "hi"', "d": "1, 2"})
    assert request.argument() == '{a=John\\sDoe,b=x=y,c=say\\s"hi",d=1\\,\\s2}user/1000 &park()'
