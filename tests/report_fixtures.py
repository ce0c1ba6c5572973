"""A small, hand-computed dataset for the reports and dashboards tests, written straight
to the tables the reports read (the workflow itself is tested elsewhere).

Year 2026 (2025 has one HCM scheme that every 2026 figure must leave out):

===== ======== ===== ========= ========= ========== ========== ========= ==================
code  province type  fund      requested approved   status     disbursed settled / flags
===== ======== ===== ========= ========= ========== ========== ========= ==================
a1    80 (X1)  MMTB  local     200 M     150 M      in_progress 120 M    — woman-owned
a2    80 (X2)  SXSH  national  300 M     300 M      settled    300 M     280 M ethnic minority
a3    80 (X1)  DAO   local      50 M     —          rejected   —         — difficult area
a4    80 (X2)  MMTB  local     100 M     —          submitted (40 days: overdue)
b1    79       MMTB  local     400 M     400 M      approved   —         —
b2    79 2025  MMTB  local     999 M     999 M      approved   —         —
===== ======== ===== ========= ========= ========== ========== ========= ==================

National 2026: 5 schemes, requested 1.050 M, approved 850 M (3 approved / 1 rejected:
75,0 %), disbursed 420 M, settled 280 M, 1 overdue. Green (SXSH): 300 M of 850 M.
Stage "submitted": a1 4 d, a2 2 d, a3 6 d → median 4,0. "under_appraisal": a1 6 d,
a3 3 d → median 4,5.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.models import Application, ApplicationEvent, Disbursement, Establishment, Settlement
from programs.choices import FundSource
from programs.models import BudgetAllocation, Programme
from programs.services import activity_types_load
from provinces.models import Province
from provinces.services import province_centre_get_or_create

M = 1_000_000
TAY_NINH, HCM = 80, 79


@dataclass
class Dataset:
    apps: dict
    communes: dict
    national: Programme
    local: dict


def _establishment(province, commune, n, **flags):
    return Establishment.objects.create(
        name=f"Cơ sở thử nghiệm {n}", legal_form="household", tax_code=f"{8000000000 + n}",
        representative="Trần Thị Mai", province=province, commune=commune, address="Ấp 1",
        industry="Cơ khí", **flags)


def build_dataset() -> Dataset:
    activity_types_load()
    root, _ = get_user_model().objects.get_or_create(username="report_root", defaults={"is_superuser": True})
    national, _ = Programme.objects.get_or_create(
        code="kcqg-test", defaults={"name": "Chương trình khuyến công quốc gia 2026–2030",
                                    "fund_source": FundSource.NATIONAL, "start_year": 2021, "end_year": 2030})
    provinces = {code: Province.objects.get(code=code) for code in (TAY_NINH, HCM)}
    local = {code: Programme.objects.create(code=f"kcdp-test-{code}", name=f"Khuyến công {p.short_name}",
                                            fund_source=FundSource.LOCAL, province=p, start_year=2021, end_year=2030)
             for code, p in provinces.items()}
    centres = {code: province_centre_get_or_create(province=p) for code, p in provinces.items()}
    tn_communes = list(provinces[TAY_NINH].communes.filter(kind="xa").order_by("code")[:2])
    hcm_commune = provinces[HCM].communes.filter(kind="xa").order_by("code").first()
    x1, x2 = tn_communes
    now = timezone.now()
    t0 = now - timedelta(days=60)
    seq = {"n": 0}

    def app(code, province_code, activity, fund, requested, approved, status, year=2026, est=None,
            changed=None):
        seq["n"] += 1
        a = Application.objects.create(
            code=f"T-{code}", year=year, sequence=seq["n"], province=provinces[province_code],
            programme=national if fund == FundSource.NATIONAL else local[province_code], fund_source=fund,
            activity_type_id=activity, implementing_organisation=centres[province_code],
            title=f"Đề án thử nghiệm {code}", requested_support=requested, total_cost=requested * 2,
            approved_amount=approved, status=status, status_changed_at=changed or now)
        a.establishments.add(est)
        return a

    def events(a, steps):
        previous = ""
        for status, day in steps:
            ApplicationEvent.objects.create(application=a, action=status, from_status=previous, to_status=status,
                                            created_at=t0 + timedelta(days=day))
            previous = status

    apps = {
        "a1": app("a1", TAY_NINH, "MMTB", FundSource.LOCAL, 200 * M, 150 * M, "in_progress",
                  est=_establishment(provinces[TAY_NINH], x1, 1, woman_owned=True)),
        "a2": app("a2", TAY_NINH, "SXSH", FundSource.NATIONAL, 300 * M, 300 * M, "settled",
                  est=_establishment(provinces[TAY_NINH], x2, 2, ethnic_minority=True)),
        "a3": app("a3", TAY_NINH, "DAO_TAO", FundSource.LOCAL, 50 * M, None, "rejected",
                  est=_establishment(provinces[TAY_NINH], x1, 3, difficult_area=True)),
        "a4": app("a4", TAY_NINH, "MMTB", FundSource.LOCAL, 100 * M, None, "submitted",
                  est=_establishment(provinces[TAY_NINH], x2, 4), changed=now - timedelta(days=40)),
        "b1": app("b1", HCM, "MMTB", FundSource.LOCAL, 400 * M, 400 * M, "approved",
                  est=_establishment(provinces[HCM], hcm_commune, 5)),
        "b2": app("b2", HCM, "MMTB", FundSource.LOCAL, 999 * M, 999 * M, "approved", year=2025,
                  est=_establishment(provinces[HCM], hcm_commune, 6)),
    }
    events(apps["a1"], [("submitted", 0), ("under_appraisal", 4), ("approved", 10), ("in_progress", 12)])
    events(apps["a2"], [("submitted", 0), ("under_appraisal", 2)])
    events(apps["a3"], [("submitted", 0), ("under_appraisal", 6), ("rejected", 9)])
    paid = date(2026, 3, 10)
    Disbursement.objects.create(application=apps["a1"], kind="advance", amount=100 * M, paid_on=paid, reference="UNC-1",
                                created_by=root)
    Disbursement.objects.create(application=apps["a1"], kind="payment", amount=20 * M, paid_on=paid, reference="UNC-2",
                                created_by=root)
    final = Disbursement.objects.create(application=apps["a2"], kind="final", amount=300 * M, paid_on=paid,
                                        reference="UNC-3", created_by=root)
    Settlement.objects.create(application=apps["a2"], settled_amount=280 * M, decision_number="9/QĐ-QT",
                              decision_date=date(2026, 6, 1), final_payment=final, created_by=root)
    BudgetAllocation.objects.create(programme=local[TAY_NINH], province=provinces[TAY_NINH], year=2026,
                                    amount=1_000 * M)
    return Dataset(apps=apps, communes={"x1": x1, "x2": x2}, national=national, local=local)
