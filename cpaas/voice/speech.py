"""A speech gather's request and result; the request as FreeSWITCH's ASR layer takes it.

`detect_speech <engine> {name=value,...}<grammar> <name>`: FreeSWITCH (switch_core_asr_load_grammar)
hands each `{}` parameter to the engine. mod_unimrcp sends the ones that are MRCPv2 recognizer
headers (Speech-Language, No-Input-Timeout, ...) as headers and every other one as a
Vendor-Specific-Parameter, so options without a standard header (hints, profanity filter,
model, enhanced) go under names the operator chooses (ASR_PARAMS) to match their MRCP server.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: Neutral option -> default engine parameter name (vendor-specific for MRCP; see ASR_PARAMS).
DEFAULT_PARAM_NAMES = {"hints": "speech-hints", "profanity_filter": "profanity-filter", "model": "speech-model",
                       "enhanced": "use-enhanced"}


@dataclass(frozen=True)
class DigitOptions:
    """How keys end a gather: Twilio's timeout, finishOnKey and numDigits."""

    timeout: float = 5.0
    finish_on_key: str = "#"
    num_digits: int | None = None


@dataclass(frozen=True)
class SpeechResult:
    text: str                 # what the caller said; "" when nothing was recognized
    confidence: float = 0.0
    digits: str = ""          # keys pressed instead of speaking (input includes dtmf)
    finished_on_key: str = ""
    interrupted: bool = False

    @property
    def by_keys(self) -> bool:
        return bool(self.digits or self.finished_on_key)

    @property
    def empty(self) -> bool:
        return not self.text and not self.digits


@dataclass(frozen=True)
class SpeechRequest:
    engine: str                      # FreeSWITCH ASR module, e.g. unimrcp, unimrcp:profile, pocketsphinx
    grammar: str                     # e.g. builtin:speech/transcribe
    language: str = "en-US"
    no_input_seconds: float = 5.0    # silence before anything is said that ends it
    end_silence_seconds: float | None = None  # silence after speech that ends it; None: the engine decides
    max_speech_seconds: float = 60.0
    hints: tuple[str, ...] = ()
    profanity_filter: bool = True
    model: str | None = None
    enhanced: bool = False
    param_names: dict = field(default_factory=lambda: dict(DEFAULT_PARAM_NAMES))

    def parameters(self) -> dict[str, str]:
        # The input timers start once the prompts have played, as Twilio counts `timeout` from there.
        params = {"start-input-timers": "false", "speech-language": self.language,
                  "no-input-timeout": str(_ms(self.no_input_seconds)),
                  "recognition-timeout": str(_ms(self.max_speech_seconds))}
        if self.end_silence_seconds is not None:
            params["speech-complete-timeout"] = str(_ms(self.end_silence_seconds))
        options = {"hints": _hint_list(self.hints), "profanity_filter": _flag(self.profanity_filter),
                   "model": _value(self.model or ""), "enhanced": _flag(self.enhanced)}
        for option, value in options.items():
            name = self.param_names.get(option)
            if name and value:
                params[name] = value
        return params

    def grammar_string(self) -> str:
        """`{name=value,...}grammar`; commas inside a value are escaped (`\\,`), as FreeSWITCH's
        switch_separate_string reads them."""
        params = ",".join(f"{name}={value}" for name, value in self.parameters().items())
        return "{" + params + "}" + self.grammar


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _value(text: str) -> str:
    """A parameter value that survives FreeSWITCH's splitting: no braces, quotes or backslashes
    (they would end or regroup the parameter list), blanks collapsed, commas escaped."""
    cleaned = "".join(c for c in text if c not in "{}'\"\\\r\n\t")
    return " ".join(cleaned.split()).replace(",", "\\,")


def _hint_list(hints: tuple[str, ...]) -> str:
    """Hints as one comma-separated value, as Twilio's `hints` attribute lists them."""
    phrases = [_value(h.replace(",", " ")) for h in hints]
    return "\\,".join(p for p in phrases if p)
