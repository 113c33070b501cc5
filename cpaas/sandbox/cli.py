"""`cpaas sandbox`: run the sandbox switch, or script an inbound call into a running one."""
from __future__ import annotations

import logging
import shlex
import socket
import sys

import click


def _ctx_settings(ctx):
    obj = ctx.find_object(object) if ctx else None
    return getattr(obj, "settings", None)


@click.group("sandbox", invoke_without_command=True)
@click.option("--host", default=None, help="Address to listen on (default: SANDBOX_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: SANDBOX_PORT).")
@click.option("--password", default=None, help="Event Socket password (default: SANDBOX_PASSWORD).")
@click.option("--controller", default=None, help="host:port the socket application dials "
                                                 "(default: CONTROLLER_ADVERTISE).")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Clock speed: 10 makes a 60 s call last 6 s.")
@click.pass_context
def sandbox(ctx, host, port, password, controller, speed):
    """The sandbox switch: an Event Socket peer that behaves like FreeSWITCH 1.10."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _ctx_settings(ctx)
    if settings is None:
        from cpaas.config import load_settings
        settings = load_settings()
    serve(host or settings.sandbox_host, port if port is not None else settings.sandbox_port,
          password or settings.sandbox_password, controller or settings.controller_advertise, speed)


def serve(host: str, port: int, password: str, controller: str, speed: float, log_level: str = "INFO") -> None:
    from gevent import monkey
    if not monkey.is_module_patched("socket"):
        monkey.patch_all()
    from cpaas.config.gc_policy import CollectionPolicy
    from cpaas.sandbox.server import SandboxSwitch
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    switch = SandboxSwitch(host=host, port=port, password=password, controller=controller, speed=speed)
    switch.start()
    collection = CollectionPolicy().start()  # a FreeSWITCH never stops every channel for a collection
    # One line on stdout says where we listen (tests and scripts wait for it).
    print(f"sandbox listening {switch.host}:{switch.port}", flush=True)
    try:
        switch.serve_forever()
    except KeyboardInterrupt:
        switch.stop()
    finally:
        collection.stop()


def _api(host: str, port: int, password: str, command: str, timeout: float = 10.0) -> str:
    """Send one api command over a plain ESL connection and return its output."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        reader = sock.makefile("rb")

        def read_frame():
            headers = {}
            while True:
                line = reader.readline()
                if not line:
                    raise ConnectionError("sandbox closed the connection")
                line = line.decode().rstrip("\n")
                if not line:
                    if headers:
                        break
                    continue
                key, _, value = line.partition(": ")
                headers[key] = value
            body = reader.read(int(headers["Content-Length"])) if "Content-Length" in headers else b""
            return headers, body.decode()
        read_frame()  # auth/request
        sock.sendall(f"auth {password}\n\n".encode())
        headers, _ = read_frame()
        if not headers.get("Reply-Text", "").startswith("+OK"):
            raise click.ClickException("sandbox refused the password")
        sock.sendall(f"api {command}\n\n".encode())
        while True:
            headers, body = read_frame()
            if headers.get("Content-Type") == "api/response":
                return body


@sandbox.command("call")
@click.option("--from", "from_", required=True, help="Caller number, e.g. +15551230000.")
@click.option("--to", required=True, help="Called number (one of your phone numbers).")
@click.option("--dtmf", default=None, help='Digits the caller presses after answer, e.g. "1@2s,23#@5s".')
@click.option("--say", default=None, help='What the caller says after answer, for speech recognition, e.g. '
                                         '"yes please@2s" (several: "yes@2s,no@9s"; a confidence: "yes@2s:0.6").')
@click.option("--hangup-after", default=None, help="The caller hangs up this long after answer, e.g. 10s.")
@click.option("--audio", default=None, help="What the caller sends: speech:3s, tone:440:2s, wav:/path.wav.")
@click.option("--trunk", default="sandbox", show_default=True)
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--password", default=None)
@click.pass_context
def call(ctx, from_, to, dtmf, say, hangup_after, audio, trunk, host, port, password):
    """Send a scripted inbound call through a running sandbox switch."""
    settings = _ctx_settings(ctx)
    if settings is None:
        from cpaas.config import load_settings
        settings = load_settings()
    parts = ["sandbox_call", "--from", from_, "--to", to, "--trunk", trunk]
    for name, value in (("--dtmf", dtmf), ("--say", say), ("--hangup-after", hangup_after), ("--audio", audio)):
        if value:
            parts += [name, value]
    command = " ".join(shlex.quote(p) for p in parts)
    try:
        output = _api(host or settings.sandbox_host, port or settings.sandbox_port,
                      password or settings.sandbox_password, command)
    except OSError as exc:
        raise click.ClickException(f"cannot reach the sandbox switch: {exc}") from None
    click.echo(output.rstrip("\n"))
    if not output.startswith("+OK"):
        sys.exit(1)
