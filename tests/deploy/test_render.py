"""The rendered FreeSWITCH tree for sample settings: well-formed, complete, and carrying the settings."""
import re
from pathlib import Path

import pytest
from defusedxml import ElementTree

from cpaas.config import SettingsError
from cpaas.config.freeswitch import load_freeswitch_settings, main, render
from tests.deploy.conftest import ROOT, SAMPLE_ENV

MODULES = {
    "mod_console", "mod_logfile", "mod_event_socket", "mod_sofia", "mod_loopback", "mod_commands", "mod_conference",
    "mod_db", "mod_dptools", "mod_expr", "mod_hash", "mod_http_cache", "mod_dialplan_xml", "mod_sndfile",
    "mod_native_file", "mod_tone_stream", "mod_shout", "mod_flite",
}
# Global variables FreeSWITCH defines itself (switch_core.c) that the tree may use as $${name}.
BUILTIN_GLOBALS = {"local_ip_v4", "sounds_dir", "cache_dir", "base_dir", "conf_dir", "recordings_dir"}


def xml_files(root: Path):
    return sorted(root.rglob("*.xml"))


def parse(path: Path):
    return ElementTree.parse(path).getroot()


def params(element):
    return {p.get("name"): p.get("value") for p in element.findall("param")}


def test_every_template_in_the_repository_is_well_formed_xml():
    templates = xml_files(ROOT / "freeswitch_conf") + xml_files(ROOT / "dialplan")
    assert len(templates) >= 15
    for path in templates:
        parse(path)


def test_every_rendered_file_is_well_formed_and_only_the_root_has_a_declaration(rendered):
    files = xml_files(rendered)
    assert {p.relative_to(rendered).as_posix() for p in files} >= {
        "freeswitch.xml", "vars.xml", "autoload_configs/modules.conf.xml", "autoload_configs/sofia.conf.xml",
        "sip_profiles/external.xml", "sip_profiles/internal.xml", "dialplan/cpaas_inbound.xml",
        "directory/cpaas.xml"}
    for path in files:
        parse(path)
        # FreeSWITCH pastes included files into freeswitch.xml: a second <?xml?> would break the document.
        has_declaration = path.read_text().lstrip().startswith("<?xml")
        assert has_declaration == (path.name == "freeswitch.xml"), path


def test_every_include_matches_files_and_every_global_is_defined(rendered):
    defined = set(BUILTIN_GLOBALS)
    for path in xml_files(rendered):
        text = path.read_text()
        for data in re.findall(r'<X-PRE-PROCESS cmd="set" data="([^=]+)=', text):
            defined.add(data)
        for pattern in re.findall(r'<X-PRE-PROCESS cmd="include" data="([^"]+)"', text):
            assert list(path.parent.glob(pattern)), f"{path.name}: include {pattern} matches nothing"
    for path in xml_files(rendered):
        for name in re.findall(r"\$\$\{([^}]+)\}", path.read_text()):
            assert name in defined, f"{path.name} uses $${{{name}}} which nothing defines"


def test_exactly_the_product_modules_are_loaded_and_each_configured_one_has_its_file(rendered):
    loaded = {m.get("module") for m in parse(rendered / "autoload_configs/modules.conf.xml").iter("load")}
    assert loaded == MODULES
    names = {parse(p).get("name") for p in (rendered / "autoload_configs").glob("*.xml")}
    assert names >= {"event_socket.conf", "sofia.conf", "acl.conf", "switch.conf", "conference.conf",
                     "http_cache.conf", "logfile.conf", "console.conf", "modules.conf"}


def test_the_node_names_its_controller_as_a_global_for_originates(rendered):
    assert '<X-PRE-PROCESS cmd="set" data="cpaas_controller=controller:8084"/>' in (rendered / "vars.xml").read_text()


def test_core_limits_and_rtp_ports_come_from_settings(rendered):
    settings = params(parse(rendered / "autoload_configs/switch.conf.xml").find("settings"))
    assert (settings["max-sessions"], settings["sessions-per-second"]) == ("400", "25")
    assert (settings["rtp-start-port"], settings["rtp-end-port"]) == ("20000", "20999")


def test_event_socket_listens_where_told_with_the_app_password_escaped(rendered):
    settings = params(parse(rendered / "autoload_configs/event_socket.conf.xml").find("settings"))
    assert settings["listen-ip"] == "0.0.0.0" and settings["listen-port"] == "8021"
    assert settings["password"] == "s3cret&<pw>"  # the password of FREESWITCH_NODES, escaped then parsed back
    assert settings["apply-inbound-acl"] == "cpaas_esl"
    acl = {l.get("name"): l for l in parse(rendered / "autoload_configs/acl.conf.xml").iter("list")}
    assert [n.get("cidr") for n in acl["cpaas_esl"]] == ["172.28.0.0/16", "127.0.0.1/32"]
    assert acl["cpaas_esl"].get("default") == "deny"


def test_each_trunk_is_a_gateway_and_an_acl_list(rendered):
    profile = parse(rendered / "sip_profiles/external.xml")
    gateways = {g.get("name"): params(g) for g in profile.iter("gateway")}
    assert set(gateways) == {"uk", "us", "intl"}
    assert gateways["uk"]["register"] == "true" and gateways["uk"]["username"] == "acme"
    assert gateways["uk"]["password"] == 'pa"ss<&>word'
    assert gateways["uk"]["proxy"] == "sip.uk-carrier.example"
    assert gateways["us"]["register"] == "false" and "password" not in gateways["us"]
    assert gateways["us"]["register-transport"] == "tcp"
    assert all(g["caller-id-in-from"] == "true" and g["extension"] == "auto_to_user" for g in gateways.values())
    acl = {l.get("name"): [n.get("cidr") for n in l] for l in parse(rendered / "autoload_configs/acl.conf.xml").iter("list")}
    assert acl["cpaas_trunk_uk"] == ["203.0.113.0/24"]
    assert acl["cpaas_trunk_us"] == ["198.51.100.7/32"]  # defaults to the proxy when it is an address
    assert acl["cpaas_trunk_intl"] == ["192.0.2.50/32"]
    assert acl["cpaas_dispatchers"] == ["172.28.0.10/32"]


def test_the_external_profile_admits_trunks_only_and_trusts_the_dispatcher_for_x_auth_ip(rendered):
    profile = parse(rendered / "sip_profiles/external.xml")
    settings = profile.find("settings")
    values = [(p.get("name"), p.get("value")) for p in settings.findall("param")]
    assert [v for n, v in values if n == "apply-inbound-acl"] == ["cpaas_trunk_uk", "cpaas_trunk_us", "cpaas_trunk_intl"]
    as_dict = dict(values)
    assert as_dict["auth-calls"] == "true" and as_dict["auth-calls-acl-only"] == "true"
    assert as_dict["apply-proxy-acl"] == "cpaas_dispatchers"
    assert as_dict["context"] == "cpaas_inbound"
    assert as_dict["ext-sip-ip"] == as_dict["ext-rtp-ip"] == "198.51.100.200"
    assert as_dict["sip-port"] == "5080" and as_dict["ext-sip-port"] == "5099"


def test_without_trunks_nothing_is_admitted_and_no_proxy_is_trusted(tmp_path):
    settings = load_freeswitch_settings({}, dotenv=None)
    render(settings, tmp_path, ROOT)
    profile_settings = dict((p.get("name"), p.get("value")) for p in parse(tmp_path / "sip_profiles/external.xml").iter("param"))
    assert "apply-inbound-acl" not in profile_settings and "apply-proxy-acl" not in profile_settings
    assert profile_settings["auth-calls-acl-only"] == "true"  # no ACL admits: every INVITE gets 403
    assert not {"ext-sip-ip", "ext-rtp-ip", "ext-sip-port"} & set(profile_settings)  # no NAT unless told
    event_socket = params(parse(tmp_path / "autoload_configs/event_socket.conf.xml").find("settings"))
    assert event_socket["listen-ip"] == "127.0.0.1"


def test_rtp_alone_can_be_advertised_behind_nat(tmp_path):
    render(load_freeswitch_settings({"RTP_EXTERNAL_IP": "203.0.113.9"}, dotenv=None), tmp_path, ROOT)
    for profile in ("external", "internal"):
        values = {p.get("name"): p.get("value") for p in parse(tmp_path / f"sip_profiles/{profile}.xml").iter("param")}
        assert values["ext-rtp-ip"] == "203.0.113.9" and "ext-sip-ip" not in values, profile


def test_devices_are_directory_users(rendered):
    users = {u.get("id"): params(u.find("params")) for u in parse(rendered / "directory/cpaas.xml").iter("user")}
    assert users == {"alice": {"password": "correct horse"}}


def test_outbound_endpoints_follow_the_trunk_format_prefix_and_routes(sample_settings):
    fs = sample_settings
    assert fs.route("+447700900123").name == "uk"
    assert fs.route("+12025550123").name == "us"
    assert fs.route("+33142685300").name == "intl"
    assert fs.route("+447700900123").endpoint("+447700900123") == "sofia/gateway/uk/07700900123"
    assert fs.trunk("uk").endpoint("+33142685300") == "sofia/gateway/uk/0033142685300"
    assert fs.route("+12025550123").endpoint("+12025550123") == "sofia/gateway/us/1234#2025550123"
    assert fs.route("+33142685300").endpoint("+33142685300") == "sofia/gateway/intl/33142685300"
    assert fs.trunk("uk").caller_id("+442071838750") == "02071838750"
    assert fs.trunk("intl").caller_id("+442071838750") == "442071838750"
    with pytest.raises(ValueError):
        fs.trunk("uk").endpoint("07700900123")


def test_a_route_nobody_serves_is_a_lookup_error():
    fs = load_freeswitch_settings({"SIP_TRUNKS": "uk", "SIP_TRUNK_UK_PROXY": "192.0.2.1",
                                   "SIP_TRUNK_UK_ROUTES": "+44"}, dotenv=None)
    with pytest.raises(LookupError):
        fs.route("+12025550123")


@pytest.mark.parametrize("variable,value,named", [
    ("SIP_TRUNKS", "uk uk", "SIP_TRUNKS"), ("SIP_TRUNKS", "9lives", "SIP_TRUNKS"),
    ("SIP_TRUNK_UK_PROXY", "", "SIP_TRUNK_UK_PROXY"), ("SIP_TRUNK_UK_REGISTER", "true", "SIP_TRUNK_UK_REGISTER"),
    ("SIP_TRUNK_UK_NUMBER_FORMAT", "local", "SIP_TRUNK_UK_NUMBER_FORMAT"),
    ("SIP_TRUNK_UK_COUNTRY", "XX", "SIP_TRUNK_UK_COUNTRY"), ("SIP_TRUNK_UK_ACL", "10.0.0.300", "SIP_TRUNK_UK_ACL"),
    ("SIP_TRUNK_UK_PREFIX", "9a", "SIP_TRUNK_UK_PREFIX"), ("SIP_TRUNK_UK_TRANSPORT", "tls", "SIP_TRUNK_UK_TRANSPORT"),
    ("SIP_EXTERNAL_IP", "stun:stun.example.org", "SIP_EXTERNAL_IP"), ("SIP_TRUNK_UK_ROUTES", "44", "SIP_TRUNK_UK_ROUTES"),
    ("SIP_TRUNK_UK_PASSWORD", "a${x}", "SIP_TRUNK_UK_PASSWORD"), ("RTP_PORT_RANGE", "30000-20000", "RTP_PORT_RANGE"),
    ("FREESWITCH_ESL_LISTEN", "everywhere", "FREESWITCH_ESL_LISTEN"),
    ("FREESWITCH_MAX_SESSIONS", "0", "FREESWITCH_MAX_SESSIONS"), ("SIP_EXTERNAL_IP", "my.ip", "SIP_EXTERNAL_IP"),
    ("SIP_DEVICES", "bob", "SIP_DEVICE_BOB_PASSWORD"), ("FREESWITCH_ESL_PASSWORD", "ClueCon", "FREESWITCH_ESL_PASSWORD"),
    ("CONTROLLER_ADVERTISE", "controller", "CONTROLLER_ADVERTISE"),
])
def test_a_wrong_setting_names_its_variable(variable, value, named):
    env = {"SIP_TRUNKS": "uk", "SIP_TRUNK_UK_PROXY": "192.0.2.1", "FREESWITCH_ESL_LISTEN": "0.0.0.0:8021",
           "FREESWITCH_ESL_PASSWORD": "not-the-default", variable: value}
    with pytest.raises(SettingsError) as excinfo:
        load_freeswitch_settings(env, dotenv=None)
    assert str(excinfo.value).startswith(named + ":")


def test_overlapping_trunk_acls_are_refused():
    with pytest.raises(SettingsError, match="SIP_TRUNK_B_ACL"):
        load_freeswitch_settings({"SIP_TRUNKS": "a b", "SIP_TRUNK_A_PROXY": "192.0.2.1", "SIP_TRUNK_A_ACL": "192.0.2.0/24",
                                  "SIP_TRUNK_B_PROXY": "192.0.2.9"}, dotenv=None)


def test_the_command_renders_from_a_dotenv_and_reports_a_bad_one(tmp_path, capsys, monkeypatch):
    for name in [k for k in SAMPLE_ENV] + ["SIP_TRUNKS"]:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("SIP_TRUNKS=carrier\nSIP_TRUNK_CARRIER_PROXY=192.0.2.10\nCONTROLLER_ADVERTISE=10.0.0.2:8084\n")
    assert main(["--out", str(tmp_path / "out"), "--env-file", str(env_file), "--templates", str(ROOT)]) == 0
    assert "controller:8084" not in (tmp_path / "out/dialplan/cpaas_inbound.xml").read_text()
    assert 'data="10.0.0.2:8084 async full"' in (tmp_path / "out/dialplan/cpaas_inbound.xml").read_text()
    env_file.write_text("SIP_TRUNKS=carrier\n")
    assert main(["--out", str(tmp_path / "out2"), "--env-file", str(env_file), "--templates", str(ROOT)]) == 2
    assert "SIP_TRUNK_CARRIER_PROXY" in capsys.readouterr().err


def test_the_conference_profile_is_the_one_the_voice_engine_joins(rendered):
    from cpaas.services.conferences import PROFILE

    profiles = [p.get("name") for p in parse(rendered / "autoload_configs/conference.conf.xml").iter("profile")]
    assert profiles == [PROFILE]
