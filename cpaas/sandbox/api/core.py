"""Switch-wide api commands: status, version, eval, show, hupall, fsctl, log, global_getvar."""
from __future__ import annotations

import json

import gevent

from cpaas.sandbox import causes
from cpaas.sandbox.api import command
from cpaas.sandbox.core import VERSION_LINE, uptime_text

LOG_LEVEL_NAMES = {"CONSOLE": 0, "ALERT": 1, "CRIT": 2, "ERR": 3, "WARNING": 4, "NOTICE": 5, "INFO": 6, "DEBUG": 7}


@command("status")
def status(switch, arg, listener):
    count = len(switch.channels)
    return (f"UP {uptime_text(switch.clock.uptime())}\n"
            "FreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n"
            f"{switch.sessions_since_startup} session(s) since startup\n"
            f"{count} session(s) - peak {switch.peak_sessions}, last 5min {switch.peak_sessions} \n"
            "0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n"
            f"{switch.max_sessions} session(s) max\n"
            "min idle cpu 0.00/99.00\n"
            "Current Stack Size/Max 240K/8192K\n")


@command("version")
def version(switch, arg, listener):
    return VERSION_LINE + "\n"


@command("uptime")
def uptime(switch, arg, listener):
    return f"{int(switch.clock.uptime())}\n"


@command("hostname")
def hostname(switch, arg, listener):
    return switch.identity.hostname


@command("eval")
def eval_(switch, arg, listener):
    values = {"hostname": switch.identity.hostname, "core_uuid": switch.identity.core_uuid,
              "switchname": switch.identity.hostname, "local_ip_v4": switch.identity.ipv4}
    out = arg
    for key, value in values.items():
        out = out.replace("${%s}" % key, value)
    return out


@command("global_getvar")
def global_getvar(switch, arg, listener):
    return {"hostname": switch.identity.hostname, "core_uuid": switch.identity.core_uuid}.get(arg.strip(), "")


@command("log")
def log_(switch, arg, listener):
    level_name, _, text = arg.partition(" ")
    level = LOG_LEVEL_NAMES.get(level_name.upper())
    if level is None:
        level, text = 7, arg
    stamp = __import__("time").strftime("%Y-%m-%d %H:%M:%S", __import__("time").localtime(switch.clock.now()))
    usec = int(switch.clock.now() * 1_000_000) % 1_000_000
    line = f"{stamp}.{usec:06d} 99.00% [{level_name.upper()}] mod_commands.c:7200 {text}\n"
    def deliver():  # after the api response, as FreeSWITCH's logger thread does
        for other in list(switch.listeners):
            other.offer_log(level, line, "mod_commands.c", "log_function", 7200)
    gevent.spawn(deliver)
    return "+OK\n"


def _channel_rows(switch, calls_only: bool = False):
    rows = []
    for channel in list(switch.channels.values()):
        profile = channel.profile
        created = int(channel.created_us / 1_000_000)
        row = {
            "uuid": channel.uuid, "direction": channel.direction,
            "created": __import__("time").strftime("%Y-%m-%d %H:%M:%S", __import__("time").localtime(created)),
            "created_epoch": str(created), "name": channel.name, "state": channel.state,
            "cid_name": profile.caller_id_name or "", "cid_num": profile.caller_id_number or "",
            "ip_addr": "", "dest": profile.destination_number, "application": channel.variables.get(
                "current_application", ""), "application_data": channel.variables.get(
                "current_application_data", ""), "dialplan": "xml", "context": profile.context,
            "read_codec": "L16", "read_rate": "8000", "read_bit_rate": "128000", "write_codec": "L16",
            "write_rate": "8000", "write_bit_rate": "128000", "secure": "", "hostname": switch.identity.hostname,
            "presence_id": "", "presence_data": "", "accountcode": "", "callstate": channel.call_state,
            "callee_name": profile.callee_id_name or "", "callee_num": profile.callee_id_number or "",
            "callee_direction": "", "call_uuid": channel.variables.get("call_uuid", channel.uuid),
            "sent_callee_name": "", "sent_callee_num": "", "initial_cid_name": profile.caller_id_name or "",
            "initial_cid_num": profile.caller_id_number or "", "initial_ip_addr": "",
            "initial_dest": profile.destination_number, "initial_dialplan": "xml",
            "initial_context": profile.context,
        }
        rows.append(row)
    return rows


@command("show")
def show(switch, arg, listener):
    words = arg.split()
    if not words:
        return "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n"
    what = words[0].lower()
    as_json = len(words) >= 3 and words[-2].lower() == "as" and words[-1].lower() == "json"
    if what not in ("channels", "calls", "detailed_calls", "bridged_calls", "detailed_bridged_calls"):
        return f"-ERR Cannot find {what}\n" if what != "status" else status(switch, "", listener)
    rows = _channel_rows(switch)
    if what != "channels":
        rows = [r for r in rows if r["direction"] == "inbound" or True]
    if "count" in (w.lower() for w in words[1:]):
        return f"\n{len(rows)} total.\n"
    if as_json:
        if not rows:
            return json.dumps({"row_count": 0}, separators=(", ", ": ")) + "\n"
        return json.dumps({"row_count": len(rows), "rows": rows}) + "\n"
    if not rows:
        return "\n0 total.\n"
    keys = list(rows[0].keys())
    lines = [",".join(keys)] + [",".join(str(r[k]) for k in keys) for r in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


@command("hupall")
def hupall(switch, arg, listener):
    words = arg.split()
    cause = causes.normalise(words[0] if words else "MANAGER_REQUEST", "MANAGER_REQUEST")
    var, value = (words[1], words[2]) if len(words) >= 3 else (None, None)
    for channel in list(switch.channels.values()):
        if var is None or channel.get_var(var) == value:
            channel.hangup(cause)
    if var is not None:
        return f"+OK hangup all channels matching [{var}]=[{value}] with cause {cause}\n"
    return f"+OK hangup all channels with cause {cause}\n"


@command("fsctl")
def fsctl(switch, arg, listener):
    words = arg.split()
    if not words:
        return "-ERR Invalid command\n"
    sub = words[0].lower()
    if sub == "max_sessions":
        if len(words) > 1 and words[1].isdigit():
            switch.max_sessions = int(words[1])
        return f"+OK max sessions: {switch.max_sessions}\n"
    if sub in ("pause", "resume", "hupall", "loglevel", "sps", "sync_clock", "flush_db_handles",
               "calibrate_clock", "debug_level", "last_sps", "reclaim_mem", "send_sighup", "shutdown"):
        if sub == "hupall":
            hupall(switch, " ".join(words[1:]), listener)
        return "+OK\n"
    return "-ERR INVALID COMMAND\nUSAGE: fsctl [recover|send_sighup|hupall|pause [inbound|outbound]|resume [inbound|outbound]|shutdown [cancel|elegant|asap|now|restart]|sps|sps_peak_reset|sync_clock|sync_clock_when_idle|reclaim_mem|max_sessions|min_dtmf_duration [num]|max_dtmf_duration [num]|default_dtmf_duration [num]|min_idle_cpu|loglevel [level]|debug_level [level]|mdns_resolve [enable|disable]]\n"
