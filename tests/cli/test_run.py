"""`cpaas run` brings everything up on loopback, answers the API, and Ctrl-C stops every process."""
import os
import re
import signal
import subprocess
import sys
import time

import requests

from tests.support.servers import free_port, wait_for_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is as good as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_run_serves_the_api_and_stops_cleanly_on_ctrl_c(tmp_path):
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FREESWITCH_NODES", "DATABASE_URL")}
    env.update(DATA_DIR=str(tmp_path / "var"), API_PORT=str(api_port), REDIS_PORT=str(free_port()),
               SANDBOX_ESL_PORT=str(free_port()), CONTROLLER_PORT=str(free_port()), PYTHONUNBUFFERED="1")
    log = open(tmp_path / "run.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "cpaas", "run"], env=env, cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(api_port, timeout=30)
        output = _read(log)
        sid = re.search(r"Account:\s+(AC[0-9a-f]{32})", output).group(1)
        token = re.search(r"Token:\s+([0-9a-f]{32})", output).group(1)
        assert f"http://127.0.0.1:{api_port}/docs" in output
        account = requests.get(f"http://127.0.0.1:{api_port}/2010-04-01/Accounts/{sid}.json",
                               auth=(sid, token), timeout=10).json()
        assert account["sid"] == sid and account["status"] == "active"
        assert requests.get(f"http://127.0.0.1:{api_port}/docs", timeout=10).status_code == 200
        access_line = f'"GET /2010-04-01/Accounts/{sid}.json HTTP/1.1" 200'  # the access log, at INFO
        output = _eventually(lambda: _read(log), lambda out: access_line in out and all(
            f"| {name} started" in out for name in ("redis", "api", "worker", "sandbox")))
        children = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", output)]
        names = set(re.findall(r"\| (\w+) started \(pid=", output))
        assert {"redis", "api", "worker", "sandbox"} <= names, output[-3000:]
        assert access_line in output
        assert "stopped (rc=" not in output and "SIGTERM" not in output, output[-3000:]  # nothing died early
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    alive = _eventually(lambda: [pid for pid in children if _alive(pid)], lambda pids: not pids)
    assert not alive, _read(log)[-3000:]
    # A second start reuses the database and the same bootstrap account.
    assert sid in (tmp_path / "var").joinpath("cpaas.db").read_bytes().decode("latin-1")


def _eventually(get, done, timeout=10.0):
    """`get()` once `done` holds for it, or its last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    value = get()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.1)
        value = get()
    return value


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()
