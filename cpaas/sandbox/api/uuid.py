"""uuid_* api commands: act on one live channel."""
from __future__ import annotations

import gevent

from cpaas.sandbox.api import command
from cpaas.sandbox.channel import Command

NO_SUCH = "-ERR No such channel!\n"


def _split(arg: str, n: int) -> list[str]:
    return arg.split(None, n - 1) if arg else []


@command("uuid_kill")
def uuid_kill(switch, arg, listener):
    words = arg.split()
    if not words:
        return "-USAGE: <uuid> [cause]\n"
    channel = switch.channel(words[0])
    if channel is None or channel.hungup:
        return NO_SUCH
    cause = words[1] if len(words) > 1 else "NORMAL_CLEARING"
    if channel.originating:
        channel.pending_kill = cause
        channel._wake.set()
    else:
        channel.hangup(cause)
    return "+OK\n"


@command("uuid_exists")
def uuid_exists(switch, arg, listener):
    return "true" if switch.channel(arg.strip()) is not None else "false"


@command("uuid_getvar")
def uuid_getvar(switch, arg, listener):
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <var>\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    value = channel.get_var(words[1])
    return "_undef_" if value is None else value


@command("uuid_setvar")
def uuid_setvar(switch, arg, listener):
    words = _split(arg, 3)
    if len(words) < 2:
        return "-USAGE: <uuid> <var> [value]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    channel.set_var(words[1], words[2] if len(words) > 2 else None)
    return "+OK\n"


@command("uuid_setvar_multi")
def uuid_setvar_multi(switch, arg, listener):
    words = _split(arg, 2)
    if len(words) < 2:
        return "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    for pair in words[1].split(";"):
        name, _, value = pair.partition("=")
        if name:
            channel.set_var(name.strip(), value if value else None)
    return "+OK\n"


@command("uuid_break")
def uuid_break(switch, arg, listener):
    words = arg.split()
    if not words:
        return "-USAGE: <uuid> [all]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    channel.break_media(all_=len(words) > 1 and words[1] == "all")
    return "+OK\n"


@command("uuid_send_dtmf")
def uuid_send_dtmf(switch, arg, listener):
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <dtmf_data>\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    digits = words[1].split("@")[0]
    channel.send_dtmf(digits)
    return f"+OK {channel.uuid} sent DTMF {digits}.\n"


@command("uuid_recv_dtmf")
def uuid_recv_dtmf(switch, arg, listener):
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <dtmf_data>\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    digits = words[1].split("@")[0]
    gevent.spawn(channel.receive_dtmf_paced, digits, "APP")
    return f"+OK {channel.uuid} received DTMF {digits}.\n"


@command("uuid_answer")
def uuid_answer(switch, arg, listener):
    channel = switch.channel(arg.strip())
    if channel is None:
        return NO_SUCH
    channel.mark_answered()
    return "+OK\n"


@command("uuid_pre_answer")
def uuid_pre_answer(switch, arg, listener):
    channel = switch.channel(arg.strip())
    if channel is None:
        return NO_SUCH
    channel.mark_pre_answered()
    return "+OK\n"


@command("uuid_park")
def uuid_park(switch, arg, listener):
    channel = switch.channel(arg.strip())
    if channel is None:
        return NO_SUCH
    channel.break_media(all_=True)
    return "+OK\n"


@command("uuid_hold")
def uuid_hold(switch, arg, listener):
    words = arg.split()
    mode = "on"
    if words and words[0] in ("off", "toggle"):
        mode = words.pop(0)
    if not words:
        return "-USAGE: [off|toggle] <uuid> [<display>]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    held = channel.variables.get("sandbox_on_hold") == "true"
    hold = {"on": True, "off": False, "toggle": not held}[mode]
    if hold != held:
        channel.set_var("sandbox_on_hold", "true" if hold else None)
        channel.fire("CHANNEL_HOLD" if hold else "CHANNEL_UNHOLD")
        channel.set_callstate("HELD" if hold else "ACTIVE")
    return "+OK Success\n"


@command("uuid_audio")
def uuid_audio(switch, arg, listener):
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    if words[1] == "stop":
        channel.set_var("sandbox_muted", None)
    elif "mute" in words:
        direction = words[2] if len(words) > 2 else "read"
        level = words[-1] if words[-1].lstrip("-").isdigit() else "1"
        channel.set_var("sandbox_muted", direction if level != "0" else None)
    return "+OK\n"


@command("uuid_broadcast")
def uuid_broadcast(switch, arg, listener):
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <path> [aleg|bleg|both]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    path = words[1]
    app, _, app_arg = path.partition("::")
    if app_arg:
        app_arg = app_arg.replace("::", " ")
        command_obj = Command("execute", app, app_arg)
    else:
        command_obj = Command("execute", "playback", path)
    targets = [channel]
    leg = words[2] if len(words) > 2 else "aleg"
    if leg in ("bleg", "both") and channel.peer() is not None:
        targets = [channel.peer()] if leg == "bleg" else [channel, channel.peer()]
    for target in targets:
        target.break_media()
        target.queue_command(command_obj)
    return "+OK Message sent\n"


@command("uuid_transfer")
def uuid_transfer(switch, arg, listener):
    from cpaas.sandbox import dialplan
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    rest = words[1:]
    if rest[0] in ("-bleg", "-both"):
        if rest[0] == "-bleg" and channel.peer() is not None:
            channel = channel.peer()
        rest = rest[1:]
    dialplan.transfer(channel, rest[0], rest[2] if len(rest) > 2 else "default")
    return "+OK\n"


@command("uuid_bridge")
def uuid_bridge(switch, arg, listener):
    from cpaas.sandbox.apps.bridge import bridge_existing
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> <other_uuid>\n"
    a, b = switch.channel(words[0]), switch.channel(words[1])
    if a is None or b is None:
        return "-ERR Invalid uuid\n"
    bridge_existing(a, b)
    return f"+OK {b.uuid}\n"


@command("uuid_record")
def uuid_record(switch, arg, listener):
    from cpaas.sandbox.apps.record import mask_session_recording, start_session_recording, stop_session_recording
    words = arg.split()
    if len(words) < 3:
        return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
    channel = switch.channel(words[0])
    if channel is None:
        return NO_SUCH
    action, path = words[1], words[2]
    if action == "start":
        limit = float(words[3]) if len(words) > 3 and words[3].isdigit() else 0
        start_session_recording(channel, path, limit)
    elif action == "stop":
        stop_session_recording(channel, path)
    elif action in ("mask", "unmask"):
        if not mask_session_recording(channel, path, action == "mask"):
            return f"-ERR Cannot locate media bug for {path}\n"
    else:
        return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"
    return "+OK Success\n"
