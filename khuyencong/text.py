"""Vietnamese text helpers: diacritic-insensitive search keys and alphabetical sort keys.

Both are stored in columns (``search_text``, ``sort_key``) so that search and order
behave the same on SQLite and PostgreSQL without database extensions.
"""

import unicodedata

# Vietnamese alphabet order; letters with a modifier (ă â đ ê ô ơ ư) are letters of
# their own that sort after their base letter. Tone marks only break ties.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_TONES = {"\u0300": 2, "\u0309": 3, "\u0303": 4, "\u0301": 5, "\u0323": 6}  # huyền hỏi ngã sắc nặng
# Combining marks that make a new letter rather than a tone.
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
                 ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}


def normalize_search(value: str | None) -> str:
    """Lower-case, strip every diacritic, map đ to d and collapse spaces.

    Accepts precomposed (NFC) and decomposed (NFD) input alike.
    """
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d")
    return " ".join(stripped.split())


def _letters_with_tones(value: str):
    """Yield (letter, tone) pairs of a lower-cased Vietnamese string."""
    decomposed = unicodedata.normalize("NFD", value.casefold())
    letter, tone = None, 0
    for ch in decomposed:
        if unicodedata.combining(ch):
            if letter is not None and (letter, ch) in _LETTER_MARKS:
                letter = _LETTER_MARKS[(letter, ch)]
            elif ch in _TONES:
                tone = _TONES[ch]
            continue
        if letter is not None:
            yield letter, tone
        letter, tone = ch, 0
    if letter is not None:
        yield letter, tone


def vietnamese_sort_key(value: str | None) -> str:
    """A string of digits that sorts in Vietnamese alphabetical order.

    Letters are encoded first (A < Ă < Â < B ... D < Đ ...), then "00", then the
    tones, so "Ba" < "Bà" < "Bả" < "Bb" and "Ba" < "Ba Đình". Only digits are used
    because every database collation orders digit strings the same way, so the
    column sorts identically on SQLite and PostgreSQL.
    """
    if not value:
        return ""
    pairs = list(_letters_with_tones(value))
    codes = []
    for letter, _tone in pairs:
        rank = _LETTER_RANK.get(letter)
        if rank is not None:
            codes.append(20 + rank)
        elif letter.isspace():
            codes.append(1)
        elif letter.isdigit() and letter.isascii():
            codes.append(2 + int(letter))
        else:
            codes.append(90)
    tones = "".join(str(tone) for _letter, tone in pairs)
    return "".join(f"{code:02d}" for code in codes) + "00" + tones


def strip_division_prefix(value: str) -> str:
    """Drop "Xã ", "Phường ", "Tỉnh "... so names sort by their proper part."""
    for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu ", "Thị trấn ", "Quận ", "Huyện ", "Thị xã "):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value
