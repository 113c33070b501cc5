"""The caller profile: who called whom, rendered as `Caller-*` (and `Other-Leg-*`) headers."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CallerProfile:
    direction: str
    caller_id_number: str = "0000000000"
    caller_id_name: str | None = None
    callee_id_name: str | None = None
    callee_id_number: str | None = None
    destination_number: str = ""
    unique_id: str = ""
    source: str = "mod_sandbox"
    context: str = "default"
    channel_name: str = ""
    dialplan: str = "xml"
    ani: str | None = None
    orig_caller_id_number: str | None = None
    #: Where the far end answered from (sofia legs, once a SIP response arrived).
    network_addr: str | None = None
    created_us: int = 0
    #: Channel times in microseconds; 0 until the thing happens (FreeSWITCH prints 0).
    times: dict = field(default_factory=lambda: dict.fromkeys(
        ("answered", "progress", "progress_media", "hangup", "transfer", "resurrect", "bridged",
         "last_hold", "hold_accum"), 0))

    def __post_init__(self):
        if self.ani is None:
            self.ani = self.caller_id_number
        if self.orig_caller_id_number is None:
            self.orig_caller_id_number = self.caller_id_number

    def flip(self):
        """switch_channel_flip_cid: after a loopback/originated answer the caller id shows the callee."""
        self.caller_id_name, self.caller_id_number, self.callee_id_name, self.callee_id_number = (
            self.callee_id_name, self.callee_id_number or self.caller_id_number, None, self.caller_id_number)

    def headers(self, prefix: str = "Caller", other_leg: bool = False) -> list[tuple[str, str]]:
        p = prefix
        out = [(f"{p}-Direction", self.direction), (f"{p}-Logical-Direction", self.direction)]
        if self.dialplan:
            out.append((f"{p}-Dialplan", self.dialplan))
        if self.caller_id_name is not None:
            out.append((f"{p}-Caller-ID-Name", self.caller_id_name))
        out += [(f"{p}-Caller-ID-Number", self.caller_id_number),
                (f"{p}-Orig-Caller-ID-Number", self.orig_caller_id_number)]
        if self.callee_id_name is not None:
            out.append((f"{p}-Callee-ID-Name", self.callee_id_name))
        if self.callee_id_number is not None:
            out.append((f"{p}-Callee-ID-Number", self.callee_id_number))
        if self.network_addr is not None:
            out.append((f"{p}-Network-Addr", self.network_addr))
        out += [(f"{p}-ANI", self.ani), (f"{p}-Destination-Number", self.destination_number),
                (f"{p}-Unique-ID", self.unique_id), (f"{p}-Source", self.source),
                (f"{p}-Context", self.context), (f"{p}-Channel-Name", self.channel_name)]
        if not other_leg:
            out.append((f"{p}-Profile-Index", "1"))
        t = self.times
        out += [(f"{p}-Profile-Created-Time", str(self.created_us)),
                (f"{p}-Channel-Created-Time", str(self.created_us)),
                (f"{p}-Channel-Answered-Time", str(t["answered"])),
                (f"{p}-Channel-Progress-Time", str(t["progress"])),
                (f"{p}-Channel-Progress-Media-Time", str(t["progress_media"])),
                (f"{p}-Channel-Hangup-Time", str(t["hangup"])),
                (f"{p}-Channel-Transfer-Time", str(t["transfer"])),
                (f"{p}-Channel-Resurrect-Time", str(t["resurrect"])),
                (f"{p}-Channel-Bridged-Time", str(t["bridged"])),
                (f"{p}-Channel-Last-Hold", str(t["last_hold"])),
                (f"{p}-Channel-Hold-Accum", str(t["hold_accum"])),
                (f"{p}-Screen-Bit", "true"), (f"{p}-Privacy-Hide-Name", "false"),
                (f"{p}-Privacy-Hide-Number", "false")]
        return out
