"""A real Kannel on loopback for tests: bearerbox + smsbox, with fakesmsc playing the carrier.

Everything runs from a generated config in a temp dir on free 127.0.0.1 ports (never
the Debian service's config or ports). fakesmsc connects to bearerbox's `fake` SMSC;
what Kannel sends to the "carrier" shows up in fakesmsc's log ("Got message N: <from
to type text>"), and a line written to fakesmsc's stdin ("from to text ...") is a
message from a phone (MO). Start-up waits on the admin status page, not on sleeps.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes, unquote_to_bytes

from tests.support.servers import free_port, wait_for_port

FAKESMSC_PATHS = ("/usr/lib/kannel/test/fakesmsc", "/usr/libexec/kannel/fakesmsc")
#: Destinations starting with this are refused by the sendsms-user's black-list (a carrier-style reject).
REJECTED_PREFIX = "+1999"
_GOT = re.compile(r"Got message (\d+): <(.*)>$")
_SENT = re.compile(r"fakesmsc: sent message (\d+)")


@dataclass(frozen=True)
class CarrierMessage:
    """One message as the fake SMSC (the carrier) received it from Kannel."""

    sender: str
    receiver: str
    coding: str          # 'text', 'ucs-2', 'data' or 'udh'
    text: str
    udh: bytes = b""


def kannel_installed() -> bool:
    return bool(_binary("bearerbox") and _binary("smsbox") and _fakesmsc())


def _binary(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)),
                                      None)


def _fakesmsc() -> str | None:
    return shutil.which("fakesmsc") or next((p for p in FAKESMSC_PATHS if os.path.exists(p)), None)


class KannelHarness:
    def __init__(self, get_url: str | None = None, username: str = "cpaas", password: str = "sendsms-secret"):
        if not kannel_installed():
            raise RuntimeError("Kannel is not installed; scripts/test installs it (apt-get install kannel kannel-extras)")
        self.get_url = get_url
        """smsbox's sms-service get-url (inbound messages); may be set after construction, before start()."""
        self.username, self.password = username, password
        self.admin_password = "admin-secret"
        self.admin_port, self.smsbox_port = free_port(), free_port()
        self.smsc_port, self.sendsms_port = free_port(), free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="cpaas-kannel-")
        self.dir = Path(self._dir.name)
        self._procs: dict[str, subprocess.Popen] = {}
        self._carrier_log: list[str] = []
        self._log_changed = threading.Condition()
        self._mo_sent = 0
        self._log_start = 0
        self._write_lock = threading.Lock()

    # -- life cycle --------------------------------------------------------------------------
    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def start(self, timeout: float = 15.0) -> "KannelHarness":
        if not self.get_url:
            raise ValueError("set get_url (where smsbox delivers inbound messages) before start()")
        config = self.dir / "kannel.conf"
        config.write_text(self._config(), encoding="utf-8")
        deadline = time.monotonic() + timeout
        self._spawn("bearerbox", [_binary("bearerbox"), "-v", "1", str(config)])
        self._wait_status(lambda status: "Status: running" in status, deadline)
        self._spawn("smsbox", [_binary("smsbox"), "-v", "1", str(config)])
        self.connect_carrier(deadline)
        self._wait_status(lambda status: "smsbox:" in status and "online" in status, deadline)
        wait_for_port(self.sendsms_port, max(0.1, deadline - time.monotonic()))
        return self

    def connect_carrier(self, deadline: float | None = None) -> None:
        """Start fakesmsc (the carrier) and wait until bearerbox sees its SMSC on-line."""
        deadline = deadline or time.monotonic() + 10
        # -m -1: no automatic messages; with no message arguments fakesmsc reads MO lines from stdin.
        proc = self._spawn("fakesmsc", [_fakesmsc(), "-H", "127.0.0.1", "-r", str(self.smsc_port), "-i", "0",
                                        "-m", "-1", "-v", "0"], stdin=subprocess.PIPE, capture=True)
        self._mo_sent = 0
        with self._log_changed:
            self._log_start = len(self._carrier_log)  # fakesmsc counts from 1 again
        threading.Thread(target=self._read_carrier_log, args=(proc,), daemon=True).start()
        self._wait_status(lambda status: re.search(r"fake\[fake\]\s+FAKE:\d+ \(online", status) is not None,
                          deadline)

    def disconnect_carrier(self) -> None:
        """The carrier goes away: Kannel keeps (queues) what it is given meanwhile."""
        self._stop("fakesmsc")
        self._wait_status(lambda status: re.search(r"FAKE:\d+ \(online", status) is None, time.monotonic() + 10)

    def stop(self) -> None:
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            self._stop(name)
        self._dir.cleanup()

    def __enter__(self) -> "KannelHarness":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the carrier side ----------------------------------------------------------------------
    def inject_mo(self, sender: str, receiver: str, text: str, ucs2: bool = False, timeout: float = 10.0) -> None:
        """A phone sends `text` to `receiver`; returns once fakesmsc has passed it to Kannel."""
        if ucs2:
            line = f"{sender} {receiver} ucs2 {quote_from_bytes(text.encode('utf-16-be'))}\n"
        else:
            line = f"{sender} {receiver} text {text}\n"
        with self._write_lock:
            proc = self._procs["fakesmsc"]
            proc.stdin.write(line.encode("utf-8"))
            proc.stdin.flush()
            self._mo_sent += 1
            # fakesmsc reads stdin through stdio: one line in flight at a time keeps none stuck in its buffer.
            self._wait_log(lambda line: (m := _SENT.search(line)) and int(m.group(1)) >= self._mo_sent, timeout)

    def carrier_messages(self) -> list[CarrierMessage]:
        with self._log_changed:
            return [_parse_carrier_line(m.group(2)) for m in map(_GOT.search, self._carrier_log) if m]

    def wait_for_carrier_message(self, predicate, timeout: float = 10.0) -> CarrierMessage:
        return self.wait_for_carrier_messages(predicate, 1, timeout)[0]

    def wait_for_carrier_messages(self, predicate, count: int, timeout: float = 10.0) -> list[CarrierMessage]:
        """The first `count` messages the fake SMSC received that match `predicate`, in arrival order."""
        deadline = time.monotonic() + timeout
        with self._log_changed:
            while True:
                matching = [m for m in self.carrier_messages() if predicate(m)]
                if len(matching) >= count:
                    return matching[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(matching)}/{count} matching messages at the fake SMSC; "
                                       f"it has: {self.carrier_messages()}")
                self._log_changed.wait(remaining)

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password={self.admin_password}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace")

    def logs(self) -> str:
        """Everything the boxes logged, for assertion messages."""
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(self.dir.glob("*.log")))

    # -- internals ------------------------------------------------------------------------------
    def _config(self) -> str:
        log = self.dir
        return f"""
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = {self.admin_password}
status-password = {self.admin_password}
admin-allow-ip = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{log}/bearerbox.log"
log-level = 0
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = "{log}/smsbox.log"
log-level = 0

group = sendsms-user
username = {self.username}
password = {self.password}
concatenation = true
max-messages = 10
black-list-regex = ^\\{REJECTED_PREFIX}

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "{self.get_url}"
"""

    def _spawn(self, name: str, argv: list[str], stdin=None, capture: bool = False) -> subprocess.Popen:
        out = subprocess.PIPE if capture else open(self.dir / f"{name}.out", "wb")
        proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir,
                                start_new_session=True)
        if not capture:
            out.close()
        self._procs[name] = proc
        return proc

    def _stop(self, name: str) -> None:
        proc = self._procs.pop(name, None)
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.stdout:
            proc.stdout.close()

    def _wait_status(self, ready, deadline: float) -> None:
        last = ""
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}\n{self.logs()}")
            try:
                last = self.status()
                if ready(last):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"Kannel not ready; last status:\n{last}\n{self.logs()}")

    def _read_carrier_log(self, proc: subprocess.Popen) -> None:
        with open(self.dir / "fakesmsc.log", "ab") as copy:
            for raw in iter(proc.stdout.readline, b""):
                copy.write(raw)
                copy.flush()
                with self._log_changed:
                    self._carrier_log.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                    self._log_changed.notify_all()

    def _wait_log(self, predicate, timeout: float) -> None:
        with self._log_changed:
            if not self._log_changed.wait_for(
                    lambda: any(predicate(line) for line in self._carrier_log[self._log_start:]), timeout):
                raise TimeoutError(f"fakesmsc did not confirm the MO message\n{self.logs()}")


def _parse_carrier_line(line: str) -> CarrierMessage:
    """'from to text Hello', 'from to ucs-2 %04%36', 'from to udh %05... data %..' -> CarrierMessage."""
    sender, receiver, coding, rest = (line.split(" ", 3) + [""])[:4]
    if coding == "ucs-2":
        return CarrierMessage(sender, receiver, coding, _unquote(rest).decode("utf-16-be"))
    if coding == "data":
        return CarrierMessage(sender, receiver, coding, _unquote(rest).decode("latin-1"))
    if coding == "udh":
        udh, _, data = rest.partition(" data ")
        return CarrierMessage(sender, receiver, coding, _unquote(data).decode("latin-1"), _unquote(udh))
    return CarrierMessage(sender, receiver, coding, rest)


def _unquote(text: str) -> bytes:
    """Kannel's URL encoding: %XX bytes and '+' for a space."""
    return unquote_to_bytes(text.replace("+", " "))
