"""Amounts in words (khuyencong.numwords): known cases from accounting usage and a round trip
over the whole range the portal accepts (0 to 10^15), read back by an independent parser."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khuyencong.limits import MAX_MONEY
from khuyencong.numwords import amount_in_words, number_in_words

EXAMPLES = int(os.environ.get("KC_PROPERTY_EXAMPLES", "30")) * 10

KNOWN = {
    0: "không",
    5: "năm",
    10: "mười",
    15: "mười lăm",
    21: "hai mươi mốt",
    24: "hai mươi tư",
    25: "hai mươi lăm",
    105: "một trăm linh năm",
    110: "một trăm mười",
    111: "một trăm mười một",
    1_000: "một nghìn",
    1_001: "một nghìn không trăm linh một",
    10_500: "mười nghìn năm trăm",
    1_000_500: "một triệu năm trăm",
    1_000_005: "một triệu không trăm linh năm",
    175_000_000: "một trăm bảy mươi lăm triệu",
    1_005_000_000: "một tỷ không trăm linh năm triệu",
    1_000_000_005: "một tỷ không trăm linh năm",
    1_000_000_000_000: "một nghìn tỷ",
    2_345_000_000_000: "hai nghìn ba trăm bốn mươi lăm tỷ",
    10**15: "một triệu tỷ",
    999_999_999_999_999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ "
    "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
}


@pytest.mark.parametrize(("number", "words"), KNOWN.items())
def test_known_readings(number, words):
    assert number_in_words(number) == words


def test_amount_carries_the_currency_and_capital():
    assert amount_in_words(1_005_000_000) == "một tỷ không trăm linh năm triệu đồng"
    assert amount_in_words(300_000_000, capitalize=True) == "Ba trăm triệu đồng"


@pytest.mark.parametrize("bad", [-1, 1.5])
def test_refuses_negative_and_fractional(bad):
    with pytest.raises(ValueError):
        amount_in_words(bad)


DIGIT = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5,
         "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}


def _group(tokens):
    """Reads one group of three digits, strictly (anything unexpected fails the test)."""
    value, i = 0, 0
    if len(tokens) > 1 and tokens[1] == "trăm":
        value, i = DIGIT[tokens[0]] * 100, 2
    rest = tokens[i:]
    if not rest:
        return value
    if rest[0] == "linh":
        assert len(rest) == 2 and rest[1] not in ("mốt", "tư", "lăm")
        return value + DIGIT[rest[1]]
    if rest[0] == "mười":
        assert len(rest) <= 2 and rest[1:] != ["mốt"] and rest[1:] != ["năm"]
        return value + 10 + (DIGIT[rest[1]] if len(rest) == 2 else 0)
    if len(rest) >= 2 and rest[1] == "mươi":
        tens = DIGIT[rest[0]]
        assert tens >= 2 and len(rest) <= 3 and rest[2:] not in (["một"], ["bốn"], ["năm"])
        return value + tens * 10 + (DIGIT[rest[2]] if len(rest) == 3 else 0)
    assert len(rest) == 1 and rest[0] not in ("mốt", "tư", "lăm")
    return value + DIGIT[rest[0]]


def _parse(tokens):
    if "tỷ" in tokens:
        last = len(tokens) - 1 - tokens[::-1].index("tỷ")
        return _parse(tokens[:last]) * 10**9 + (_parse(tokens[last + 1:]) if tokens[last + 1:] else 0)
    total = 0
    for scale, factor in (("triệu", 10**6), ("nghìn", 10**3)):
        if scale in tokens:
            at = tokens.index(scale)
            total += _group(tokens[:at]) * factor
            tokens = tokens[at + 1:]
    return total + (_group(tokens) if tokens else 0)


@settings(max_examples=EXAMPLES, derandomize=True)
@given(st.integers(min_value=0, max_value=MAX_MONEY))
def test_words_read_back_to_the_amount(number):
    words = amount_in_words(number)
    assert words.endswith(" đồng")
    tokens = words.removesuffix(" đồng").split()
    assert _parse(tokens) == number


@settings(max_examples=EXAMPLES, derandomize=True)
@given(st.integers(min_value=1, max_value=MAX_MONEY))
def test_every_group_after_the_first_is_read_in_full(number):
    """After the leading group, a non-zero group below 100 reads "không trăm" (1.005 → "một
    nghìn không trăm linh năm"); the leading group never does."""
    groups = [int(g) for g in f"{number:,}".split(",")]
    short = sum(1 for g in groups[1:] if 0 < g < 100)
    words = number_in_words(number)
    assert words.count("không trăm") == short
    assert not words.startswith("không")
