"""Duplicate detection: candidates by tax code, head office/branch and similar names,
overlapping support of any activity type with the reason, rejected/cancelled excluded,
"not the same" recorded; and precision/recall on the labelled sample (held-out half)."""

import pytest
from django.urls import reverse

from applications import selectors, services
from applications.duplicates.finder import candidates_for, establishment_candidates
from applications.duplicates.names import core_name, similarity
from applications.models import DistinctEstablishmentPair, Establishment
from provinces.models import Commune

from .conftest import TAY_NINH
from .duplicate_sample import build, score
from .factories import build_world, make_application, make_establishment

pytestmark = pytest.mark.django_db


def test_names_are_compared_without_legal_form_spellings_or_diacritics():
    assert core_name("Cty TNHH Mây tre Tân Ninh") == core_name("CÔNG TY TNHH MÂY TRE TÂN NINH")
    assert core_name("HTX Nông sản Hòa Thành") == core_name("Hợp tác xã nông san Hoa Thanh")
    assert core_name("CS bánh tráng Út Hiền") == core_name("Cơ sở bánh tráng Út Hiền") == "banh trang ut hien"
    assert similarity("may tre tan ninh", "may tre tan ninh") == 1.0


@pytest.fixture
def world(db):
    return build_world(province_codes=(TAY_NINH, 79))


def test_candidates_by_tax_code_branch_and_similar_name(world):
    tn = world.provinces[TAY_NINH]
    commune = tn.province.communes.order_by("code").first()
    head = make_establishment(tn, tax_code="3901234567", name="Công ty TNHH Mây tre Tân Ninh", commune=commune)
    branch = make_establishment(tn, tax_code="3901234567-001", name="Chi nhánh Công ty TNHH Mây tre Tân Ninh")
    household = make_establishment(tn, tax_code="", name="Cơ sở bánh tráng Út Hiền", commune=commune)
    other = make_establishment(tn, tax_code="", name="Cơ sở bánh tráng Ba Tâm", commune=commune)
    found = {c.establishment.pk: c for c in candidates_for(head)}
    assert found[branch.pk].score == 0.95 and "chi nhánh" in found[branch.pk].reasons[0]
    found = establishment_candidates(name="CS banh trang Ut Hien", commune_id=commune.pk, province_id=TAY_NINH)
    assert [c.establishment.pk for c in found] == [household.pk]
    assert "tên gần giống" in found[0].reasons[0] and "cùng xã/phường" in found[0].reasons[0]
    assert other.pk not in {c.establishment.pk for c in found}


def test_overlapping_support_of_any_activity_type_with_reasons(world):
    tn = world.provinces[TAY_NINH]
    est = make_establishment(tn, tax_code="", name="Cơ sở cơ khí Phước Vinh")
    twin = make_establishment(tn, tax_code="", name="CS co khi Phuoc Vinh", commune=est.commune)
    machinery = make_application(tn, establishments=[est], activity_type="MMTB")
    services.application_transition(user=tn.officer, application_id=machinery.pk, action="submit")
    services.application_transition(user=tn.officer, application_id=machinery.pk, action="start_appraisal")
    demo = make_application(tn, establishments=[twin], activity_type="DAO_TAO", requested=50_000_000)
    services.application_transition(user=tn.officer, application_id=demo.pk, action="submit")
    overlaps = selectors.duplicates_for(demo)
    assert [a.pk for a in overlaps] == [machinery.pk]
    reasons = " ".join(overlaps[0].overlap_reasons)
    assert "tên gần giống" in reasons and "nội dung khác (MMTB)" in reasons
    # Rejected and cancelled schemes are not support.
    services.application_transition(user=tn.approver, application_id=machinery.pk, action="reject",
                                     reason="Không đạt")
    assert selectors.duplicates_for(demo) == []


def test_officer_marks_a_pair_not_the_same(world, client):
    tn = world.provinces[TAY_NINH]
    a = make_establishment(tn, tax_code="", name="Cơ sở nhang trầm Long Hoa")
    b = make_establishment(tn, tax_code="", name="Hộ kinh doanh nhang trầm Long Hòa", commune=a.commune)
    assert b.pk in {c.establishment.pk for c in candidates_for(a)}
    client.force_login(tn.officer)
    page = client.get(reverse("applications:establishment_detail", args=[a.pk])).content.decode()
    assert 'id="duplicate-candidates"' in page and "Hộ kinh doanh nhang trầm Long Hòa" in page
    response = client.post(reverse("applications:establishment_distinct", args=[a.pk]), {"other": b.pk, "reason": ""})
    assert not DistinctEstablishmentPair.objects.exists()
    response = client.post(reverse("applications:establishment_distinct", args=[a.pk]),
                           {"other": b.pk, "reason": "Hai hộ khác nhau, cùng làng nghề"})
    assert response.status_code == 302
    pair = DistinctEstablishmentPair.objects.get()
    assert (pair.first_id, pair.second_id, pair.decided_by) == (min(a.pk, b.pk), max(a.pk, b.pk), tn.officer)
    assert b.pk not in {c.establishment.pk for c in candidates_for(a)}
    assert a.pk not in {c.establishment.pk for c in candidates_for(b)}
    # Another province's officer cannot reach the establishment.
    client.force_login(world.provinces[79].officer)
    assert client.post(reverse("applications:establishment_distinct", args=[a.pk]),
                       {"other": b.pk, "reason": "x"}).status_code == 404


def _evaluate(part: str, seed: int):
    communes = list(Commune.objects.filter(province_id=TAY_NINH).order_by("code").values_list("code", flat=True))
    registered, queries = build(part, communes, seed)
    ids = []
    for row in registered:
        est = Establishment(province_id=TAY_NINH, address="x", industry="y", **row)
        est.save()
        ids.append(est.pk)
    found = []
    for q in queries:
        candidates = establishment_candidates(name=q.name, tax_code=q.tax_code, commune_id=q.commune_id,
                                              province_id=TAY_NINH, representative=q.representative)
        found.append({c.establishment.pk for c in candidates})
    return score(found, queries, ids), len(queries)


@pytest.mark.parametrize("part,seed", [("dev", 7), ("heldout", 2026)])
def test_precision_and_recall_on_the_labelled_sample(db, part, seed, capsys):
    (precision, recall, per_variant), size = _evaluate(part, seed)
    with capsys.disabled():
        print(f"\nduplicate finder on the {part} sample ({size} queries): precision {precision:.3f}, "
              f"recall {recall:.3f}; recall per variant {per_variant}")
    assert precision >= 0.9 and recall >= 0.8
