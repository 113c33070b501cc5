"""`conference` api: list, mute/unmute, deaf/undeaf, kick, hold/unhold, play, record, norecord."""
from __future__ import annotations

import gevent

from cpaas.sandbox.api import command
from cpaas.sandbox.fsstrings import separate_blank

ACTIONS = {"mute": ("speak", False, "mute-member", "+OK mute {id}\n"),
           "unmute": ("speak", True, "unmute-member", "+OK unmute {id}\n"),
           "deaf": ("hear", False, "deaf-member", "+OK deaf {id}\n"),
           "undeaf": ("hear", True, "undeaf-member", "+OK undeaf {id}\n")}


def _members(room, target: str):
    if target == "all":
        return list(room.members.values())
    if target == "last":
        return [max(room.members.values(), key=lambda m: m.id)] if room.members else []
    if target.isdigit():
        member = room.members.get(int(target))
        return [member] if member else None
    return [m for m in room.members.values() if m.channel.uuid == target] or None


@command("conference")
def conference(switch, arg, listener):
    words = separate_blank(arg)  # conference_api_main splits as switch_separate_string: quotes group
    if not words:
        return "-USAGE: conference <conference_name> <command> [args]\n"
    if words[0] == "list":
        out = []
        for room in switch.conferences.values():
            out.append(f"+OK Conference {room.name} ({len(room.members)} member"
                       f"{'' if len(room.members) == 1 else 's'} rate: 8000 flags: "
                       "running|answered|enforce_min|dynamic|exit_sound|enter_sound|json_status)\n")
            out.append(room.list_lines())
        return "".join(out) if out else "No active conferences.\n"
    room = switch.conferences.get(words[0])
    if room is None:
        return f"-ERR Conference {words[0]} not found\n"
    sub = words[1] if len(words) > 1 else "list"
    if sub == "list":
        return room.list_lines()
    if sub in ACTIONS or sub in ("kick", "hup", "hold", "unhold"):
        if len(words) < 3:
            return f"-ERR Usage: {sub} <[member_id|all|last|non_moderator]>\n"
        members = _members(room, words[2])
        if not members:
            return f"-ERR Non-Existant ID {words[2]}\n"
        out = []
        for member in members:
            if sub in ACTIONS:
                flag, on, action, text = ACTIONS[sub]
                room.set_flag(member, flag, on, action)
                out.append(text.format(id=member.id))
            elif sub in ("kick", "hup"):
                room.kick(member, event=sub == "kick")
                out.append(f"+OK kicked {member.id}\n")
            else:
                member.hold = sub == "hold"
                room.fire("hold-member" if member.hold else "unhold-member", member)
                out.append(f"+OK {sub} {member.id}\n")
        return "".join(out)
    if sub == "play":
        if len(words) < 3:
            return "-ERR Usage: play <file> [async|<member_id> [nomux]]\n"
        if len(words) > 3 and words[3] != "async":
            return _play_to_member(room, words[2], words[3])
        path = words[2]
        room.fire("play-file", extra=[("File", path), ("Async", "false"), ("Error", "none")])
        room.files = [g for g in room.files if not g.dead]
        room.files.append(gevent.spawn_later(switch.clock.real(_prompt_seconds(path)), room.fire,
                                             "play-file-done", None, [("File", path)]))
        return f"+OK (play) Playing file {path}\n"
    if sub == "stop":
        return _stop(room, words[2:])
    if sub == "record":
        if len(words) < 3:
            return "-ERR Usage: record <filename>\n"
        from cpaas.sandbox.conference_record import start_recording
        start_recording(room, words[2])
        return f"Record file {words[2]}\n"
    if sub in ("norecord", "stop_record"):
        from cpaas.sandbox.conference_record import stop_recording
        stopped = stop_recording(room)
        return f"Stopped recording file {stopped}\n" if stopped else "No recordings to stop\n"
    if sub == "count":
        return f"{len(room.members)}\n"
    return f"-ERR Unknown command {sub}\n" if sub else "-ERR\n"


def _play_to_member(room, path: str, member_id: str) -> str:
    member = room.members.get(int(member_id)) if member_id.isdigit() else None
    if member is None:
        return f"Member: {member_id} not found.\n"
    seconds = _prompt_seconds(path, missing=None)
    if seconds is None:
        return f"(play) File: {path} not found.\n"
    room.play_to_member(member, path, seconds)
    return f"(play) Playing file {path} to member {member.id}\n"


def _stop(room, args: list[str]) -> str:
    """stop [current|all|async] [<member_id>]: the room's files, or those played to one member."""
    if args and args[0] not in ("current", "all", "async"):
        return "-ERR Unknown command stop\n"
    if len(args) < 2:
        playing = [g for g in room.files if not g.dead]
        gevent.killall(playing, block=False)
        room.files = []
        return f"Stopped {len(playing)} files.\n"
    member = room.members.get(int(args[1])) if args[1].isdigit() else None
    if member is None:
        return f"Member: {args[1]} not found.\n"
    return f"Stopped {room.stop_member_files(member)} files.\n"


def _prompt_seconds(path: str, missing: float | None = 0.0) -> float | None:
    from cpaas.sandbox import audio
    from cpaas.sandbox.apps.media import resolve
    try:
        prompts = resolve(path)
    except audio.MediaError:
        return missing
    total = sum(p.duration for p in prompts)
    return 0.0 if total == float("inf") else total
