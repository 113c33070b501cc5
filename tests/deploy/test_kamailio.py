"""docker/kamailio/kamailio.cfg checked by Kamailio itself (`kamailio -c`, Debian's package)."""
import shutil
import subprocess

import pytest

from tests.deploy.conftest import ROOT

KAMAILIO = shutil.which("kamailio") or (shutil.which("kamailio", path="/usr/sbin:/sbin"))
CONFIG = ROOT / "docker" / "kamailio" / "kamailio.cfg"
pytestmark = pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed (scripts/setup test installs it)")


def check(config_path, *defines):
    args = [KAMAILIO, "-c", "-f", str(config_path)]
    for define in defines:
        args += ["-A", define]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def test_the_dispatcher_configuration_is_valid():
    result = check(CONFIG)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "config file ok" in result.stdout + result.stderr


def test_the_advertised_listen_variant_is_valid(tmp_path):
    # What the container's entrypoint produces when SIP_EXTERNAL_IP is set.
    listen = tmp_path / "listen-advertise.cfg"
    listen.write_text("listen=udp:0.0.0.0:5060 advertise 203.0.113.5:5090\n")
    config = tmp_path / "kamailio.cfg"
    config.write_text(CONFIG.read_text().replace("/etc/kamailio/listen-advertise.cfg", str(listen)))
    result = check(config, "WITH_ADVERTISE")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "advertise 203.0.113.5:5090" in result.stdout + result.stderr


def test_the_check_is_real_a_broken_route_fails(tmp_path):
    config = tmp_path / "kamailio.cfg"
    config.write_text(CONFIG.read_text().replace("ds_select_dst(", "ds_select_destination("))
    assert check(config).returncode != 0
