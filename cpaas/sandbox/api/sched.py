"""Scheduled tasks: sched_hangup / sched_api / sched_del (dial time limits use them)."""
from __future__ import annotations

import gevent

from cpaas.sandbox.api import command, execute
from cpaas.sandbox.apps import app


def _when(switch, spec: str) -> float:
    """'+N' = N seconds from now, 'N' = at epoch N -> simulated seconds from now."""
    if spec.startswith("+"):
        return float(spec[1:])
    if spec.startswith("@"):
        return float(spec[1:])
    return max(0.0, float(spec) - switch.clock.now())


def schedule(switch, delay: float, func, group: str = "") -> int:
    task_id = switch.next_task_id
    switch.next_task_id += 1

    def run():
        switch.scheduled.pop(task_id, None)
        func()
    switch.scheduled[task_id] = (gevent.spawn_later(switch.clock.real(delay), run), group)
    return task_id


@command("sched_hangup")
def sched_hangup(switch, arg, listener):
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: [+]<time> <uuid> [<cause>]\n"
    channel = switch.channel(words[1])
    if channel is None:
        return "-ERR No such channel!\n"
    cause = words[2] if len(words) > 2 else "ALLOTTED_TIMEOUT"
    schedule(switch, _when(switch, words[0]), lambda: channel.hangup(cause), group=channel.uuid)
    return "+OK\n"


@command("sched_api")
def sched_api(switch, arg, listener):
    words = arg.split(None, 2)
    if len(words) < 3:
        return "-USAGE: [+@]<time> <group_name> <command_string>[&]\n"
    when, group, line = words
    line = line.rstrip("&").strip()
    task_id = schedule(switch, _when(switch, when), lambda: execute(switch, line), group=group)
    return f"+OK Added: {task_id}\n"


@command("sched_del")
def sched_del(switch, arg, listener):
    key = arg.strip()
    removed = 0
    for task_id, (greenlet, group) in list(switch.scheduled.items()):
        if str(task_id) == key or group == key:
            greenlet.kill(block=False)
            switch.scheduled.pop(task_id, None)
            removed += 1
    return f"+OK Deleted: {removed}\n" if removed else "-ERR no such id\n"


@app("sched_hangup")
def sched_hangup_app(channel, arg):
    """sched_hangup [+]<time> [<cause>] as an application (e.g. execute_on_answer for time limits)."""
    words = arg.split()
    if not words:
        return None
    cause = words[1] if len(words) > 1 else "ALLOTTED_TIMEOUT"
    schedule(channel.switch, _when(channel.switch, words[0]), lambda: channel.hangup(cause), group=channel.uuid)
    return None
