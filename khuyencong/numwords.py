"""Amounts in words as Vietnamese accounting writes them ("Bằng chữ: …").

Conventions (the ones accounting software and Decree 30 documents use):

- groups of three digits read "trăm … mươi …"; a group after the first is always read in full,
  so 1.005.000.000 is "một tỷ không trăm linh năm triệu";
- a zero tens digit before a unit reads "linh" (105: "một trăm linh năm");
- "mười" for 10–19, "mốt" for a unit 1 after a tens digit of 2 or more, "lăm" for a unit 5
  after any tens digit, "tư" for a unit 4 after a tens digit of 2 or more;
- scales "nghìn", "triệu", "tỷ"; beyond a thousand billion the scales repeat before "tỷ"
  ("một nghìn tỷ", "một triệu tỷ" for 10^15, the largest amount the portal accepts);
- groups that are all zeros are skipped ("một triệu năm trăm").
"""

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALES = ("", "nghìn", "triệu")
BILLION = 1_000_000_000


def _group(n: int, full: bool) -> list[str]:
    """Words of 0 < n < 1000; ``full`` reads the hundreds and "linh" even when leading."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 4 and tens >= 2:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def _below_billion(n: int, leading: bool) -> list[str]:
    """Words of 0 <= n < 10^9; ``leading``: nothing is read before it."""
    words: list[str] = []
    groups = [(n // 1000**i) % 1000 for i in (2, 1, 0)]
    for index, value in enumerate(groups):
        if not value:
            continue
        words += _group(value, full=bool(words) or not leading)
        scale = SCALES[2 - index]
        if scale:
            words.append(scale)
    return words


def _words(n: int, leading: bool) -> list[str]:
    billions, rest = divmod(n, BILLION)
    words: list[str] = []
    if billions:
        words += _words(billions, leading) + ["tỷ"]
    if rest:
        words += _below_billion(rest, leading=leading and not words)
    return words


def number_in_words(n: int) -> str:
    """``n`` (a non-negative integer) in Vietnamese words, lower case: 21 → "hai mươi mốt"."""
    if n < 0:
        raise ValueError("number_in_words takes a non-negative integer")
    if n == 0:
        return DIGITS[0]
    return " ".join(_words(int(n), leading=True))


def amount_in_words(amount, currency: str = "đồng", capitalize: bool = False) -> str:
    """A whole amount of đồng in words: 1005000000 → "một tỷ không trăm linh năm triệu đồng".

    Decimals are refused rather than rounded silently (đồng have no subunit in the portal).
    """
    value = int(amount)
    if value != amount:
        raise ValueError("amount_in_words takes a whole amount")
    text = f"{number_in_words(value)} {currency}".strip()
    return text[0].upper() + text[1:] if capitalize else text
