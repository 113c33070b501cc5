"""The deployment docs stay true to the code: every setting documented, the endpoint table computed."""
import re

from cpaas.config.freeswitch import load_freeswitch_settings
from tests.deploy.conftest import ROOT, SAMPLE_ENV

DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
DIALPLAN_README = (ROOT / "dialplan" / "README.md").read_text()


def settings_read_by_the_renderer():
    source = "\n".join(p.read_text() for p in (ROOT / "cpaas" / "config" / "freeswitch").glob("*.py"))
    names = set(re.findall(r'"((?:SIP|RTP|FREESWITCH)_[A-Z_]+)"', source))
    names |= {"SIP_TRUNK_<NAME>_" + suffix for suffix in re.findall(r'key \+ "([A-Z_]+)"', source)}
    return names


def test_every_deployment_setting_is_documented():
    names = settings_read_by_the_renderer()
    assert {"SIP_TRUNKS", "RTP_PORT_RANGE", "FREESWITCH_ESL_PASSWORD", "SIP_TRUNK_<NAME>_ACL"} <= names
    for name in names:
        short = name.replace("SIP_TRUNK_<NAME>_", "_")
        assert name in DEPLOY or f"`{short}`" in DEPLOY, f"{name} is not in docs/deploy.md"


def test_the_endpoint_table_is_what_the_code_computes():
    fs = load_freeswitch_settings(SAMPLE_ENV, dotenv=None)
    rows = re.findall(r"^\| `(\+\d+)`(?: via `(\w+)`)? \| `(\w+)` .*?\| `(sofia/gateway/[^`]+)` \|$", DIALPLAN_README, re.M)
    assert len(rows) == 4
    for number, via, trunk, endpoint in rows:
        chosen = fs.trunk(via) if via else fs.route(number)
        assert chosen.name == trunk
        assert chosen.endpoint(number) == endpoint
