"""docker/kannel/kannel.conf booted by the real Kannel (Debian's bearerbox and smsbox) on 127.0.0.1.

Kannel refuses unknown groups and fields at start-up, so a boot proves the file; the sendsms user must then
be accepted with the credentials the product is configured with. Only what cannot run in a test changes:
ports (free ones), interfaces (loopback), the bearerbox host name (the compose service `kannel`).
"""
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.deploy.conftest import ROOT
from tests.support.kannel import kannel_installed
from tests.support.servers import free_port

pytestmark = pytest.mark.skipif(not kannel_installed(), reason="Kannel is not installed (scripts/setup test installs it)")
PLACEHOLDERS = {"KANNEL_ADMIN_PASSWORD": "admin-secret", "KANNEL_SENDSMS_USERNAME": "cpaas",
                "KANNEL_SENDSMS_PASSWORD": "sendsms-secret", "KANNEL_CALLBACK_TOKEN": "token-1234"}


def loopback_config(ports: dict[str, int]) -> str:
    lines = (ROOT / "docker" / "kannel" / "kannel.conf").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.startswith("#")) + "\n"
    for name, value in PLACEHOLDERS.items():
        text = text.replace(f"@{name}@", value)
    assert "@" not in re.sub(r"%\w|\S+@\S+", "", text), "a placeholder the entrypoint does not fill"
    text = (text.replace("admin-port = 13000", f"admin-port = {ports['admin']}\nadmin-interface = 127.0.0.1")
                .replace("smsbox-port = 13001", f"smsbox-port = {ports['smsbox']}\nsmsbox-interface = 127.0.0.1")
                .replace('box-allow-ip = "*.*.*.*"', 'box-allow-ip = "127.0.0.1"')
                .replace("port = 10000", f"port = {ports['smsc']}\nour-host = 127.0.0.1")
                .replace("bearerbox-host = kannel\nbearerbox-port = 13001",
                         f"bearerbox-host = 127.0.0.1\nbearerbox-port = {ports['smsbox']}")
                .replace("sendsms-port = 13013", f"sendsms-port = {ports['sendsms']}\nsendsms-interface = 127.0.0.1"))
    for original in ("13000", "13001", "13013", "10000", "kannel\n"):
        assert original not in text, f"{original!r} was not replaced: the test no longer matches kannel.conf"
    return text


@pytest.fixture
def kannel(tmp_path):
    ports = {name: free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
    config = tmp_path / "kannel.conf"
    config.write_text(loopback_config(ports))
    processes = []
    try:
        for box in ("bearerbox", "smsbox"):
            binary = shutil.which(box) or f"/usr/sbin/{box}"
            log = open(tmp_path / f"{box}.log", "wb")
            processes.append(subprocess.Popen([binary, "-v", "1", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                              cwd=tmp_path, start_new_session=True))
            log.close()
            if box == "bearerbox":
                _wait(lambda: _get(f"http://127.0.0.1:{ports['admin']}/status.txt?password=admin-secret"), processes, tmp_path)
        yield ports
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None


def _wait(probe, processes, tmp_path, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log"))
                raise RuntimeError(f"a Kannel box exited with {process.returncode}:\n{logs}")
        result = probe()
        if result:
            return result
        time.sleep(0.1)
    raise TimeoutError("Kannel did not come up")


def test_the_compose_kannel_config_boots_and_takes_the_products_sendsms_user(kannel, tmp_path):
    status = _get(f"http://127.0.0.1:{kannel['admin']}/status.txt?password=admin-secret")
    assert status[0] == 200 and "running" in status[1]
    query = urllib.parse.urlencode({"username": "cpaas", "password": "sendsms-secret", "from": "+15005550006",
                                    "to": "+447700900123", "text": "hello"})
    url = f"http://127.0.0.1:{kannel['sendsms']}/cgi-bin/sendsms?{query}"
    code, body = _wait(lambda: _get(url), [], tmp_path)
    assert code == 202, body  # accepted (or queued for the SMSC): the sendsms-user group works
    wrong = _get(url.replace("sendsms-secret", "nope"))
    assert wrong[0] == 403
