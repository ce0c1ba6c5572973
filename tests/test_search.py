"""Diacritic-insensitive search and Vietnamese alphabetical order, on PostgreSQL and SQLite."""

import unicodedata

import pytest

from khuyencong.text import normalize_search, vietnamese_sort_key
from provinces.models import Commune, Province, Region


@pytest.mark.parametrize("typed", ["tay ninh", "TÂY NINH", "Tây Ninh", unicodedata.normalize("NFD", "Tây Ninh"),
                                   "  tây   ninh "])
def test_normalize_ignores_case_diacritics_and_form(typed):
    assert normalize_search(typed) == "tay ninh"


def test_d_with_stroke_matches_d():
    assert normalize_search("Đồng Nai") == normalize_search("dong nai") == "dong nai"


def test_vietnamese_order():
    names = ["Đồng Tháp", "Dương Minh Châu", "An Giang", "Ăn", "Âu", "Bà", "Ba", "Bb", "Ô", "O", "Ơ", "Ư", "U"]
    assert sorted(names, key=vietnamese_sort_key) == [
        "An Giang", "Ăn", "Âu", "Ba", "Bà", "Bb", "Dương Minh Châu", "Đồng Tháp", "O", "Ô", "Ơ", "U", "Ư"]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["tan ninh", "TÂN NINH", "Tân Ninh", unicodedata.normalize("NFD", "Tân Ninh")])
def test_commune_search_on_postgres(typed):
    found = list(Commune.objects.filter(province=80).search(typed).values_list("name", flat=True))
    assert found == ["Phường Tân Ninh"]


@pytest.mark.django_db
def test_provinces_sort_in_vietnamese_order_on_postgres():
    names = [p.short_name for p in Province.objects.all()]
    assert names.index("Đà Nẵng") > names.index("Điện Biên") or names.index("Đà Nẵng") > names.index("Cần Thơ")
    # Đ sorts after every D... and after C; Ă/Â after A.
    first_d_stroke = min(i for i, n in enumerate(names) if n.startswith("Đ"))
    assert all(not n.startswith("Đ") for n in names[:first_d_stroke])
    assert names == sorted(names, key=vietnamese_sort_key)
    assert names[0] == "An Giang"


@pytest.mark.django_db(databases=["default", "sqlite"])
def test_same_search_and_order_on_sqlite():
    rows = [Province(code=80, name="Tỉnh Tây Ninh", kind="tinh"), Province(code=75, name="Tỉnh Đồng Nai", kind="tinh"),
            Province(code=68, name="Tỉnh Lâm Đồng", kind="tinh"), Province(code=86, name="Tỉnh Vĩnh Long", kind="tinh"),
            Province(code=4, name="Tỉnh Cao Bằng", kind="tinh"), Province(code=91, name="Tỉnh An Giang", kind="tinh")]
    for row in rows:
        row.refresh_name_keys()
    Province.objects.using("sqlite").bulk_create(rows)
    on_sqlite = Province.objects.using("sqlite")
    for typed in ["tay ninh", "TÂY NINH", unicodedata.normalize("NFD", "Tây Ninh")]:
        assert list(on_sqlite.search(typed).values_list("code", flat=True)) == [80]
    assert list(on_sqlite.search("dong").order_by("sort_key").values_list("code", flat=True)) == [75, 68]
    pg_order = list(Province.objects.filter(code__in=[r.code for r in rows]).values_list("code", flat=True))
    assert list(on_sqlite.order_by("sort_key").values_list("code", flat=True)) == pg_order == [91, 4, 75, 68, 80, 86]


@pytest.mark.django_db
def test_region_search():
    assert Region.objects.search("dong bang song cuu long").get().code == "dong-bang-song-cuu-long"
