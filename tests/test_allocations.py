"""Issue 11: budget allocations change through services only — raise, lower (never below
what is committed: 409 naming the figure), move between programmes with a reason — and
every change is an append-only ledger entry; the Django admin is no back door."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.ledger import budget_position
from khuyencong.errors import DomainConflict
from programs.choices import FundSource
from programs.models import BudgetAllocation, BudgetAllocationEntry, Programme
from tests.factories import _superuser, approve_local, build_world, make_application

pytestmark = pytest.mark.django_db
TN, HCM = 80, 79


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def tn(world):
    return world.provinces[TN]


@pytest.fixture
def committed(tn):
    """Tây Ninh's local allocation (2.000.000.000) with 150.000.000 committed."""
    approve_local(tn, make_application(tn, requested=150_000_000, total=400_000_000))
    return BudgetAllocation.objects.get(programme=tn.local_programme, province=tn.province,
                                        year=timezone.localdate().year)


@pytest.fixture
def second_programme(tn):
    year = timezone.localdate().year
    return Programme.objects.create(code="kcdp-80-lang-nghe", name="Đề án phát triển làng nghề Tây Ninh",
                                    fund_source=FundSource.LOCAL, province=tn.province, start_year=year,
                                    end_year=year + 2)


def entries(allocation):
    return list(allocation.entries.order_by("created_at", "pk").values_list("kind", "amount_before", "amount_after",
                                                                            "reason"))


def test_raise_lower_and_move_write_ledger_entries(tn, committed, second_programme):
    services.budget_allocation_set(user=tn.approver, programme=tn.local_programme, province=tn.province,
                                   year=committed.year, amount=2_500_000_000, reason="Bổ sung dự toán đợt 2")
    services.budget_allocation_set(user=tn.officer, programme=tn.local_programme, province=tn.province,
                                   year=committed.year, amount=1_000_000_000, reason="Cắt giảm theo NQ HĐND")
    source, target = services.budget_allocation_move(
        user=tn.approver, allocation_id=committed.pk, target_programme_id=second_programme.pk, amount=300_000_000,
        reason="Ưu tiên làng nghề")
    assert source.amount == 700_000_000 and target.amount == 300_000_000
    assert entries(source)[1:] == [("raise", 2_000_000_000, 2_500_000_000, "Bổ sung dự toán đợt 2"),
                                   ("lower", 2_500_000_000, 1_000_000_000, "Cắt giảm theo NQ HĐND"),
                                   ("move_out", 1_000_000_000, 700_000_000, "Ưu tiên làng nghề")]
    assert entries(target) == [("move_in", 0, 300_000_000, "Ưu tiên làng nghề")]
    assert target.entries.get().counterpart == source and target.entries.get().actor == tn.approver
    # Entries are append-only.
    entry = source.entries.last()
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_bad_changes_are_refused_and_change_nothing(tn, committed, second_programme, world):
    before = BudgetAllocationEntry.objects.count()
    key = dict(programme=tn.local_programme, province=tn.province, year=committed.year)
    with pytest.raises(DomainConflict) as caught:
        services.budget_allocation_set(user=tn.approver, amount=100_000_000, reason="Giảm", **key)
    assert "150.000.000 ₫" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        services.budget_allocation_set(user=tn.approver, amount=1_500_000_000, **key)
    assert "reason" in caught.value.message_dict
    with pytest.raises(DomainConflict):  # what stays would fall below what is committed
        services.budget_allocation_move(user=tn.approver, allocation_id=committed.pk,
                                        target_programme_id=second_programme.pk, amount=1_900_000_000, reason="x")
    with pytest.raises(ValidationError) as caught:  # national and local money do not mix
        services.budget_allocation_move(user=tn.approver, allocation_id=committed.pk,
                                        target_programme_id=world.national_programme.pk, amount=1, reason="x")
    assert "target_programme" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.budget_allocation_move(user=tn.approver, allocation_id=committed.pk,
                                        target_programme_id=second_programme.pk, amount=0, reason=" ")
    assert {"amount", "reason"} <= set(caught.value.message_dict)
    # National money is the Agency's; another province's allocation is out of reach.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.budget_allocation_set(user=tn.approver, programme=world.national_programme, province=tn.province,
                                       year=committed.year, amount=5_000_000_000, reason="x")
    hcm_allocation = BudgetAllocation.objects.get(programme=world.provinces[HCM].local_programme)
    with pytest.raises(BudgetAllocation.DoesNotExist):
        services.budget_allocation_move(user=tn.approver, allocation_id=hcm_allocation.pk,
                                        target_programme_id=second_programme.pk, amount=1, reason="x")
    assert BudgetAllocationEntry.objects.count() == before
    assert BudgetAllocation.objects.get(pk=committed.pk).amount == 2_000_000_000


def test_agency_allocates_national_funds(world, tn):
    year = timezone.localdate().year
    allocation = services.budget_allocation_set(user=world.agency_approver, programme=world.national_programme,
                                                province=tn.province, year=year, amount=2_600_000_000,
                                                decision_number="12/QĐ-BCT", reason="Kế hoạch KCQG giao đầu năm")
    assert allocation.amount == 2_600_000_000 and allocation.entries.last().kind == "raise"


# --- API -----------------------------------------------------------------------------------------


def test_api_allocation_changes(api_client_for, tn, world, committed, second_programme):
    client = api_client_for(tn.approver)
    url = reverse("budget-allocation-detail", args=[committed.pk])
    response = client.patch(url, {"amount": 100_000_000, "reason": "Giảm"}, format="json")
    assert response.status_code == 409
    assert "150.000.000 ₫" in response.json()["detail"]
    response = client.patch(url, {"amount": 1_800_000_000, "reason": "Giảm theo quyết toán"}, format="json")
    assert response.status_code == 200 and response.json()["remaining"] == 1_650_000_000
    response = client.post(reverse("budget-allocation-move", args=[committed.pk]),
                           {"target_programme": second_programme.pk, "amount": 200_000_000,
                            "reason": "Ưu tiên làng nghề"}, format="json")
    assert response.status_code == 200, response.json()
    assert [row["amount"] for row in response.json()] == [1_600_000_000, 200_000_000]
    kinds = [e["kind"] for e in client.get(reverse("budget-allocation-entries", args=[committed.pk])).json()]
    assert kinds == ["allocate", "lower", "move_out"]
    response = client.post(reverse("budget-allocation-list"),
                           {"programme": second_programme.pk, "province": TN, "year": committed.year + 1,
                            "amount": 500_000_000, "decision_number": "01/QĐ-UBND"}, format="json")
    assert response.status_code == 201 and response.json()["amount"] == 500_000_000
    bad = client.post(reverse("budget-allocation-list"), {"programme": world.provinces[HCM].local_programme.pk,
                                                         "province": HCM, "year": 1900, "amount": -1}, format="json")
    assert bad.status_code == 400 and {"programme", "year", "amount"} <= set(bad.json()["errors"])
    # Another province's allocation: 404 on read, change, move and entries.
    hcm_allocation = BudgetAllocation.objects.get(programme=world.provinces[HCM].local_programme)
    for method, target in (("get", reverse("budget-allocation-detail", args=[hcm_allocation.pk])),
                           ("patch", reverse("budget-allocation-detail", args=[hcm_allocation.pk])),
                           ("post", reverse("budget-allocation-move", args=[hcm_allocation.pk])),
                           ("get", reverse("budget-allocation-entries", args=[hcm_allocation.pk]))):
        assert getattr(client, method)(target, {"amount": 1, "reason": "x", "target_programme": 1},
                                       format="json").status_code == 404
    # A read-only token, a council member: refused, nothing changes.
    assert api_client_for(tn.approver, read_only=True).patch(url, {"amount": 1_900_000_000, "reason": "x"},
                                                             format="json").status_code == 403
    assert api_client_for(tn.council[0]).patch(url, {"amount": 1_900_000_000, "reason": "x"},
                                               format="json").status_code in (403, 404)
    assert BudgetAllocation.objects.get(pk=committed.pk).amount == 1_600_000_000


# --- Pages ---------------------------------------------------------------------------------------


def test_allocation_pages(client, tn, world, committed, second_programme):
    client.force_login(tn.approver)
    page = client.get(reverse("applications:budget")).content.decode()
    assert reverse("applications:allocation_detail", args=[committed.pk]) in page
    url = reverse("applications:allocation_detail", args=[committed.pk])
    response = client.post(url, {"op": "change", "change-amount": "100000000", "change-reason": "Giảm"})
    assert response.status_code == 409 and "150.000.000 ₫" in response.content.decode()
    response = client.post(url, {"op": "change", "change-amount": "1900000000", "change-reason": ""})
    assert response.status_code == 400 and "Trường này là bắt buộc" in response.content.decode()
    response = client.post(url, {"op": "move", "move-target_programme": second_programme.pk,
                                 "move-amount": "250000000", "move-reason": "Ưu tiên làng nghề"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Điều chuyển đi" in page and "Ưu tiên làng nghề" in page and "1.750.000.000 ₫" in page
    response = client.post(reverse("applications:allocation_create"),
                           {"programme": second_programme.pk, "province": TN, "year": committed.year + 1,
                            "amount": "400000000", "decision_number": "02/QĐ-UBND", "reason": ""})
    assert response.status_code == 302
    hcm_allocation = BudgetAllocation.objects.get(programme=world.provinces[HCM].local_programme)
    assert client.get(reverse("applications:allocation_detail", args=[hcm_allocation.pk])).status_code == 404
    # A council member reads the page but gets no forms and cannot post.
    client.force_login(tn.council[0])
    assert client.post(url, {"op": "change", "change-amount": "1", "change-reason": "x"}).status_code in (403, 404)


# --- The admin is no back door -----------------------------------------------------------------


def test_admin_cannot_lower_an_allocation_below_committed(client, tn, committed, settings):
    """The defect: a superuser lowered Tây Ninh's allocation to 100.000.000 ₫ in the admin
    while 150.000.000 ₫ was committed, leaving the ledger negative."""
    settings.KC_ENFORCE_2FA = False
    client.force_login(_superuser())
    url = reverse("admin:programs_budgetallocation_change", args=[committed.pk])
    assert client.get(url).status_code == 200  # readable
    response = client.post(url, {"programme": committed.programme_id, "province": TN, "year": committed.year,
                                 "amount": "100000000", "decision_number": "", "note": ""})
    assert response.status_code == 403
    assert client.post(reverse("admin:programs_budgetallocation_add"), {}).status_code == 403
    assert client.post(reverse("admin:programs_budgetallocation_delete", args=[committed.pk]),
                       {"post": "yes"}).status_code == 403
    for name in ("programs_call", "programs_supportrule", "programs_programme", "applications_establishment",
                 "applications_appraisalcouncil", "applications_application"):
        assert client.post(reverse(f"admin:{name}_add"), {}).status_code == 403
    assert BudgetAllocation.objects.get(pk=committed.pk).amount == 2_000_000_000
    assert budget_position(programme_id=committed.programme_id, province_id=TN, year=committed.year).remaining >= 0
