"""Speech gather pieces without a call: NLSML results, <Gather> speech attributes, and what the
recognizer is asked for (the `{params}grammar` FreeSWITCH hands to the ASR module)."""
import pytest

from cpaas.config import SettingsError, load_settings
from cpaas.sandbox.asr import parse_grammar
from cpaas.sandbox.fsstrings import separate
from cpaas.voice import nlsml
from cpaas.voice.media import quote_argument
from cpaas.voice.speech import SpeechRequest
from cpaas.voice.twiml.parser import parse

# ---- NLSML ------------------------------------------------------------------------------------

MRCP_V2 = """<?xml version="1.0"?>
<result xmlns="urn:ietf:params:xml:ns:mrcpv2">
  <interpretation grammar="builtin:speech/transcribe" confidence="0.62">
    <instance>book a flight</instance>
    <input mode="speech">book a flight</input>
  </interpretation>
  <interpretation grammar="builtin:speech/transcribe" confidence="0.91">
    <instance><city>Boston</city></instance>
    <input mode="speech">  book a   flight to Boston </input>
  </interpretation>
</result>"""


def test_the_most_confident_interpretation_wins_with_its_spoken_words():
    result = nlsml.parse(MRCP_V2)
    assert result == nlsml.Recognition("book a flight to Boston", 0.91, "speech", "success")


def test_pocketsphinx_and_mrcpv1_confidences_are_percentages():
    body = ('<?xml version="1.0"?>\n<result grammar="yesno">\n  <interpretation grammar="yesno" confidence="87">\n'
            '    <input mode="speech">yes</input>\n  </interpretation>\n</result>\n')
    assert nlsml.parse(body) == nlsml.Recognition("yes", 0.87)


@pytest.mark.parametrize("body, outcome", [
    ("Completion-Cause: 002", "no-input"),          # mod_unimrcp when the server sent no body
    ("Completion-Cause: 001", "no-match"),
    ("Completion-Cause: 006", "error"),
    ("", "no-input"),
    ("<result><interpretation><input><noinput/></input></interpretation></result>", "no-input"),
    ("<result><interpretation confidence='0.1'><input><nomatch/></input></interpretation></result>", "no-match"),
    ("<result/>", "no-match"),
    ("<result><interpretation>", "error"),          # cut short
    ('<!DOCTYPE r [<!ENTITY x "y">]><result>&x;</result>', "error"),  # no DTDs from an engine
])
def test_nothing_recognized(body, outcome):
    result = nlsml.parse(body)
    assert result.empty and result.outcome == outcome and result.confidence == 0.0


def test_dtmf_interpretations_and_bare_transcripts():
    keys = nlsml.parse('<result><interpretation confidence="1.0"><input mode="dtmf">1 2 3</input>'
                       '</interpretation></result>')
    assert (keys.text, keys.mode) == ("1 2 3", "dtmf")
    assert nlsml.parse("  hello   there \n") == nlsml.Recognition("hello there")  # a non-MRCP engine
    assert nlsml.parse('<result><interpretation confidence="oops"><instance>hi</instance></interpretation>'
                       '</result>') == nlsml.Recognition("hi", 0.0)


# ---- <Gather> speech attributes -----------------------------------------------------------------

def _gather(attributes: str):
    document = parse(f"<Response><Gather {attributes}/></Response>")
    return document.verbs[0], [w.message for w in document.warnings]


def test_speech_attribute_defaults_are_twilios():
    gather, warnings = _gather('input="speech" timeout="7"')
    assert gather.input == ("speech",) and warnings == []
    assert gather.speech_timeout == 7  # speechTimeout falls back to timeout
    assert (gather.language, gather.hints, gather.profanity_filter, gather.enhanced) == ("en-US", (), True, False)
    assert (gather.speech_model, gather.max_speech_time, gather.partial_result_callback) == (None, 60, None)
    assert gather.partial_result_callback_method == "POST"


def test_speech_attributes_are_read():
    gather, warnings = _gather('input="dtmf speech" speechTimeout="auto" language="pt-BR" '
                               'hints="sim, não ,  $OOV_CLASS_DIGIT_SEQUENCE,," profanityFilter="false" '
                               'speechModel="numbers_and_commands" enhanced="true" maxSpeechTime="20" '
                               'partialResultCallback="/partial" partialResultCallbackMethod="GET" bargeIn="false"')
    assert warnings == []
    assert gather.input == ("dtmf", "speech") and gather.speech_timeout is None
    assert gather.hints == ("sim", "não", "$OOV_CLASS_DIGIT_SEQUENCE")
    assert (gather.language, gather.profanity_filter, gather.speech_model, gather.enhanced) == (
        "pt-BR", False, "numbers_and_commands", True)
    assert (gather.max_speech_time, gather.partial_result_callback, gather.partial_result_callback_method) == (
        20, "/partial", "GET")


@pytest.mark.parametrize("attributes, field, value, warned", [
    ('input="voice"', "input", ("dtmf",), "input"),
    ('input="speech keypad"', "input", ("speech",), "input"),
    ('speechTimeout="0"', "speech_timeout", 5, "speechTimeout"),
    ('speechTimeout="soon"', "speech_timeout", 5, "speechTimeout"),
    ('language="english please"', "language", "en-US", "language"),
    ('speechModel="a b"', "speech_model", None, "speechModel"),
    ('profanityFilter="maybe"', "profanity_filter", True, "profanityFilter"),
    ('maxSpeechTime="0"', "max_speech_time", 60, "maxSpeechTime"),
    ('partialResultCallbackMethod="PUT"', "partial_result_callback_method", "POST", "partialResultCallbackMethod"),
    (f'hints="ok, {"x" * 101}"', "hints", ("ok",), "hints"),
])
def test_a_bad_speech_attribute_warns_and_the_default_applies(attributes, field, value, warned):
    gather, warnings = _gather(attributes)
    assert getattr(gather, field) == value
    assert len(warnings) == 1 and warned in warnings[0]


# ---- what the recognizer is asked for -----------------------------------------------------------

def _as_freeswitch_reads(request: SpeechRequest) -> tuple[dict, str]:
    """detect_speech's argument as FreeSWITCH splits it, then its `{}` parameters."""
    engine, grammar, name = separate(f"{request.engine} {quote_argument(request.grammar_string())} cpaas", " ", 4)
    assert (engine, name) == (request.engine, "cpaas")
    return parse_grammar(grammar)


def test_timeouts_language_and_options_become_engine_parameters():
    request = SpeechRequest("unimrcp:gsr", "builtin:speech/transcribe", language="fr-CA", no_input_seconds=4,
                            end_silence_seconds=2, max_speech_seconds=30, model="phone_call", enhanced=True)
    params, grammar = _as_freeswitch_reads(request)
    assert grammar == "builtin:speech/transcribe"
    assert params == {"start-input-timers": "false", "speech-language": "fr-CA", "no-input-timeout": "4000",
                      "recognition-timeout": "30000", "speech-complete-timeout": "2000",
                      "profanity-filter": "true", "speech-model": "phone_call", "use-enhanced": "true"}


def test_hints_survive_freeswitch_splitting_whatever_they_hold():
    request = SpeechRequest("unimrcp", "builtin:speech/transcribe",
                            hints=("yes, please", "don't {know}", "back\\slash", "a=b"))
    params, _ = _as_freeswitch_reads(request)
    assert params["speech-hints"] == "yes please,dont know,backslash,a=b"
    assert params["speech-language"] == "en-US"  # nothing after the hints was swallowed


def test_parameter_names_follow_the_operators_mapping():
    request = SpeechRequest("unimrcp", "builtin:speech/transcribe", hints=("x",), end_silence_seconds=None,
                            param_names={"hints": "speech-contexts"})
    params, _ = _as_freeswitch_reads(request)
    assert params["speech-contexts"] == "x" and "speech-complete-timeout" not in params
    assert not {"profanity-filter", "use-enhanced", "speech-model"} & set(params)


def test_asr_settings_and_their_errors():
    settings = load_settings({"ASR_ENGINE": "pocketsphinx", "ASR_GRAMMAR": "yesno",
                              "ASR_PARAMS": "hints=hint-words"}, dotenv=None)
    assert (settings.asr_engine, settings.asr_grammar, settings.asr_params) == (
        "pocketsphinx", "yesno", {"hints": "hint-words"})
    defaults = load_settings({}, dotenv=None)
    assert (defaults.asr_engine, defaults.asr_grammar) == ("unimrcp", "builtin:speech/transcribe")
    assert load_settings({"ASR_PARAMS": "none"}, dotenv=None).asr_params == {}
    for variable, value in (("ASR_GRAMMAR", "{x=1}builtin:a"), ("ASR_ENGINE", "uni mrcp"),
                            ("ASR_PARAMS", "colour=red"), ("ASR_PARAMS", "hints=a,b")):
        with pytest.raises(SettingsError, match=variable):
            load_settings({variable: value}, dotenv=None)
