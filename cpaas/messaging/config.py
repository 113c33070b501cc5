"""Messaging settings from the environment: which SMS gateways exist, who uses which, and the send rates.

    SMS_GATEWAYS=kannel1 acme             names, in order (default: one gateway named "sandbox")
    SMS_DEFAULT_GATEWAY=kannel1           used when no number/account rule matches (default: the first)
    SMS_RATE_LIMIT=100/hour               per sending number; over it messages wait, never drop
    SMS_SEND_ATTEMPTS=6                   tries per message before it ends failed
    SMS_RETRY_BASE_DELAY=5                seconds before the first retry, doubling up to SMS_RETRY_MAX_DELAY
    SMS_RETRY_MAX_DELAY=600
    SMS_GATEWAY_<NAME>_TYPE=sandbox|kannel|http
    SMS_GATEWAY_<NAME>_URL, _USERNAME, _PASSWORD, _TIMEOUT (seconds), _RATE (N per second, or N/minute…)
    SMS_GATEWAY_<NAME>_NUMBERS=+1555… +4420*   senders routed here (a trailing * matches a prefix)
    SMS_GATEWAY_<NAME>_ACCOUNTS=AC…            accounts routed here
    SMS_GATEWAY_<NAME>_CALLBACK_TOKEN=…        required in the gateway's calls to us (?token=…)
  kannel:  _SMSC (smsc-id to force), _DLR_MASK (default 31)
  sandbox: _DELAY (seconds before the delivery report, default 1)
  http:    _METHOD (post|get|put), _FORMAT (json|form), _FIELDS, _STATIC_FIELDS, _AUTH_HEADER, _ID_FIELD,
           _DLR_FIELDS, _DLR_STATUSES, _INBOUND_FIELDS  (mappings are "ours=theirs, ours=theirs")

docs/messaging.md explains each one. Every error names its variable.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from cpaas.config import SettingsError, _Reader
from cpaas.messaging.statuses import REPORT_STATUSES

GATEWAY_TYPES = ("sandbox", "kannel", "http")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.~-]{8,128}$")  # survives Kannel's %-escapes untouched
_WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    window: float
    """Seconds."""

    def __str__(self) -> str:
        return f"{self.count}/{self.window:g}s"


@dataclass(frozen=True)
class SandboxOptions:
    delay: float = 1.0


@dataclass(frozen=True)
class KannelOptions:
    smsc: str | None = None
    dlr_mask: int = 31


# Our names for the values an HTTP provider receives or sends back.
HTTP_SEND_FIELDS = ("to", "from", "body", "ref", "dlr_url", "account", "encoding", "segments", "media",
                    "validity")
HTTP_DLR_FIELDS = ("ref", "status", "error_code", "id")
HTTP_INBOUND_FIELDS = ("from", "to", "body", "id")


@dataclass(frozen=True)
class HttpOptions:
    method: str = "post"
    format: str = "json"
    fields: Mapping[str, str] = field(default_factory=lambda: {
        "to": "to", "from": "from", "body": "body", "ref": "reference", "dlr_url": "status_callback"})
    static_fields: Mapping[str, str] = field(default_factory=dict)
    auth_header: tuple[str, str] | None = None
    id_field: str = "id"
    dlr_fields: Mapping[str, str] = field(default_factory=lambda: {
        "ref": "reference", "status": "status", "error_code": "error_code", "id": "id"})
    dlr_statuses: Mapping[str, str] = field(default_factory=dict)
    """Provider status (lower case) -> ours; merged over the built-in table in gateways/http.py."""
    inbound_fields: Mapping[str, str] = field(default_factory=lambda: {
        "from": "from", "to": "to", "body": "body", "id": "id"})


@dataclass(frozen=True)
class GatewayConfig:
    name: str
    type: str
    url: str | None = None
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    rate: Rate | None = None
    numbers: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    callback_token: str | None = None
    options: SandboxOptions | KannelOptions | HttpOptions = field(default_factory=SandboxOptions)

    def serves_number(self, number: str) -> bool:
        return any(number.startswith(p[:-1]) if p.endswith("*") else number == p for p in self.numbers)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 5.0
    max_delay: float = 600.0

    def delay_after(self, attempt: int) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based); None once attempts are spent."""
        if attempt >= self.attempts:
            return None
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)


@dataclass(frozen=True)
class MessagingConfig:
    gateways: Mapping[str, GatewayConfig]
    default_gateway: str
    number_rate: Rate = Rate(100, 3600)
    retry: RetryPolicy = RetryPolicy()

    def route(self, from_number: str | None, account_sid: str | None = None) -> GatewayConfig:
        """The gateway for a sender: a number rule wins over an account rule, else the default."""
        if from_number:
            for gateway in self.gateways.values():
                if gateway.serves_number(from_number):
                    return gateway
        if account_sid:
            for gateway in self.gateways.values():
                if account_sid in gateway.accounts:
                    return gateway
        return self.gateways[self.default_gateway]


def load_messaging_config(environ: Mapping[str, str]) -> MessagingConfig:
    env = _Reader(dict(environ))
    names = _names(env)
    gateways = {name: _gateway(env, name) for name in names}
    default = env.str("SMS_DEFAULT_GATEWAY", names[0])
    if default not in gateways:
        raise SettingsError(f"SMS_DEFAULT_GATEWAY: {default!r} is not one of SMS_GATEWAYS ({', '.join(names)})")
    return MessagingConfig(
        gateways=gateways,
        default_gateway=default,
        number_rate=parse_rate("SMS_RATE_LIMIT", env.str("SMS_RATE_LIMIT", "100/hour")),
        retry=RetryPolicy(
            attempts=env.int("SMS_SEND_ATTEMPTS", 6, 1, 100),
            base_delay=env.float("SMS_RETRY_BASE_DELAY", 5.0, 0, 86400),
            max_delay=env.float("SMS_RETRY_MAX_DELAY", 600.0, 0, 86400)),
    )


def parse_rate(variable: str, text: str, default_unit: str | None = None) -> Rate:
    """'100/hour' -> Rate(100, 3600); with a default_unit a bare '10' means 10 per that unit."""
    count_text, _, unit = text.strip().partition("/")
    unit = (unit or default_unit or "").strip().lower().rstrip("s")
    try:
        count = int(count_text)
    except ValueError:
        count = 0
    if count < 1 or unit not in _WINDOWS:
        raise SettingsError(f"{variable}: {text!r} is not of the form N/second|minute|hour|day")
    return Rate(count, _WINDOWS[unit])


def _names(env: _Reader) -> list[str]:
    raw = env.str("SMS_GATEWAYS", "sandbox")
    names = [n for n in re.split(r"[\s,]+", raw) if n]
    for name in names:
        if not _NAME.match(name):
            raise SettingsError(f"SMS_GATEWAYS: {name!r} is not a gateway name (lower-case letters, digits, _)")
    if len(set(names)) != len(names):
        raise SettingsError(f"SMS_GATEWAYS: {raw!r} names a gateway twice")
    return names


def _gateway(env: _Reader, name: str) -> GatewayConfig:
    prefix = f"SMS_GATEWAY_{name.upper()}_"
    kind = env.str(prefix + "TYPE", name if name in GATEWAY_TYPES else None)
    if kind is None:
        raise SettingsError(f"{prefix}TYPE: required (one of {', '.join(GATEWAY_TYPES)})")
    kind = env.choice(prefix + "TYPE", kind, GATEWAY_TYPES)
    url = env.str(prefix + "URL")
    if kind != "sandbox":
        if not url:
            raise SettingsError(f"{prefix}URL: required for a {kind} gateway")
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"{prefix}URL: {url!r} must start with http:// or https://")
    username, password = env.str(prefix + "USERNAME"), env.str(prefix + "PASSWORD")
    if kind == "kannel" and not (username and password):
        raise SettingsError(f"{prefix}USERNAME: a kannel gateway needs its sendsms-user's username and password")
    token = env.str(prefix + "CALLBACK_TOKEN")
    if token is not None and not _TOKEN.match(token):
        raise SettingsError(f"{prefix}CALLBACK_TOKEN: use 8-128 characters of A-Z a-z 0-9 _ . ~ -")
    rate = env.str(prefix + "RATE")
    return GatewayConfig(
        name=name, type=kind, url=url, username=username, password=password,
        timeout=env.float(prefix + "TIMEOUT", 10.0, 0, 300),
        rate=parse_rate(prefix + "RATE", rate, default_unit="second") if rate else None,
        numbers=tuple(_words(env.str(prefix + "NUMBERS"))),
        accounts=tuple(_words(env.str(prefix + "ACCOUNTS"))),
        callback_token=token,
        options=_OPTIONS[kind](env, prefix),
    )


def _sandbox_options(env: _Reader, prefix: str) -> SandboxOptions:
    return SandboxOptions(delay=env.float(prefix + "DELAY", 1.0, 0, 3600))


def _kannel_options(env: _Reader, prefix: str) -> KannelOptions:
    return KannelOptions(smsc=env.str(prefix + "SMSC"), dlr_mask=env.int(prefix + "DLR_MASK", 31, 0, 31))


def _http_options(env: _Reader, prefix: str) -> HttpOptions:
    defaults = HttpOptions()
    return HttpOptions(
        method=env.choice(prefix + "METHOD", "post", ("post", "get", "put")),
        format=env.choice(prefix + "FORMAT", "json", ("json", "form")),
        fields=_mapping(env, prefix + "FIELDS", HTTP_SEND_FIELDS, defaults.fields),
        static_fields=_mapping(env, prefix + "STATIC_FIELDS", None, {}),
        auth_header=_header(env, prefix + "AUTH_HEADER"),
        id_field=env.str(prefix + "ID_FIELD", "id"),
        dlr_fields=_mapping(env, prefix + "DLR_FIELDS", HTTP_DLR_FIELDS, defaults.dlr_fields),
        dlr_statuses={k.lower(): v for k, v in _mapping(env, prefix + "DLR_STATUSES", None, {},
                                                          allowed_values=REPORT_STATUSES).items()},
        inbound_fields=_mapping(env, prefix + "INBOUND_FIELDS", HTTP_INBOUND_FIELDS, defaults.inbound_fields),
    )


_OPTIONS = {"sandbox": _sandbox_options, "kannel": _kannel_options, "http": _http_options}


def _mapping(env: _Reader, variable: str, allowed_keys, default: Mapping[str, str],
             allowed_values=None) -> Mapping[str, str]:
    """'to=msisdn, body=text' -> {'to': 'msisdn', 'body': 'text'}."""
    raw = env.str(variable)
    if raw is None:
        return dict(default)
    result = {}
    for item in (i.strip() for i in raw.split(",")):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not item or not sep or not key or not value:
            raise SettingsError(f"{variable}: {item!r} is not of the form name=value")
        if allowed_keys is not None and key not in allowed_keys:
            raise SettingsError(f"{variable}: {key!r} is not one of {', '.join(allowed_keys)}")
        if allowed_values is not None and value not in allowed_values:
            raise SettingsError(f"{variable}: {value!r} is not one of {', '.join(allowed_values)}")
        result[key] = value
    return result


def _header(env: _Reader, variable: str) -> tuple[str, str] | None:
    raw = env.str(variable)
    if raw is None:
        return None
    name, sep, value = raw.partition(":")
    if not sep or not name.strip() or not value.strip():
        raise SettingsError(f"{variable}: {raw!r} is not of the form 'Header-Name: value'")
    return name.strip(), value.strip()


def _words(raw: str | None) -> list[str]:
    return [w for w in re.split(r"[\s,]+", raw or "") if w]
