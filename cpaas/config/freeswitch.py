"""FreeSWITCH deployment settings and the renderer of the production FreeSWITCH tree.

The operator edits one `.env`: the product reads it with `cpaas.config.load_settings`, and this module reads
the deployment-only part of the same mapping (SIP trunks, ESL listener, RTP ports, NAT, session limits) and
renders `freeswitch_conf/` and `dialplan/` (Jinja2 templates, every value XML-escaped) into the directory
FreeSWITCH loads. Every malformed value stops with one `SettingsError` line that names its variable.

Trunks (`SIP_TRUNKS=name ...`, then `SIP_TRUNK_<NAME>_*`) are both a sofia gateway (how we call out) and an
ACL list (who may call in). The number rules live here too, so the dialplan (inbound normalisation) and the
voice engine (outbound endpoints, caller id) follow the same per-trunk format:

    fs = load_freeswitch_settings()
    trunk = fs.route("+447700900123")             # longest SIP_TRUNK_<NAME>_ROUTES prefix wins
    trunk.endpoint("+447700900123")               # 'sofia/gateway/carrier/07700900123'
    trunk.caller_id("+442071838750")              # what goes in origination_caller_id_number

Run `python -m cpaas.config.freeswitch --out DIR` (or scripts/render_freeswitch_conf) to render.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import phonenumbers
from defusedxml import ElementTree
from dotenv import dotenv_values
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from phonenumbers import PhoneMetadata, PhoneNumberFormat

from cpaas.config import SettingsError, _Reader, load_settings

NUMBER_FORMATS = ("e164", "international", "national")
# tls would need a TLS-enabled external profile (sofia skips a tls gateway on a profile without TLS).
TRANSPORTS = ("udp", "tcp")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_DIGITS = re.compile(r"^[0-9*#]*$")
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class NumberRule:
    """One inbound normalisation step: a regex on the number as the carrier sent it, and its E.164 rewrite.

    `replacement` uses FreeSWITCH's `$N` capture syntax: the dialplan applies it verbatim."""

    expression: str
    replacement: str


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

    @property
    def calling_code(self) -> int | None:
        return _metadata(self.country).country_code if self.country else None

    def inbound_rules(self) -> tuple[NumberRule, ...]:
        """How a number this carrier sends (To or From) becomes E.164, first match wins."""
        rules = [NumberRule(r"^\+([1-9][0-9]{6,14})$", "+$1")]
        if self.country:
            rules.extend(_international_prefix_rules(self.country))
        if self.number_format == "national":
            code = self.calling_code
            prefix = _metadata(self.country).national_prefix or ""
            if prefix.isdigit():
                rules.append(NumberRule(rf"^{prefix}([1-9][0-9]{{3,13}})$", f"+{code}$1"))
            rules.append(NumberRule(r"^([1-9][0-9]{3,13})$", f"+{code}$1"))
        else:
            rules.append(NumberRule(r"^([1-9][0-9]{6,14})$", "+$1"))
        return tuple(rules)

    def dialled_number(self, e164: str) -> str:
        return self.dial_prefix + _format(e164, self.number_format, self.country, "SIP_TRUNK_*_NUMBER_FORMAT")

    def caller_id(self, e164: str) -> str:
        """The caller id number to present on this trunk for an E.164 `From`."""
        return _format(e164, self.caller_id_format, self.country, "SIP_TRUNK_*_CALLER_ID_FORMAT")

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
        if not _E164.match(e164):
            raise ValueError(f"{e164!r} is not an E.164 number")
        best: tuple[int, Trunk] | None = None
        for trunk in self.trunks:
            for prefix in trunk.routes:
                if e164.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), trunk)
        if best is None:
            raise LookupError(f"no SIP trunk routes {e164}")
        return best[1]


# --- reading settings --------------------------------------------------------------------------------------


def load_freeswitch_settings(environ: Mapping[str, str] | None = None, dotenv: str | None = ".env") -> FreeSwitchSettings:
    """Read the deployment settings from `environ` (default os.environ) over `dotenv`, like `load_settings`."""
    merged: dict[str, str] = {}
    if dotenv and Path(dotenv).is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    product = load_settings(merged, dotenv=None)
    return _read(_Reader(merged), merged, product)


def _read(env: _Reader, raw: Mapping[str, str], product) -> FreeSwitchSettings:
    esl_ip, esl_port = _listen(env, "FREESWITCH_ESL_LISTEN", "127.0.0.1:8021")
    rtp_start, rtp_end = _port_range(env, "RTP_PORT_RANGE", "16384-32768")
    sip_external = _external_ip(env, "SIP_EXTERNAL_IP")
    trunks = tuple(_trunk(env, name) for name in _names(env, "SIP_TRUNKS"))
    _check_unique_acls(trunks)
    return FreeSwitchSettings(
        controller=_controller(product.controller_advertise),
        esl_listen_ip=esl_ip,
        esl_port=esl_port,
        esl_password=_esl_password(env, product, esl_ip),
        esl_acl=_cidrs(env, "FREESWITCH_ESL_ACL", "127.0.0.0/8"),
        sip_listen_ip=_ip(env, "SIP_LISTEN_IP"),
        sip_external_ip=sip_external,
        rtp_external_ip=_external_ip(env, "RTP_EXTERNAL_IP") or sip_external,
        external_sip_port=env.int("SIP_EXTERNAL_PORT", 5080),
        external_sip_advertised_port=_optional_port(env, "SIP_EXTERNAL_ADVERTISED_PORT"),
        internal_sip_port=env.int("SIP_INTERNAL_PORT", 5060),
        rtp_start_port=rtp_start,
        rtp_end_port=rtp_end,
        max_sessions=env.int("FREESWITCH_MAX_SESSIONS", 1000, 1, 100000),
        sessions_per_second=env.int("FREESWITCH_SESSIONS_PER_SECOND", 30, 1, 10000),
        sip_domain=_hostname(env, "SIP_DOMAIN"),
        dispatcher_acl=_cidrs(env, "SIP_DISPATCHER_CIDRS", ""),
        codecs=_codecs(env, "SIP_CODECS", "PCMU PCMA"),
        log_level=env.choice("FREESWITCH_LOG_LEVEL", "info", ("debug", "info", "notice", "warning", "err")),
        trunks=trunks,
        devices=tuple(_device(env, name) for name in _names(env, "SIP_DEVICES")),
    )


def _trunk(env: _Reader, name: str) -> Trunk:
    key = f"SIP_TRUNK_{name.upper()}_"
    proxy = _text(env, key + "PROXY")
    if not proxy:
        raise SettingsError(f"{key}PROXY: required for trunk {name!r} (host[:port] of the carrier)")
    username, password = _text(env, key + "USERNAME"), _text(env, key + "PASSWORD")
    register = _bool(env, key + "REGISTER", bool(username and password))
    if register and not (username and password):
        raise SettingsError(f"{key}REGISTER: registration needs {key}USERNAME and {key}PASSWORD")
    number_format = env.choice(key + "NUMBER_FORMAT", "e164", NUMBER_FORMATS)
    country = _country(env, key + "COUNTRY")
    if number_format == "national" and not country:
        raise SettingsError(f"{key}COUNTRY: required when {key}NUMBER_FORMAT=national")
    caller_id_format = env.choice(key + "CALLER_ID_FORMAT", number_format, NUMBER_FORMATS)
    if caller_id_format == "national" and not country:
        raise SettingsError(f"{key}COUNTRY: required when {key}CALLER_ID_FORMAT=national")
    prefix = env.str(key + "PREFIX", "")
    if not _DIGITS.match(prefix):
        raise SettingsError(f"{key}PREFIX: {prefix!r} may hold only digits, * and #")
    return Trunk(
        name=name, proxy=_host_port(proxy, key + "PROXY"), username=username, password=password, register=register,
        transport=env.choice(key + "TRANSPORT", "udp", TRANSPORTS), realm=_text(env, key + "REALM"),
        from_domain=_text(env, key + "FROM_DOMAIN"), acl=_trunk_acl(env, key + "ACL", proxy),
        number_format=number_format, caller_id_format=caller_id_format, country=country, dial_prefix=prefix,
        routes=_routes(env, key + "ROUTES"),
    )


def _device(env: _Reader, name: str) -> Device:
    variable = f"SIP_DEVICE_{name.upper()}_PASSWORD"
    password = _text(env, variable)
    if not password or len(password) < 8:
        raise SettingsError(f"{variable}: required, at least 8 characters")
    return Device(name=name, password=password)


def _names(env: _Reader, variable: str) -> list[str]:
    names = [n.lower() for n in (env.str(variable) or "").replace(",", " ").split()]
    for name in names:
        if not _NAME.match(name):
            raise SettingsError(f"{variable}: {name!r} must be a letter then letters, digits or _ (32 at most)")
    if len(set(names)) != len(names):
        raise SettingsError(f"{variable}: a name is listed twice")
    return names


def _text(env: _Reader, variable: str) -> str | None:
    """Free text that ends up in XML: refuse what FreeSWITCH would expand or what cannot sit in an attribute."""
    value = env.str(variable)
    if value is None:
        return None
    if "${" in value or any(ord(c) < 32 for c in value):
        raise SettingsError(f"{variable}: may not contain '${{' or control characters")
    return value


def _bool(env: _Reader, variable: str, default: bool) -> bool:
    raw = env.str(variable)
    if raw is None:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise SettingsError(f"{variable}: {raw!r} is not true or false")


def _ip(env: _Reader, variable: str) -> str | None:
    raw = env.str(variable)
    if raw is None:
        return None
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise SettingsError(f"{variable}: {raw!r} is not an IP address") from None


def _external_ip(env: _Reader, variable: str) -> str | None:
    """What sofia advertises in SIP/SDP behind NAT: the public IP, or `auto-nat` (UPnP/NAT-PMP discovery).

    sofia resolves `stun:` for ext-sip-ip but copies ext-rtp-ip verbatim into SDP, so STUN is refused here."""
    raw = env.str(variable)
    if raw is None or raw == "auto-nat":
        return raw
    return _ip(env, variable)


def _optional_port(env: _Reader, variable: str) -> int | None:
    if env.str(variable) is None:
        return None
    return env.int(variable, 0)


def _hostname(env: _Reader, variable: str) -> str | None:
    raw = env.str(variable)
    if raw is not None and not _HOSTNAME.match(raw):
        raise SettingsError(f"{variable}: {raw!r} is not a host name")
    return raw


def _host_port(text: str, variable: str) -> str:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not _HOSTNAME.match(host) or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise SettingsError(f"{variable}: {text!r} is not host[:port]")
    return text


def _listen(env: _Reader, variable: str, default: str) -> tuple[str, int]:
    raw = env.str(variable, default)
    host, _, port = raw.rpartition(":")
    try:
        return str(ipaddress.ip_address(host)), int(port)
    except ValueError:
        raise SettingsError(f"{variable}: {raw!r} is not ip:port") from None


def _controller(advertise: str) -> str:
    host, _, port = advertise.rpartition(":")
    if not host or not port.isdigit() or not _HOSTNAME.match(host):
        raise SettingsError(f"CONTROLLER_ADVERTISE: {advertise!r} is not host:port")
    return advertise


def _esl_password(env: _Reader, product, listen_ip: str) -> str:
    """One secret, two readers: FREESWITCH_ESL_PASSWORD, else the password the app uses in FREESWITCH_NODES."""
    password = _text(env, "FREESWITCH_ESL_PASSWORD")
    if password is None:
        node_passwords = {node.password for node in product.freeswitch_nodes}
        if len(node_passwords) > 1:
            raise SettingsError("FREESWITCH_ESL_PASSWORD: required when FREESWITCH_NODES use different passwords")
        password = node_passwords.pop() if node_passwords else "ClueCon"
    if password == "ClueCon" and not ipaddress.ip_address(listen_ip).is_loopback:
        raise SettingsError("FREESWITCH_ESL_PASSWORD: the default ClueCon is refused when ESL listens beyond loopback")
    if any(c.isspace() for c in password):
        raise SettingsError("FREESWITCH_ESL_PASSWORD: may not contain spaces")
    return password


def _cidrs(env: _Reader, variable: str, default: str) -> tuple[str, ...]:
    out = []
    for item in (env.str(variable, default) or "").replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(f"{variable}: {item!r} is not an address or CIDR") from None
    return tuple(out)


def _trunk_acl(env: _Reader, variable: str, proxy: str) -> tuple[str, ...]:
    """Given CIDRs, else the proxy when it is an IP literal (a host name cannot be an ACL: list its addresses)."""
    if env.str(variable):
        return _cidrs(env, variable, "")
    host = proxy.rpartition(":")[0] if proxy.count(":") == 1 else proxy
    try:
        return (str(ipaddress.ip_network(host)),)
    except ValueError:
        return ()


def _check_unique_acls(trunks: tuple[Trunk, ...]) -> None:
    """Sofia stops at the first ACL that admits an address, so one address in two trunks would be misattributed."""
    seen: dict[str, str] = {}
    for trunk in trunks:
        for cidr in trunk.acl:
            network = ipaddress.ip_network(cidr)
            for other_cidr, other in seen.items():
                if other != trunk.name and network.overlaps(ipaddress.ip_network(other_cidr)):
                    raise SettingsError(
                        f"SIP_TRUNK_{trunk.name.upper()}_ACL: {cidr} overlaps trunk {other!r} ({other_cidr})")
            seen[cidr] = trunk.name


def _routes(env: _Reader, variable: str) -> tuple[str, ...]:
    routes = tuple((env.str(variable, "+") or "+").replace(",", " ").split())
    for route in routes:
        if not re.match(r"^\+[0-9]*$", route):
            raise SettingsError(f"{variable}: {route!r} is not an E.164 prefix like +44 or +")
    return routes


def _country(env: _Reader, variable: str) -> str | None:
    raw = env.str(variable)
    if raw is None:
        return None
    region = raw.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(f"{variable}: {raw!r} is not an ISO 3166 country code like GB or US")
    return region


def _port_range(env: _Reader, variable: str, default: str) -> tuple[int, int]:
    raw = env.str(variable, default)
    try:
        start, end = (int(p) for p in raw.split("-"))
    except ValueError:
        raise SettingsError(f"{variable}: {raw!r} is not of the form START-END") from None
    if not 1024 <= start < end <= 65535:
        raise SettingsError(f"{variable}: {raw!r} must be 1024..65535 with START < END")
    return start, end


def _codecs(env: _Reader, variable: str, default: str) -> tuple[str, ...]:
    codecs = tuple(env.str(variable, default).replace(",", " ").split())
    for codec in codecs:
        if not re.match(r"^[A-Za-z0-9.@_-]+$", codec):
            raise SettingsError(f"{variable}: {codec!r} is not a codec name")
    return codecs


# --- numbers -----------------------------------------------------------------------------------------------


def _metadata(region: str) -> PhoneMetadata:
    return PhoneMetadata.metadata_for_region(region)


def _international_prefix_rules(region: str) -> list[NumberRule]:
    """`00…`/`011…` (the country's exit code, as libphonenumber knows it) means the rest is CC + number."""
    idd = _metadata(region).international_prefix
    if not idd:
        return []
    groups = re.compile(idd).groups
    return [NumberRule(rf"^(?:{idd})([1-9][0-9]{{6,14}})$", f"+${groups + 1}")]


def _format(e164: str, style: str, country: str | None, variable: str) -> str:
    if not _E164.match(e164):
        raise ValueError(f"{e164!r} is not an E.164 number")
    if style == "e164":
        return e164
    if style == "international":
        return e164[1:]
    number = phonenumbers.parse(e164)
    if number.country_code == _metadata(country).country_code:
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    else:
        text = phonenumbers.format_out_of_country_calling_number(number, country)
    return re.sub(r"[^0-9]", "", text)


# --- rendering ---------------------------------------------------------------------------------------------


def project_root() -> Path:
    """Where freeswitch_conf/ and dialplan/ live: the working directory if it has them, else this checkout."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (candidate / "freeswitch_conf").is_dir() and (candidate / "dialplan").is_dir():
            return candidate
    raise FileNotFoundError("freeswitch_conf/ and dialplan/ not found (run from the project root or pass --templates)")


def render(settings: FreeSwitchSettings, out_dir: Path, templates: Path | None = None) -> list[Path]:
    """Render freeswitch_conf/** into out_dir and dialplan/** into out_dir/dialplan; return the files written.

    Every file is parsed after rendering, so a template or value that breaks the XML fails here, not in
    FreeSWITCH's log."""
    root = templates or project_root()
    sources = [(root / "freeswitch_conf", Path(".")), (root / "dialplan", Path("dialplan"))]
    written = []
    for source, target in sources:
        environment = _environment(source)
        for template_path in sorted(source.rglob("*.xml")):
            relative = template_path.relative_to(source)
            text = environment.get_template(relative.as_posix()).render(fs=settings)
            _check_well_formed(text, relative)
            destination = out_dir / target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
            written.append(destination)
    return written


def _environment(source: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(source)), autoescape=True, undefined=StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )


def _check_well_formed(text: str, name: Path) -> None:
    try:
        ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise SettingsError(f"rendering {name}: not well-formed XML ({exc})") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="render_freeswitch_conf", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="directory FreeSWITCH loads (its conf dir)")
    parser.add_argument("--env-file", default=".env", help="dotenv file read under the environment (default .env)")
    parser.add_argument("--templates", type=Path, help="project root holding freeswitch_conf/ and dialplan/")
    args = parser.parse_args(argv)
    try:
        settings = load_freeswitch_settings(dotenv=args.env_file)
        written = render(settings, args.out, args.templates)
    except SettingsError as exc:
        print(f"render_freeswitch_conf: configuration error: {exc}", file=sys.stderr)
        return 2
    trunks = ", ".join(t.name for t in settings.trunks) or "none"
    print(f"render_freeswitch_conf: wrote {len(written)} files to {args.out} (trunks: {trunks}; "
          f"controller {settings.controller})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
