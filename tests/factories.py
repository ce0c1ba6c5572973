"""The test world: provinces with their staff, programmes, calls, councils and money, and the
short-hands the tests use, built with the builders the demo data uses (``applications.builders``)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from applications import builders
from applications import services as app_services
from applications.choices import CouncilLevel, CouncilRole, LegalForm
from applications.models import Application
from applications.services import budget_allocation_set
from programs.choices import FundSource
from programs.models import ActivityType, Programme
from programs.services import activity_types_load, call_create, support_rule_create
from provinces.choices import Role
from provinces.models import Commune, Organisation, Province
from provinces.services import agency_get_or_create, member_add, province_centre_get_or_create

PDF_BYTES = builders.pdf_bytes("Ho so")
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
             b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

DEFAULT_CRITERIA = [
    {"name": "Tính cấp thiết và phù hợp", "weight": Decimal("30"), "max_score": 10},
    {"name": "Tính khả thi và hiệu quả", "weight": Decimal("40"), "max_score": 10},
    {"name": "Năng lực của cơ sở thụ hưởng", "weight": Decimal("30"), "max_score": 10},
]


def pdf_file(name="tai-lieu.pdf"):
    return builders.pdf_file(name, "Ho so")


@dataclass
class ProvinceSetup:
    """Everyone and everything a province needs to take a scheme from draft to decision."""

    province: Province
    officer: object
    approver: object
    council: list
    commune_officer: object
    centre: Organisation
    local_programme: Programme
    local_call: object
    national_call: object
    users: dict = field(default_factory=dict)


@dataclass
class World:
    national_programme: Programme
    agency_officer: object
    agency_approver: object
    agency_council: list
    provinces: dict


def _user(username, role, province=None, commune=None, agency=None):
    user, *_ = member_add(username=username, role=role, province=province, commune=commune,
                          password="pw-test-12345", email=f"{username}@example.test", organisation=agency)
    return user


def build_world(province_codes=(80, 79), allocation=2_000_000_000, today=None) -> World:
    """Activity types, the national programme, caps, and for each province: staff, a
    council of three, a local programme, open calls (local and national) with criteria,
    and allocations for the current year."""
    today = today or timezone.localdate()
    year = today.year
    activity_types_load()
    agency = agency_get_or_create()
    superuser = _superuser()
    national, _ = Programme.objects.get_or_create(
        code="kcqg-2026-2030",
        defaults={"name": "Chương trình khuyến công quốc gia 2026–2030", "fund_source": FundSource.NATIONAL,
                  "start_year": 2026, "end_year": 2030, "legal_basis": "Quyết định 2646/QĐ-BCT"})
    if national.pk is None:
        national.save()
    support_rule_create(user=superuser, fund_source=FundSource.NATIONAL, activity_type_id="MO_HINH_TD",
                        max_percent=Decimal("30"), max_amount=1_000_000_000, valid_from=date(2025, 10, 15))
    support_rule_create(user=superuser, fund_source=FundSource.NATIONAL, activity_type_id="MMTB",
                        max_percent=Decimal("50"), max_amount=300_000_000, valid_from=date(2025, 10, 15))
    world = World(
        national_programme=national,
        agency_officer=_user("cuc_officer", Role.AGENCY_OFFICER, agency=agency),
        agency_approver=_user("cuc_approver", Role.AGENCY_APPROVER, agency=agency),
        agency_council=[_user(f"cuc_council{i}", Role.COUNCIL_MEMBER, agency=agency) for i in (1, 2, 3)],
        provinces={},
    )
    for code in province_codes:
        province = Province.objects.get(code=code)
        prefix = f"p{code}"
        commune = province.communes.filter(kind="xa").order_by("code").first()
        setup = ProvinceSetup(
            province=province,
            officer=_user(f"{prefix}_officer", Role.PROVINCE_OFFICER, province),
            approver=_user(f"{prefix}_approver", Role.PROVINCE_APPROVER, province),
            council=[_user(f"{prefix}_council{i}", Role.COUNCIL_MEMBER, province) for i in (1, 2, 3)],
            commune_officer=_user(f"{prefix}_commune", Role.COMMUNE_OFFICER, province, commune),
            centre=province_centre_get_or_create(province=province),
            local_programme=None, local_call=None, national_call=None,
        )
        setup.local_programme = Programme.objects.create(
            code=f"kcdp-{code}-2026-2030", name=f"Chương trình khuyến công {province.short_name} 2026–2030",
            fund_source=FundSource.LOCAL, province=province, start_year=2026, end_year=2030)
        support_rule_create(user=superuser, fund_source=FundSource.LOCAL, province=province,
                            activity_type_id="MMTB", max_percent=Decimal("50"), max_amount=300_000_000,
                            valid_from=date(2025, 7, 1))
        support_rule_create(user=superuser, fund_source=FundSource.LOCAL, province=province,
                            activity_type_id="DAO_TAO", max_amount=100_000_000, valid_from=date(2025, 7, 1))
        setup.local_call = call_create(
            user=superuser, programme=setup.local_programme, province=province, year=year,
            name=f"Đợt tiếp nhận khuyến công địa phương {year}", opens_on=today - timedelta(days=30),
            closes_on=today + timedelta(days=30), activity_types=["MMTB", "DAO_TAO"], criteria=DEFAULT_CRITERIA)
        setup.national_call = call_create(
            user=superuser, programme=national, province=province, year=year,
            name=f"Đề xuất khuyến công quốc gia {year}", opens_on=today - timedelta(days=30),
            closes_on=today + timedelta(days=30), activity_types=["MO_HINH_TD", "MMTB"], criteria=DEFAULT_CRITERIA)
        budget_allocation_set(user=superuser, programme=setup.local_programme, province=province, year=year,
                              amount=allocation)
        budget_allocation_set(user=superuser, programme=national, province=province, year=year, amount=allocation)
        for call in (setup.local_call, setup.national_call):
            app_services.council_create(
                user=setup.officer, name=f"Hội đồng thẩm định — {call.name}", level=CouncilLevel.PROVINCIAL,
                call=call, members=[(setup.council[0], CouncilRole.CHAIR), (setup.council[1], CouncilRole.SECRETARY),
                                    (setup.council[2], CouncilRole.MEMBER)])
        app_services.council_create(
            user=world.agency_officer, name=f"Hội đồng Cục — {setup.national_call.name}", level=CouncilLevel.NATIONAL,
            call=setup.national_call,
            members=[(world.agency_council[0], CouncilRole.CHAIR), (world.agency_council[1], CouncilRole.SECRETARY),
                     (world.agency_council[2], CouncilRole.MEMBER)])
        world.provinces[code] = setup
    return world


def _superuser():
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(username="root", defaults={"is_superuser": True,
                                                                                      "is_staff": True})
    return user


_tax_counter = {"n": 0}


def make_establishment(setup: ProvinceSetup, *, commune: Commune | None = None, tax_code: str | None = None,
                       **extra):
    _tax_counter["n"] += 1
    commune = commune or setup.province.communes.filter(kind="xa").order_by("code").first()
    data = {"name": f"Cơ sở cơ khí Phú Hòa {_tax_counter['n']}", "legal_form": LegalForm.HOUSEHOLD,
            "tax_code": tax_code if tax_code is not None else f"{3900000000 + _tax_counter['n'] * 7919:010d}",
            "representative": "Nguyễn Thị Lan", "province": setup.province, "commune": commune,
            "address": "Ấp 3", "industry": "Cơ khí nông nghiệp", **extra}
    return app_services.establishment_create(user=setup.officer, data=data)


def make_application(setup: ProvinceSetup, *, national=False, establishments=None, activity_type="MMTB",
                     requested=200_000_000, total=500_000_000, attachments=True, user=None) -> Application:
    establishments = establishments or [make_establishment(setup)]
    call = setup.national_call if national else setup.local_call
    application = app_services.application_create(
        user=user or setup.officer, province=setup.province, establishments=establishments,
        data={"title": "Hỗ trợ máy sấy nông sản tiết kiệm năng lượng", "programme": call.programme, "call": call,
              "activity_type": ActivityType.objects.get(code=activity_type),
              "implementing_organisation": setup.centre, "requested_support": requested,
              "counterpart_funds": total - requested, "objectives": "Nâng cao năng suất"},
        cost_lines=[{"item": "Máy sấy", "quantity": Decimal("1"), "unit": "bộ", "unit_cost": total}],
    )
    if attachments:
        builders.attach_required(application, user or setup.officer, "Ho so")
    application.refresh_from_db()
    return application


def score_all(application, members, level, score=8):
    builders.score_all(application, members, score)


def to_under_appraisal(setup, application):
    return builders.to_under_appraisal(setup.officer, application)


def approve_local(setup, application, amount=None):
    to_under_appraisal(setup, application)
    score_all(application, setup.council, CouncilLevel.PROVINCIAL)
    return builders.approve(setup.approver, application, decision_number="123/QĐ-SCT", amount=amount)


# --- After the decision (implementation records through the services) ----------------------


def approve_national(world, setup, application, amount=None):
    """A national-fund application from draft to approved by the Agency."""
    to_under_appraisal(setup, application)
    score_all(application, setup.council, CouncilLevel.PROVINCIAL)
    builders.act(setup.approver, application, "endorse")
    builders.act(world.agency_officer, application, "start_national_appraisal")
    score_all(application, world.agency_council, CouncilLevel.NATIONAL)
    return builders.approve(world.agency_approver, application, decision_number="77/QĐ-CCT", amount=amount)


def implement(setup, application, *, value=None, user=None, number="01/2026/HĐ-KC"):
    """Record a contract with the application's first beneficiary and start implementation."""
    return builders.start_implementation(user or setup.officer, application, number=number, value=value)


def complete_implementation(setup, application, *, user=None):
    """Upload the completion report and move the application to completed."""
    return builders.complete(user or setup.officer, application, "Đã lắp đặt và vận hành máy")


def accept_implementation(setup, application, *, result="passed", user=None):
    """Record a passed acceptance (with minutes): the application becomes accepted."""
    return builders.accept(user or setup.approver, application, result=result)
