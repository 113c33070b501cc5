"""Settings from the environment (and an optional `.env`), with embedded defaults.

Everything the product needs to run on one machine has a default: a SQLite file and
recordings under ./var, a Redis that `cpaas run` starts itself, and the sandbox switch
when no FreeSWITCH node is configured. A wrong value stops start-up with one line that
names the variable (`SettingsError`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

#: Connections each process keeps open to the database (`DATABASE_POOL_SIZE`).
DEFAULT_DATABASE_POOL_SIZE = 16


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class FreeSwitchNode:
    """One FreeSWITCH (or sandbox) event socket: `esl://:password@host:port`."""

    name: str
    host: str
    port: int
    password: str

    @classmethod
    def parse(cls, url: str, variable: str = "FREESWITCH_NODES") -> "FreeSwitchNode":
        parts = urlsplit(url if "://" in url else f"esl://{url}")
        if parts.scheme != "esl" or not parts.hostname:
            raise SettingsError(f"{variable}: {url!r} is not of the form esl://:password@host:port[#name]")
        try:
            port = parts.port or 8021
        except ValueError:
            raise SettingsError(f"{variable}: {url!r} has an invalid port") from None
        name = parts.fragment or f"{parts.hostname}:{port}"
        return cls(name=name, host=parts.hostname, port=port, password=parts.password or "ClueCon")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    #: Connections each process keeps open to the database; a unit of work beyond them waits for one.
    database_pool_size: int
    redis_url: str | None
    redis_port: int
    public_base_url: str
    api_host: str
    api_port: int
    controller_host: str
    controller_port: int
    #: Address FreeSWITCH's `socket` application dials to reach the controller.
    controller_advertise: str
    freeswitch_nodes: tuple[FreeSwitchNode, ...]
    sandbox_host: str
    sandbox_port: int
    sandbox_password: str
    storage_backend: str
    recordings_dir: Path
    s3_bucket: str | None
    s3_prefix: str
    s3_endpoint_url: str | None
    s3_region: str | None
    api_rate_limit: int
    api_rate_window: int
    webhook_timeout: float
    #: Seconds between webhook retries (timeouts, connection errors, 5xx); the count is the retry limit.
    webhook_retry_intervals: tuple[int, ...]
    log_level: str
    #: Per-account call limits: originates per second (more wait in `queued`, in order) and live calls.
    account_calls_per_second: int
    account_max_concurrent_calls: int
    #: FreeSWITCH TTS engine for Say, and Twilio voice names -> that engine's voices ("*" is the fallback).
    tts_engine: str
    tts_voices: dict
    #: Speech recognition for <Gather input="speech">: the FreeSWITCH ASR module detect_speech uses
    #: (`unimrcp`, `unimrcp:PROFILE`, `pocketsphinx`), its grammar, and the engine parameter names that
    #: the options without a standard MRCP header (hints, profanity_filter, model, enhanced) are sent as.
    asr_engine: str
    asr_grammar: str
    asr_params: dict

    @property
    def uses_sandbox(self) -> bool:
        return not self.freeswitch_nodes

    @property
    def esl_nodes(self) -> tuple[FreeSwitchNode, ...]:
        """The configured FreeSWITCH nodes, or the sandbox switch when there are none."""
        if self.freeswitch_nodes:
            return self.freeswitch_nodes
        return (FreeSwitchNode("sandbox", self.sandbox_host, self.sandbox_port, self.sandbox_password),)

    @property
    def effective_redis_url(self) -> str:
        """REDIS_URL, or the Redis that `cpaas run` starts on loopback."""
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"


class _Reader:
    """Typed look-ups over one mapping; every error names its variable."""

    def __init__(self, environ: dict[str, str]):
        self._environ = environ

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self._environ.get(name)
        return default if value is None or value == "" else value.strip()

    def int(self, name: str, default: int, lo: int = 1, hi: int = 65535) -> int:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise SettingsError(f"{name}: {value} is outside {lo}..{hi}")
        return value

    def float(self, name: str, default: float, lo: float, hi: float) -> float:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a number") from None
        if not lo < value <= hi:
            raise SettingsError(f"{name}: {value} is outside {lo}..{hi}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.str(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "1", "yes", "on"):
            return True
        if raw.lower() in ("false", "0", "no", "off"):
            return False
        raise SettingsError(f"{name}: {raw!r} is not true or false")

    def int_list(self, name: str, default: tuple[int, ...], lo: int, hi: int) -> tuple[int, ...]:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            values = tuple(int(part) for part in raw.replace(",", " ").split())
        except ValueError:
            raise SettingsError(f"{name}: {raw!r} is not a list of whole numbers") from None
        if not all(lo <= v <= hi for v in values):
            raise SettingsError(f"{name}: every value must be within {lo}..{hi}")
        return values

    def mapping(self, name: str, default: str) -> dict[str, str]:
        """'a=x b=y' -> {'a': 'x', 'b': 'y'}."""
        raw = self.str(name, default)
        pairs = [part.partition("=") for part in raw.replace(",", " ").split()]
        if any(not key or not sep or not value for key, sep, value in pairs):
            raise SettingsError(f"{name}: {raw!r} is not of the form key=value key=value")
        return {key: value for key, _, value in pairs}

    def token(self, name: str, default: str) -> str:
        """A value FreeSWITCH takes as one word of an application's arguments."""
        return self.check_token(name, self.str(name, default))

    @staticmethod
    def check_token(name: str, value: str) -> str:
        if any(c in value for c in " \t'\"{},\\"):
            raise SettingsError(f"{name}: {value!r} may not hold blanks, quotes, braces, commas or backslashes")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.str(name, default)
        if value.lower() not in choices:
            raise SettingsError(f"{name}: {value!r} is not one of {', '.join(choices)}")
        return value.lower()


def _read(env: _Reader) -> Settings:
    data_dir = Path(env.str("DATA_DIR", "./var")).expanduser()
    api_host = env.str("API_HOST", "127.0.0.1")
    api_port = env.int("API_PORT", 8080)
    controller_host = env.str("CONTROLLER_HOST", "127.0.0.1")
    controller_port = env.int("CONTROLLER_PORT", 8084)
    nodes = tuple(FreeSwitchNode.parse(u) for u in (env.str("FREESWITCH_NODES") or "").split())
    backend = env.choice("STORAGE_BACKEND", "local", ("local", "s3"))
    s3_bucket = env.str("S3_BUCKET")
    if backend == "s3" and not s3_bucket:
        raise SettingsError("S3_BUCKET: required when STORAGE_BACKEND=s3")
    public_base_url = env.str("PUBLIC_BASE_URL", f"http://{_url_host(api_host)}:{api_port}").rstrip("/")
    if not public_base_url.startswith(("http://", "https://")):
        raise SettingsError(f"PUBLIC_BASE_URL: {public_base_url!r} must start with http:// or https://")
    redis_url = env.str("REDIS_URL")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(f"REDIS_URL: {redis_url!r} must be a redis:// URL")
    database_url = env.str("DATABASE_URL", f"sqlite:///{(data_dir / 'cpaas.db').resolve()}")
    if "://" not in database_url:
        raise SettingsError(f"DATABASE_URL: {database_url!r} is not a database URL")
    rate, window = _rate(env.str("API_RATE_LIMIT", "1000/hour"))
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        database_pool_size=env.int("DATABASE_POOL_SIZE", DEFAULT_DATABASE_POOL_SIZE, 1, 1000),
        redis_url=redis_url,
        redis_port=env.int("REDIS_PORT", 6380),
        public_base_url=public_base_url,
        api_host=api_host,
        api_port=api_port,
        controller_host=controller_host,
        controller_port=controller_port,
        controller_advertise=env.str("CONTROLLER_ADVERTISE", f"{_url_host(controller_host)}:{controller_port}"),
        freeswitch_nodes=nodes,
        sandbox_host=env.str("SANDBOX_ESL_HOST", "127.0.0.1"),
        sandbox_port=env.int("SANDBOX_ESL_PORT", 8021),
        sandbox_password=env.str("SANDBOX_ESL_PASSWORD", "ClueCon"),
        storage_backend=backend,
        recordings_dir=Path(env.str("RECORDINGS_DIR", str(data_dir / "recordings"))).expanduser(),
        s3_bucket=s3_bucket,
        s3_prefix=env.str("S3_PREFIX", "recordings/"),
        s3_endpoint_url=env.str("S3_ENDPOINT_URL"),
        s3_region=env.str("S3_REGION"),
        api_rate_limit=rate,
        api_rate_window=window,
        webhook_timeout=env.float("WEBHOOK_TIMEOUT", 15.0, 0, 120),
        webhook_retry_intervals=env.int_list("WEBHOOK_RETRY_INTERVALS", (5, 30, 120, 600, 1800), 0, 86400),
        log_level=env.choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
        account_calls_per_second=env.int("ACCOUNT_CALLS_PER_SECOND", 10, 1, 100000),
        account_max_concurrent_calls=env.int("ACCOUNT_MAX_CONCURRENT_CALLS", 100, 1, 1000000),
        tts_engine=env.str("TTS_ENGINE", "flite"),
        tts_voices=env.mapping("TTS_VOICES", "man=kal woman=slt alice=slt *=kal"),
        asr_engine=env.token("ASR_ENGINE", "unimrcp"),
        asr_grammar=env.token("ASR_GRAMMAR", "builtin:speech/transcribe"),
        asr_params=_asr_params(env),
    )


_ASR_OPTIONS = ("hints", "profanity_filter", "model", "enhanced")


def _asr_params(env: _Reader) -> dict[str, str]:
    """ASR_PARAMS: option=engine-parameter-name; an option left out is not sent to the engine (`none`: none is)."""
    if (env.str("ASR_PARAMS") or "").lower() == "none":
        return {}
    params = env.mapping("ASR_PARAMS", "hints=speech-hints profanity_filter=profanity-filter model=speech-model "
                                       "enhanced=use-enhanced")
    unknown = sorted(set(params) - set(_ASR_OPTIONS))
    if unknown:
        raise SettingsError(f"ASR_PARAMS: {', '.join(unknown)} is not one of {', '.join(_ASR_OPTIONS)}")
    for name in params.values():
        env.check_token("ASR_PARAMS", name)
    return params


_WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _rate(text: str) -> tuple[int, int]:
    """'1000/hour' -> (1000, 3600)."""
    try:
        count, unit = text.strip().split("/")
        return int(count), _WINDOWS[unit.strip().lower().rstrip("s")]
    except (ValueError, KeyError):
        raise SettingsError(f"API_RATE_LIMIT: {text!r} is not of the form N/second|minute|hour|day") from None


def _port(value: int) -> bool:
    return 0 < value < 65536


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def merged_environ(environ=None, dotenv: str | None = ".env") -> dict[str, str]:
    """Where every setting comes from: `environ` (default os.environ) over the values of `dotenv`."""
    merged: dict[str, str] = {}
    if dotenv and Path(dotenv).is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def load_settings(environ: dict | None = None, dotenv: str | None = ".env") -> Settings:
    """Read settings from `environ` (default os.environ) over the values of `dotenv` if that file exists."""
    return _read(_Reader(merged_environ(environ, dotenv)))
