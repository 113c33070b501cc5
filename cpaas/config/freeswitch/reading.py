"""The deployment settings from the environment (and `.env`), validated: one SettingsError line per mistake."""
from __future__ import annotations

import ipaddress
import re
from typing import Mapping

import phonenumbers

from cpaas.config import SettingsError, _Reader, load_settings, merged_environ
from cpaas.config.freeswitch.model import Device, FreeSwitchSettings, Trunk
from cpaas.config.freeswitch.numbers import NUMBER_FORMATS

# tls would need a TLS-enabled external profile (sofia skips a tls gateway on a profile without TLS).
TRANSPORTS = ("udp", "tcp")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_DIGITS = re.compile(r"^[0-9*#]*$")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def load_freeswitch_settings(environ: Mapping[str, str] | None = None, dotenv: str | None = ".env") -> FreeSwitchSettings:
    """Read the deployment settings from `environ` (default os.environ) over `dotenv`, like `load_settings`."""
    merged = merged_environ(environ, dotenv)
    product = load_settings(merged, dotenv=None)
    return _read(_Reader(merged), product)


def _read(env: _Reader, product) -> FreeSwitchSettings:
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
