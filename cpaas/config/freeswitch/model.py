"""What the deployment settings describe: SIP trunks, device accounts, and the FreeSWITCH node itself."""
from __future__ import annotations

from dataclasses import dataclass

from cpaas.config.freeswitch.numbers import E164, NumberRule, format_number, inbound_rules

__all__ = ["Device", "FreeSwitchSettings", "NumberRule", "Trunk"]


@dataclass(frozen=True)
class Trunk:
    name: str
    proxy: str
    username: str | None
    password: str | None
    register: bool
    transport: str
    realm: str | None
    from_domain: str | None
    acl: tuple[str, ...]
    number_format: str
    caller_id_format: str
    country: str | None
    dial_prefix: str
    routes: tuple[str, ...]

    @property
    def acl_name(self) -> str:
        """The acl.conf list that admits this trunk's INVITEs; sofia reports it as `sip_acl_authed_by`."""
        return f"cpaas_trunk_{self.name}"

    @property
    def accepts_inbound(self) -> bool:
        return bool(self.acl)

    def inbound_rules(self) -> tuple[NumberRule, ...]:
        """How a number this carrier sends (To or From) becomes E.164, first match wins."""
        return inbound_rules(self.number_format, self.country)

    def dialled_number(self, e164: str) -> str:
        return self.dial_prefix + format_number(e164, self.number_format, self.country)

    def caller_id(self, e164: str) -> str:
        """The caller id number to present on this trunk for an E.164 `From`."""
        return format_number(e164, self.caller_id_format, self.country)

    def endpoint(self, e164: str) -> str:
        """The dial string for originate and bridge: `sofia/gateway/<trunk>/<prefix><number as the carrier wants>`."""
        return f"sofia/gateway/{self.name}/{self.dialled_number(e164)}"


@dataclass(frozen=True)
class Device:
    """A SIP account on the internal profile (phones that register to us)."""

    name: str
    password: str


@dataclass(frozen=True)
class FreeSwitchSettings:
    controller: str
    esl_listen_ip: str
    esl_port: int
    esl_password: str
    esl_acl: tuple[str, ...]
    sip_listen_ip: str | None
    sip_external_ip: str | None
    rtp_external_ip: str | None
    external_sip_port: int
    #: The port carriers reach the external profile on when a NAT or port mapping changes it (ext-sip-port).
    external_sip_advertised_port: int | None
    internal_sip_port: int
    rtp_start_port: int
    rtp_end_port: int
    max_sessions: int
    sessions_per_second: int
    sip_domain: str | None
    dispatcher_acl: tuple[str, ...]
    codecs: tuple[str, ...]
    log_level: str
    trunks: tuple[Trunk, ...]
    devices: tuple[Device, ...]

    def trunk(self, name: str) -> Trunk:
        for trunk in self.trunks:
            if trunk.name == name:
                return trunk
        raise KeyError(name)

    def route(self, e164: str) -> Trunk:
        """The trunk for an outbound call: the longest matching route prefix, ties to the first in SIP_TRUNKS."""
        if not E164.match(e164):
            raise ValueError(f"{e164!r} is not an E.164 number")
        best: tuple[int, Trunk] | None = None
        for trunk in self.trunks:
            for prefix in trunk.routes:
                if e164.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), trunk)
        if best is None:
            raise LookupError(f"no SIP trunk routes {e164}")
        return best[1]
