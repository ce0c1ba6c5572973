"""Establishment names reduced to what identifies them: no diacritics, no case, the legal
form written one way ("Công ty TNHH", "Cty TNHH", "CÔNG TY TRÁCH NHIỆM HỮU HẠN" → "tnhh";
"Hợp tác xã", "HTX" → "htx"; "Cơ sở", "CS", "Hộ kinh doanh" → nothing), and a trigram
similarity computed like PostgreSQL's pg_trgm, so SQLite and PostgreSQL score alike."""

import re

from khuyencong.text import normalize_search

# Longest first: each spelling people use for a legal form → one token (or nothing when
# the form says nothing about who the establishment is).
_FORMS = [
    ("cong ty trach nhiem huu han mot thanh vien", "tnhh"), ("cong ty trach nhiem huu han", "tnhh"),
    ("cong ty tnhh mtv", "tnhh"), ("cong ty tnhh 1tv", "tnhh"), ("cong ty tnhh", "tnhh"),
    ("cty tnhh mtv", "tnhh"), ("cty tnhh", "tnhh"), ("ct tnhh", "tnhh"), ("tnhh mtv", "tnhh"),
    ("cong ty co phan", "cp"), ("cty co phan", "cp"), ("cty cp", "cp"), ("ctcp", "cp"),
    ("doanh nghiep tu nhan", "dntn"), ("dn tu nhan", "dntn"),
    ("lien hiep hop tac xa", "lhhtx"), ("lien hiep htx", "lhhtx"),
    ("hop tac xa", "htx"), ("to hop tac", "tht"),
    ("ho kinh doanh", ""), ("hkd", ""), ("co so san xuat", ""), ("co so", ""), ("cs", ""), ("cssx", ""),
    ("cong ty", ""), ("cty", ""),
]
_FORM_RE = re.compile(r"\b(" + "|".join(re.escape(spelling) for spelling, _t in _FORMS) + r")\b")
_FORM_TOKEN = dict(_FORMS)
_PUNCT = re.compile(r"[^\w\s]|_")


def core_name(name: str) -> str:
    """"Cty TNHH Mây tre Tân Ninh" → "tnhh may tre tan ninh"."""
    text = _PUNCT.sub(" ", normalize_search(name))
    text = _FORM_RE.sub(lambda m: " " + _FORM_TOKEN[m.group(1)] + " ", " ".join(text.split()))
    return " ".join(text.split())


def distinctive_name(name: str) -> str:
    """The core name without its legal-form token ("may tre tan ninh")."""
    return " ".join(w for w in core_name(name).split() if w not in {"tnhh", "cp", "dntn", "htx", "lhhtx", "tht"})


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams = set()
    for word in text.split():
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity``: shared trigrams over all distinct trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def head_office(tax_code: str) -> str:
    """The 10-digit code of the enterprise a (branch) tax code belongs to, or ""."""
    digits = (tax_code or "").replace("-", "")
    return digits[:10] if len(digits) in (10, 13) else ""


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by at most one deletion, insertion, substitution or swap of
    neighbours (the typos people make), for words of three letters or more."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 3:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def tail_similarity(a: str, b: str, words: int = 2) -> float:
    """How alike the last words are: where Vietnamese establishment names put their proper
    name ("… chế biến hạt điều *Hồng Phát*"), the part that tells two of a trade apart.
    1.0 when every last word of ``a`` matches one of ``b``'s within one typo, else the
    trigram similarity of the two tails."""
    tail_a, tail_b = a.split()[-words:], b.split()[-words:]
    if tail_a and all(any(_one_edit(x, y) for y in tail_b) for x in tail_a):
        return 1.0
    return similarity(" ".join(tail_a), " ".join(tail_b))
