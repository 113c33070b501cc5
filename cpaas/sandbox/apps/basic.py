"""Call-control applications with no media: answer, park, set, hangup, transfer, sleep, echo..."""
from __future__ import annotations

from cpaas.sandbox import causes
from cpaas.sandbox.apps import app


@app("answer")
def answer(channel, arg):
    channel.mark_answered()


@app("pre_answer")
def pre_answer(channel, arg):
    channel.mark_pre_answered()


@app("ring_ready")
def ring_ready(channel, arg):
    channel.mark_ring_ready()


@app("park")
def park(channel, arg):
    """Parked: run queued sendmsg commands until hang-up (CHANNEL_PARK ... CHANNEL_UNPARK)."""
    channel.fire("CHANNEL_PARK")
    channel.serve_commands()
    channel.fire("CHANNEL_UNPARK")


@app("echo")
def echo(channel, arg):
    channel.output = None
    channel.serve_commands()


@app("sleep")
def sleep(channel, arg):
    try:
        ms = int(arg.split()[0]) if arg.strip() else 0
    except ValueError:
        ms = 0
    channel.wait(ms / 1000.0)


def _assignments(arg: str):
    name, _, value = arg.partition("=")
    return name.strip(), value


@app("set")
def set_(channel, arg):
    name, value = _assignments(arg)
    if name:
        channel.set_var(name, value if value != "" else None)


@app("export")
def export(channel, arg):
    name, value = _assignments(arg)
    if not name:
        return
    channel.set_var(name, value if value != "" else None)
    exported = [v for v in (channel.variables.get("export_vars") or "").split(",") if v]
    if name not in exported:
        exported.append(name)
    channel.set_var("export_vars", ",".join(exported))
    peer = channel.peer()
    if peer is not None:
        peer.set_var(name, value)


@app("unset")
def unset(channel, arg):
    channel.set_var(arg.strip(), None)


@app("multiset")
def multiset(channel, arg):
    for pair in arg.split():
        name, value = _assignments(pair)
        if name:
            channel.set_var(name, value)


@app("hangup")
def hangup(channel, arg):
    channel.hangup(causes.normalise(arg.strip() or "NORMAL_CLEARING"))


@app("respond")
def respond(channel, arg):
    """respond <code> [reason]: a SIP response; 4xx-6xx refuse the call, 18x signal progress.
    A loopback leg has no SIP to answer with: the response is ignored (the A leg later sees
    NORMAL_CLEARING when the extension ends), as FreeSWITCH 1.10 does."""
    code = arg.split()[0] if arg.strip() else "200"
    if channel.name.startswith("loopback/"):
        return
    if code.startswith("18"):
        if code == "183":
            channel.mark_pre_answered()
        else:
            channel.mark_ring_ready()
        return
    if code.startswith("2"):
        channel.mark_answered()
        return
    cause = {"404": "UNALLOCATED_NUMBER", "486": "USER_BUSY", "480": "NO_USER_RESPONSE", "487": "ORIGINATOR_CANCEL",
             "603": "CALL_REJECTED", "503": "NORMAL_TEMPORARY_FAILURE", "403": "CALL_REJECTED"}.get(
        code, "CALL_REJECTED")
    channel.set_var("sip_term_status", code)
    channel.hangup_after_app(cause)


@app("send_dtmf")
def send_dtmf(channel, arg):
    channel.send_dtmf(arg.split("@")[0].strip(), source="APP")


@app("transfer")
def transfer(channel, arg):
    from cpaas.sandbox import dialplan
    words = arg.split()
    if words:
        dialplan.transfer(channel, words[0], words[2] if len(words) > 2 else "default")


@app("info", "log")
def no_op(channel, arg):
    """Applications whose only effect is a log line on the switch console."""


@app("execute_extension")
def execute_extension(channel, arg):
    from cpaas.sandbox import dialplan
    words = arg.split()
    if words:
        for sub_app, sub_arg in dialplan.extension(channel.switch, words[0]):
            if channel.hungup:
                break
            channel.execute(sub_app, sub_arg)


@app("socket")
def socket_app(channel, arg):
    from cpaas.sandbox.outbound import run_socket
    run_socket(channel, arg)
