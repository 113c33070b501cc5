"""Segment counting against the carrier rules (GSM 03.38 / 3GPP 23.040 concatenation)."""
import pytest

from cpaas.services.sms_segments import (GSM7, UCS2, GSM_BASIC_CHARS, GSM_EXTENSION_CHARS, segment,
                                         split_segments)

EMOJI = "\U0001F600"  # outside the BMP: a surrogate pair in UTF-16


def test_the_default_alphabet_has_127_characters_and_the_extension_table_10():
    assert len(GSM_BASIC_CHARS) == 127  # 128 codes less the escape
    assert GSM_EXTENSION_CHARS == set("\f^{}\\[~]|€")
    assert not GSM_BASIC_CHARS & GSM_EXTENSION_CHARS


@pytest.mark.parametrize("length, segments", [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_lengths(length, segments):
    info = segment("a" * length)
    assert (info.encoding, info.num_segments, info.units) == (GSM7, segments, length)
    assert info.per_segment == (160 if segments == 1 else 153)


@pytest.mark.parametrize("length, segments", [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_lengths(length, segments):
    info = segment("ж" * length)
    assert (info.encoding, info.num_segments, info.units) == (UCS2, segments, length)
    assert info.per_segment == (70 if segments == 1 else 67)


def test_empty_body_is_one_gsm_segment():
    info = segment("")
    assert (info.encoding, info.num_segments, info.units) == (GSM7, 1, 0)


@pytest.mark.parametrize("ch", list("^{}[]~|\\€\f"))
def test_each_extension_character_costs_two_septets(ch):
    info = segment(ch)
    assert (info.encoding, info.units) == (GSM7, 2)


def test_extension_characters_push_a_message_over_160():
    assert segment("a" * 158 + "€").num_segments == 1   # 160 septets
    assert segment("a" * 159 + "€").num_segments == 2   # 161 septets
    assert segment("{" * 80).units == 160
    assert segment("{" * 80).num_segments == 1
    assert segment("{" * 81).num_segments == 2


def test_an_extension_character_is_never_split_across_segments():
    body = "a" * 152 + "€" + "b" * 10  # '€' would straddle septets 153/154
    parts = split_segments(body)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert segment(body).num_segments == 2


def test_extension_split_can_cost_an_extra_segment():
    # 306 septets exactly fill two parts only if no escape straddles a boundary.
    clean = "a" * 152 + "€" + "a" * 152  # 306 septets, but the € cannot sit at 152/153
    assert segment(clean).units == 306
    assert segment(clean).num_segments == 3
    aligned = "a" * 151 + "€" + "a" * 153  # the € ends part one exactly
    assert segment(aligned).num_segments == 2


def test_gsm_accented_letters_stay_gsm_but_others_do_not():
    assert segment("èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà¡¿§£¥¤").encoding == GSM7
    assert segment("Δ_ΦΓΛΩΠΨΣΘΞ").encoding == GSM7
    assert segment("ç").encoding == UCS2   # only the capital Ç is in the table
    assert segment("á").encoding == UCS2
    assert segment("`").encoding == UCS2   # the backtick is not GSM
    assert segment("\t").encoding == UCS2


def test_one_non_gsm_character_turns_the_whole_message_to_ucs2():
    info = segment("a" * 100 + "ç")
    assert (info.encoding, info.units, info.num_segments) == (UCS2, 101, 2)


def test_in_ucs2_extension_characters_cost_one_unit():
    assert segment("€ж").units == 2
    assert segment("€" * 69 + "ж").num_segments == 1
    info = segment("€" * 70)
    assert (info.encoding, info.units, info.num_segments) == (GSM7, 140, 1)


def test_emoji_is_a_surrogate_pair_of_two_units():
    info = segment(EMOJI)
    assert (info.encoding, info.units, info.num_segments) == (UCS2, 2, 1)
    assert segment(EMOJI * 35).num_segments == 1   # 70 units
    assert segment(EMOJI * 35 + "a").num_segments == 2  # 71 units


def test_a_surrogate_pair_is_never_split_across_segments():
    body = "a" * 66 + EMOJI + "b" * 10  # the pair would straddle units 67/68
    parts = split_segments(body)
    assert parts == ["a" * 66, EMOJI + "b" * 10]
    assert all(len(p.encode("utf-16-le")) // 2 <= 67 for p in parts)


def test_emoji_split_can_cost_an_extra_segment():
    assert segment("a" * 66 + EMOJI + "a" * 66).num_segments == 3  # 134 units but the pair moves
    assert segment("a" * 65 + EMOJI + "a" * 67).num_segments == 2


def test_split_parts_rejoin_to_the_body_and_respect_limits():
    body = ("Hello [world] ~ " * 40) + "€"
    parts = split_segments(body)
    assert "".join(parts) == body
    costs = [sum(2 if ch in GSM_EXTENSION_CHARS else 1 for ch in p) for p in parts]
    assert max(costs) <= 153
    assert len(parts) == segment(body).num_segments


def test_1600_characters_of_gsm_is_11_segments():
    assert segment("x" * 1600).num_segments == 11  # ceil(1600/153)
    assert segment("ж" * 1600).num_segments == 24  # ceil(1600/67)
