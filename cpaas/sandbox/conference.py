"""mod_conference, as far as the product uses it: rooms, members, flags, and the
conference::maintenance events (conference-create/destroy, add/del-member, mute, deaf, kick...).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gevent

SUBCLASS = "conference::maintenance"
CALLING = {
    "conference-create": ("conference.c", "conference_new", 3270),
    "conference-destroy": ("conference.c", "conference_thread_run", 681),
    "add-member": ("conference_member.c", "conference_member_add", 962),
    "del-member": ("conference_member.c", "conference_member_del", 1412),
    "mute-member": ("conference_api.c", "conference_api_sub_mute", 372),
    "unmute-member": ("conference_api.c", "conference_api_sub_unmute", 467),
    "deaf-member": ("conference_api.c", "conference_api_sub_deaf", 580),
    "undeaf-member": ("conference_api.c", "conference_api_sub_undeaf", 618),
    "kick-member": ("conference_api.c", "conference_api_sub_kick", 767),
    "hold-member": ("conference_api.c", "conference_api_sub_hold", 1057),
    "unhold-member": ("conference_api.c", "conference_api_sub_unhold", 1103),
    "play-file": ("conference_file.c", "conference_file_play", 268),
    "play-file-done": ("conference_file.c", "conference_file_close", 95),
    "start-recording": ("conference_record.c", "conference_record_thread_run", 242),
    "stop-recording": ("conference_record.c", "conference_record_thread_run", 420),
    "floor-change": ("conference_member.c", "conference_member_set_floor_holder", 1158),
}


@dataclass
class Member:
    id: int
    channel: object
    flags: set = field(default_factory=lambda: {"hear", "speak"})
    kicked: bool = False
    hold: bool = False
    #: Files played to this member alone, in order: (path, simulated seconds); the first is playing.
    files: list = field(default_factory=list)
    player: object = None


@dataclass
class Conference:
    switch: object
    name: str
    profile: str
    uuid: str
    domain: str = "127.0.0.1"
    members: dict = field(default_factory=dict)
    next_member_id: int = 1
    flags: set = field(default_factory=lambda: {"running", "answered", "enforce_min", "dynamic"})
    recording: object = None
    files: list = field(default_factory=list)  # files played to the whole room (each ends in a greenlet)

    # ---- events -----------------------------------------------------------------------------
    def _conference_headers(self) -> list[tuple[str, str]]:
        return [("Conference-Name", self.name), ("Conference-Domain", self.domain),
                ("Conference-Size", str(len(self.members))), ("Conference-Ghosts", "0"),
                ("Conference-Profile-Name", self.profile), ("Conference-Unique-ID", self.uuid)]

    def member_headers(self, member: Member) -> list[tuple[str, str]]:
        ch = member.channel
        headers = [("Floor", "true" if self.floor_holder() is member else "false")]
        headers += ch.channel_headers(with_vars=False, other=False)
        headers += [("Video", "false"), ("Hear", _tf("hear" in member.flags)), ("See", "true"),
                    ("Speak", _tf("speak" in member.flags)), ("Talking", "false"), ("Mute-Detect", "false"),
                    ("Hold", _tf(member.hold)), ("Member-ID", str(member.id)),
                    ("Member-Type", "moderator" if "moderator" in member.flags else "member"),
                    ("Member-Ghost", "false"), ("Energy-Level", "100"), ("Current-Energy", "0")]
        return headers

    def fire(self, action: str, member: Member | None = None, extra=()) -> None:
        headers = self._conference_headers()
        if member is not None:
            headers += self.member_headers(member)
        headers += [("Action", action)] + list(extra)
        self.switch.fire_custom(SUBCLASS, headers, channel_uuid=member.channel.uuid if member else None,
                                calling=CALLING.get(action))

    # ---- membership ---------------------------------------------------------------------------
    def floor_holder(self) -> Member | None:
        return min(self.members.values(), key=lambda m: m.id) if self.members else None

    def add(self, channel, flags: set) -> Member:
        member = Member(self.next_member_id, channel)
        self.next_member_id += 1
        if "mute" in flags:
            member.flags.discard("speak")
        if "deaf" in flags:
            member.flags.discard("hear")
        member.flags |= flags & {"moderator", "endconf", "mintwo"}
        self.members[member.id] = member
        channel.set_var("conference_name", self.name)
        channel.set_var("conference_member_id", member.id)
        channel.set_var("conference_uuid", self.uuid)
        channel.set_var("read_codec", "L16")  # joining sets the member's codec up again
        channel.set_var("read_rate", "8000")
        self.fire("add-member", member)
        return member

    def remove(self, member: Member) -> None:
        if self.members.pop(member.id, None) is None:
            return
        self.stop_member_files(member)
        self.fire("del-member", member)
        if "endconf" in member.flags:
            for other in list(self.members.values()):
                self.kick(other, event=False)
        if not self.members:
            self.fire("conference-destroy")
            self.switch.conferences.pop(self.name, None)

    def play_to_member(self, member: Member, path: str, seconds: float) -> None:
        """conference_member_play_file: mixed into what this member alone hears, after any file
        already playing to it; play-file-member now, play-file-member-done when it has played out."""
        member.files.append((path, seconds))
        self.fire("play-file-member", member, [("File", path)])
        if member.player is None or member.player.dead:
            member.player = gevent.spawn(self._play_member_files, member)

    def _play_member_files(self, member: Member) -> None:
        while member.files and member.id in self.members:
            path, seconds = member.files[0]
            gevent.sleep(self.switch.clock.real(seconds))
            member.files.pop(0)
            self.fire("play-file-member-done", member, [("File", path)])

    def stop_member_files(self, member: Member) -> int:
        """conference_member_stop_file (all): the files are dropped, with no done event."""
        if member.player is not None and member.player is not gevent.getcurrent():
            member.player.kill(block=False)
        member.player = None
        stopped, member.files = len(member.files), []
        return stopped

    def kick(self, member: Member, event: bool = True) -> None:
        member.kicked = True
        if event:
            self.fire("kick-member", member)
        member.channel.break_media()

    def set_flag(self, member: Member, flag: str, on: bool, action: str) -> None:
        if on:
            member.flags.add(flag)
        else:
            member.flags.discard(flag)
        self.fire(action, member)

    def list_lines(self) -> str:
        lines = []
        holder = self.floor_holder()
        for member in sorted(self.members.values(), key=lambda m: -m.id):
            ch = member.channel
            flags = [f for f in ("hear", "speak") if f in member.flags]
            if "speak" in member.flags:
                flags.append("talking")
            if member is holder:
                flags.append("floor")
            if "moderator" in member.flags:
                flags.append("moderator")
            name = ch.profile.caller_id_name or ""
            lines.append(f"{member.id};{ch.name};{ch.uuid};{name};{ch.profile.caller_id_number};"
                         f"{'|'.join(flags)};0;0;100\n")
        return "".join(lines)


def _tf(value: bool) -> str:
    return "true" if value else "false"


def get_or_create(switch, name: str, profile: str) -> Conference:
    conference = switch.conferences.get(name)
    if conference is None:
        conference = Conference(switch, name, profile, switch.new_uuid())
        switch.conferences[name] = conference
        conference.fire("conference-create")
    return conference
