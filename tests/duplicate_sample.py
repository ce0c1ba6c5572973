"""A labelled sample for duplicate detection: registered establishments, and queries built
from them the way people re-type an establishment (no diacritics, "Cty TNHH" for "Công ty
TNHH", "HTX" for "Hợp tác xã", "CS" for "Cơ sở", typos, a branch's tax code, another
commune) — each query's true match is its original — plus new establishments that only
look alike (same trade, same commune, other name), whose true match is none.

Two halves with disjoint vocabularies and seeds: ``dev`` (thresholds were tuned on it) and
``heldout`` (never used for tuning; it reports the figures)."""

import random
from dataclasses import dataclass

from khuyencong.text import normalize_search

FORMS = {"sme": ["Công ty TNHH", "Công ty cổ phần", "Doanh nghiệp tư nhân"], "cooperative": ["Hợp tác xã"],
         "household": ["Cơ sở", "Hộ kinh doanh"], "cooperative_group": ["Tổ hợp tác"]}
VOCABULARY = {
    "dev": {
        "trades": ["mây tre đan", "gốm sứ", "cơ khí nông cụ", "chế biến hạt điều", "bánh tráng", "nước mắm",
                   "dệt thổ cẩm", "đồ gỗ mỹ nghệ", "muối ớt", "chiếu cói"],
        "names": ["Tân Ninh", "Hòa Thành", "Phước Vinh", "Út Hiền", "Ba Tâm", "Thành Đạt", "Phú Quý", "Minh Châu",
                  "Hồng Phát", "Kim Ngân", "Thuận Thiên", "An Khang"],
        "people": ["Nguyễn Thị Lan", "Trần Văn Bình", "Lê Thị Hoa", "Phạm Văn Đức", "Võ Thị Út", "Huỳnh Văn Tâm"],
    },
    "heldout": {
        "trades": ["sơn mài", "nhang trầm", "rượu gạo", "bánh pía", "kẹo dừa", "đan lục bình", "rèn dao kéo",
                   "gạch nung", "chế biến cà phê", "may mặc"],
        "names": ["Long Hoa", "Trảng Bàng", "Bến Cầu", "Phúc Lộc", "Đại Thành", "Hưng Thịnh", "Song Toàn",
                  "Ngọc Anh", "Tấn Phát", "Bảo Minh", "Quang Vinh", "Hiệp Lực"],
        "people": ["Đặng Thị Mai", "Bùi Văn Hải", "Đỗ Thị Hằng", "Ngô Văn Sáu", "Dương Thị Tuyết", "Lý Văn Phong"],
    },
}


@dataclass
class Query:
    name: str
    tax_code: str
    commune_id: int
    representative: str
    truth: int | None  # index of the registered establishment it is, or None
    variant: str


def strip_diacritics(text: str) -> str:
    plain = normalize_search(text)
    return " ".join(w.capitalize() if i else w.capitalize() for i, w in enumerate(plain.split()))


def typo(rng: random.Random, text: str) -> str:
    words = text.split()
    # A typo in the distinctive part (the last words), never in the legal form.
    index = rng.randrange(max(1, len(words) - 3), len(words))
    word = words[index]
    if len(word) > 3:
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(["drop", "swap", "double"])
        if kind == "drop":
            word = word[:i] + word[i + 1:]
        elif kind == "swap":
            word = word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
        else:
            word = word[:i] + word[i] + word[i:]
    words[index] = word
    return " ".join(words)


def abbreviate(name: str) -> str:
    for long, short in (("Công ty TNHH", "Cty TNHH"), ("Công ty cổ phần", "Cty CP"), ("Hợp tác xã", "HTX"),
                        ("Cơ sở", "CS"), ("Hộ kinh doanh", "HKD"), ("Doanh nghiệp tư nhân", "DNTN")):
        if name.startswith(long):
            return short + name[len(long):]
    return name


def expand(name: str) -> str:
    for short, long in (("HTX", "Hợp tác xã"), ("CS", "Cơ sở sản xuất")):
        if name.startswith(short + " "):
            return long + name[len(short):]
    if name.startswith("Cơ sở "):
        return name[len("Cơ sở "):]
    return name


def build(part: str, communes: list[int], seed: int, size: int = 60):
    """(registered establishments as dicts, queries)."""
    rng = random.Random(seed)
    words = VOCABULARY[part]
    combos = [(t, n) for t in words["trades"] for n in words["names"]]
    rng.shuffle(combos)
    registered = []
    for i, (trade, place) in enumerate(combos[:size]):
        legal_form = rng.choice(list(FORMS))
        prefix = rng.choice(FORMS[legal_form])
        has_tax = legal_form != "household" or rng.random() < 0.3
        registered.append({
            "name": f"{prefix} {trade} {place}", "legal_form": legal_form,
            "tax_code": f"{(3_900_000_000 if part == 'dev' else 4_100_000_000) + i * 7919:010d}" if has_tax else "",
            "commune_id": rng.choice(communes[:8]), "representative": rng.choice(words["people"])})
    queries = []
    variants = ["no_diacritics", "abbreviation", "expansion", "typo", "branch", "moved", "typo_no_diacritics"]
    for index, est in enumerate(registered):
        variant = variants[index % len(variants)]
        name, tax_code, commune, person = est["name"], "", est["commune_id"], est["representative"]
        if variant == "no_diacritics":
            name = strip_diacritics(name)
        elif variant == "abbreviation":
            name = abbreviate(name)
        elif variant == "expansion":
            name = expand(abbreviate(name))
        elif variant == "typo":
            name = typo(rng, name)
        elif variant == "typo_no_diacritics":
            name = strip_diacritics(typo(rng, name))
        elif variant == "branch":
            if est["tax_code"]:
                tax_code = f"{est['tax_code']}-00{rng.randint(1, 9)}"
                name = f"Chi nhánh {est['name']}"
            else:
                name = strip_diacritics(abbreviate(name))
        elif variant == "moved":
            commune = rng.choice([c for c in communes if c != est["commune_id"]])
            person = person if rng.random() < 0.7 else ""
        queries.append(Query(name, tax_code, commune, person if rng.random() < 0.5 else "", index, variant))
    # Look-alikes that are new: a registered trade with a name nobody registered, in the
    # commune of an establishment of that trade.
    used = {(t, n) for t, n in combos[:size]}
    fresh = [c for c in combos[size:] if c not in used]
    for trade, place in fresh[:size]:
        twin = next((e for e in registered if trade in e["name"]), registered[0])
        legal_form = rng.choice(list(FORMS))
        queries.append(Query(f"{rng.choice(FORMS[legal_form])} {trade} {place}", "", twin["commune_id"],
                             rng.choice(words["people"]), None, "new_lookalike"))
    return registered, queries


def score(found: list[set], queries: list[Query], ids: list[int]) -> tuple[float, float, dict]:
    """Pair-level precision and recall, and recall per variant."""
    tp = fp = fn = 0
    by_variant: dict = {}
    for predicted, query in zip(found, queries, strict=True):
        truth = {ids[query.truth]} if query.truth is not None else set()
        tp += len(predicted & truth)
        fp += len(predicted - truth)
        fn += len(truth - predicted)
        if truth:
            hit, total = by_variant.get(query.variant, (0, 0))
            by_variant[query.variant] = (hit + len(predicted & truth), total + 1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, {k: round(h / t, 2) for k, (h, t) in sorted(by_variant.items())}
