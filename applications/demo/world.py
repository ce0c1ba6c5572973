"""The demo world (``manage.py seed_demo``): programmes, caps, calls, councils, allocations,
establishments and dossiers in every state for the demo provinces, all through the services and
the shared builders (``applications.builders``). Skips what already exists."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from khuyencong.security import DEMO_PASSWORD
from programs.choices import FundSource
from programs.models import ActivityType, Call, Programme, SupportRule
from programs.services import activity_types_load, call_create, programme_create, support_rule_create
from provinces.models import Province
from provinces.services import province_centre_get_or_create

from .. import builders
from .. import services as app_services
from ..choices import CouncilLevel, CouncilRole
from ..models import Application, Establishment
from ..services import budget_allocation_move, budget_allocation_set
from .accounts import DEMO_PROVINCES
from .data import CRITERIA, DEMO_APPLICATIONS, ESTABLISHMENTS, PATHS, PROVINCE_PROFILES, _representative

SCORE_COMMENT = "Đề án phù hợp, khả thi."
REASONS = {
    "return": "Bổ sung báo giá thiết bị của ít nhất 3 nhà cung cấp.",
    "reject": "Điểm thẩm định không đạt; nội dung trùng với đề án năm trước.",
    "cancel": "Cơ sở rút đề nghị hỗ trợ.",
    "suspend": "Cơ sở chậm bố trí vốn đối ứng.",
}


def _commune_named_in(communes, text: str):
    """The commune whose name (without "Xã"/"Phường"/"Đặc khu") appears in ``text``, the
    longest when several do: an establishment named after its place sits there."""
    found = None
    for commune in communes:
        base = commune.name
        for prefix in ("Đặc khu ", "Phường ", "Xã "):
            base = base.removeprefix(prefix)
        if base and base in text and (found is None or len(base) > len(found[0])):
            found = (base, commune)
    return found[1] if found else None


def seed_data() -> list[str]:
    """Programmes, caps, calls, councils, allocations, establishments and applications in
    every state for the demo provinces. Skips what already exists."""
    User = get_user_model()
    root, created = User.objects.get_or_create(username="quantri", defaults={
        "is_superuser": True, "is_staff": True, "email": "quantri@khuyencong.example"})
    if created:
        root.set_password(DEMO_PASSWORD)
        root.save()
    lines = []
    activity_types_load()
    today = timezone.localdate()
    year = today.year
    national = Programme.objects.filter(code="kcqg-2026-2030").first() or programme_create(
        user=root, code="kcqg-2026-2030", name="Chương trình khuyến công quốc gia giai đoạn 2026–2030",
        fund_source=FundSource.NATIONAL, start_year=2026, end_year=2030,
        legal_basis="Quyết định 2646/QĐ-BCT ngày 23/9/2025 của Bộ trưởng Bộ Công Thương")
    decree = "Nghị định 45/2012/NĐ-CP, sửa đổi bởi Nghị định 235/2025/NĐ-CP"

    def cap(province, fund, code, percent, amount, valid_from, basis, note="", per_establishment=False):
        """A cap version through the service (which refuses overlaps), once."""
        if not SupportRule.objects.filter(fund_source=fund, province=province, activity_type_id=code,
                                          valid_from=valid_from).exists():
            support_rule_create(user=root, fund_source=fund, province=province, activity_type_id=code,
                                max_percent=percent, max_amount=amount, valid_from=valid_from, legal_basis=basis,
                                note=note, per_establishment=per_establishment)

    national_caps = [("MO_HINH_TD", Decimal("30"), 1_000_000_000, False), ("MMTB", Decimal("50"), 300_000_000, True),
                     ("NANG_LUC_QL", None, 10_000_000, False), ("SXSH", Decimal("30"), 500_000_000, False),
                     ("DAO_TAO", None, 150_000_000, False)]
    for code, percent, amount, per_est in national_caps:
        cap(None, FundSource.NATIONAL, code, percent, amount, date(2025, 10, 15), decree,
            note="Khởi sự doanh nghiệp ở địa bàn khó khăn" if code == "NANG_LUC_QL" else "", per_establishment=per_est)
    # Đắk Lắk's local caps (from 26/7/2025), an example of a People's Council resolution.
    dak_lak = Province.objects.get(code=66)
    for code, amount in (("MO_HINH_TD", 800_000_000), ("SXSH", 400_000_000)):
        cap(dak_lak, FundSource.LOCAL, code, None, amount, date(2025, 7, 26), "Nghị quyết của HĐND tỉnh Đắk Lắk")
    agency_council = [User.objects.get(username=f"cuc_hoidong{i}") for i in (1, 2, 3)]
    agency_officer = User.objects.get(username="cuc_chuyenvien")
    agency_approver = User.objects.get(username="cuc_lanhdao")
    for code, prefix, _commune in DEMO_PROVINCES:
        province = Province.objects.get(code=code)
        profile = PROVINCE_PROFILES[code]
        officer = User.objects.get(username=f"{prefix}_canbo")
        approver = User.objects.get(username=f"{prefix}_lanhdao")
        council = [User.objects.get(username=f"{prefix}_hoidong{i}") for i in (1, 2, 3)]
        centre = province_centre_get_or_create(province=province)
        local = Programme.objects.filter(code=f"kcdp-{code}-2026-2030").first() or programme_create(
            user=root, code=f"kcdp-{code}-2026-2030",
            name=f"Chương trình khuyến công {province.short_name} giai đoạn 2026–2030",
            fund_source=FundSource.LOCAL, province=province, start_year=2026, end_year=2030,
            legal_basis=profile["programme_basis"])
        # Each province's People's Council sets its own caps (different amounts and contents).
        for act, percent, amount, per_est in profile["caps"]:
            cap(province, FundSource.LOCAL, act, percent, amount, date(2025, 7, 1), profile["caps_basis"],
                per_establishment=per_est)
        extra = None
        if profile.get("extra_programme"):
            extra_code, extra_name, extra_basis = profile["extra_programme"]
            extra = Programme.objects.filter(code=extra_code).first() or programme_create(
                user=root, code=extra_code, name=extra_name, fund_source=FundSource.LOCAL, province=province,
                start_year=2026, end_year=2028, legal_basis=extra_basis)
        calls = {}
        for fund, programme, acts in ((FundSource.LOCAL, local, ["MMTB", "DAO_TAO", "MO_HINH_TD"]),
                                      (FundSource.NATIONAL, national, ["MO_HINH_TD", "MMTB", "SXSH"])):
            call = Call.objects.filter(programme=programme, province=province, year=year).first()
            if call is None:
                label = "khuyến công quốc gia" if fund == FundSource.NATIONAL else "khuyến công địa phương"
                call = call_create(user=root, programme=programme, province=province, year=year,
                                   name=f"Tiếp nhận đề án {label} năm {year} — {province.short_name}",
                                   opens_on=date(year, 1, 1), closes_on=date(year, 12, 31), activity_types=acts,
                                   criteria=CRITERIA)
                app_services.council_create(
                    user=officer, name=f"Hội đồng thẩm định đề án {label} {year} — {province.short_name}",
                    level=CouncilLevel.PROVINCIAL, call=call, decision_number=f"{code}/QĐ-SCT",
                    members=[(council[0], CouncilRole.CHAIR), (council[1], CouncilRole.SECRETARY),
                             (council[2], CouncilRole.MEMBER)])
                if fund == FundSource.NATIONAL:
                    app_services.council_create(
                        user=agency_officer, name=f"Hội đồng thẩm định của Cục — {province.short_name} {year}",
                        level=CouncilLevel.NATIONAL, call=call, decision_number="15/QĐ-ĐMST",
                        members=[(agency_council[0], CouncilRole.CHAIR), (agency_council[1], CouncilRole.SECRETARY),
                                 (agency_council[2], CouncilRole.MEMBER)])
            calls[fund] = call
        for programme, amount in ((local, profile["local_amount"]), (national, profile["national_amount"])):
            if not programme.allocations.filter(province=province, year=year).exists():
                budget_allocation_set(user=root, programme=programme, province=province, year=year, amount=amount,
                                      decision_number=f"{year}/QĐ-UBND" if programme.province_id else "20/QĐ-BCT")
        if extra is not None and not extra.allocations.filter(province=province, year=year).exists():
            # Part of the local programme's money moved to the province's craft-product scheme.
            source = local.allocations.get(province=province, year=year)
            budget_allocation_move(user=root, allocation_id=source.pk, target_programme_id=extra.pk,
                                   amount=profile["moved_amount"], decision_number=f"{year}/QĐ-UBND-ĐC",
                                   reason="Điều chuyển cho đề án phát triển sản phẩm công nghiệp nông thôn tiêu biểu")
        establishments = []
        communes = list(province.communes.order_by("code"))
        for i, (name, form, industry, woman, ethnic, difficult, craft, village) in enumerate(ESTABLISHMENTS[code]):
            # Households use the owner's 12-digit personal identification number as tax code.
            tax = f"{code:03d}2026{i:05d}" if form == "household" else f"{code:02d}{3100000 + i * 17:08d}"
            # Found again by tax code too: a rerun over an older demo (other names) adds nothing.
            est = (Establishment.objects.filter(province=province, name=name).first()
                   or Establishment.objects.filter(province=province, tax_code=tax).first())
            if est is None:
                commune = _commune_named_in(communes, f"{name} {village}") or communes[(i * 7) % len(communes)]
                if province.is_city and commune.kind == "phuong" and not craft:
                    commune = next(c for c in communes[i:] + communes if c.kind == "xa")
                est = app_services.establishment_create(user=officer, data={
                    "name": name, "legal_form": form, "tax_code": tax, "representative": _representative(i),
                    "province": province, "commune": commune, "address": f"Số {10 + i} đường số {i + 1}",
                    "industry": industry, "woman_owned": woman, "ethnic_minority": ethnic, "difficult_area": difficult,
                    "craft_village": craft, "craft_village_name": village, "employees": 8 + i * 5,
                    "phone": f"0276 38{i:02d} {100 + i}"})
            establishments.append(est)
        if Application.objects.filter(province=province).exists():
            continue
        for index, (_key, fund, act, title, requested, total, target) in enumerate(DEMO_APPLICATIONS):
            call = calls[fund]
            est = establishments[index % len(establishments)]
            app = app_services.application_create(
                user=officer, province=province, establishments=[est],
                data={"title": title, "programme": call.programme, "call": call,
                      "activity_type": ActivityType.objects.get(code=act),
                      "implementing_organisation": centre, "requested_support": requested,
                      "counterpart_funds": total - requested, "objectives": f"{title} cho {est.name}.",
                      "start_date": today + timedelta(days=30), "end_date": today + timedelta(days=210),
                      "expected_jobs": 5 + index, "expected_trainees": 30 if act == "DAO_TAO" else None},
                cost_lines=builders.cost_lines(act, total))
            if target != "draft":
                builders.attach_required(app, officer, title)
            _drive(app, PATHS[target], officer=officer, approver=approver, council=council,
                   agency_officer=agency_officer, agency_approver=agency_approver, agency_council=agency_council)
        lines.append(f"{province.name}: {Application.objects.filter(province=province).count()} đề án mẫu, "
                     f"{Establishment.objects.filter(province=province).count()} cơ sở")
    return lines


def _drive(app, steps, *, officer, approver, council, agency_officer, agency_approver, agency_council):
    """Take ``app`` through ``steps`` (``PATHS``), each by the person whose job it is."""
    today = timezone.localdate()
    for step in steps:
        app.refresh_from_db()
        national = app.fund_source == "national"
        if step == "partial_scores":
            builders.score_all(app, council[:1], comment=SCORE_COMMENT, vary=True)
        elif step == "scores":
            builders.score_all(app, council, comment=SCORE_COMMENT, vary=True)
        elif step == "start_national_appraisal":
            builders.act(agency_officer, app, step)
        elif step == "approve":
            if national:
                if app.status == "under_appraisal":
                    builders.act(approver, app, "endorse")
                    builders.act(agency_officer, app, "start_national_appraisal")
                builders.score_all(app, agency_council, comment=SCORE_COMMENT, vary=True)
            builders.approve(agency_approver if national else approver, app, on=today,
                             decision_number=f"{app.sequence}/QĐ-{'BCT' if national else 'SCT'}")
        elif step in REASONS:
            builders.act(officer if step in ("return", "cancel") else approver, app, step, reason=REASONS[step])
        elif step == "start_implementation":
            builders.start_implementation(officer, app, number=f"{app.sequence:02d}/{today.year}/HĐ-KC", on=today)
        elif step == "advance":
            # Half of the first-advance share (70 % for most activity types).
            amount = app.approved_amount * app.activity_type.first_advance_percent // 200
            app_services.disbursement_add(user=officer, application_id=app.pk, kind="advance", amount=amount,
                                          paid_on=today, reference=f"TU-{app.code}", note="Tạm ứng lần đầu")
        elif step == "payment":
            app_services.disbursement_add(user=officer, application_id=app.pk, kind="payment",
                                          amount=app.approved_amount // 5, paid_on=today,
                                          reference=f"TT-{app.code}", note="Thanh toán theo khối lượng")
        elif step == "progress_report":
            app_services.progress_report_add(
                user=officer, application_id=app.pk, period_start=today, period_end=today + timedelta(days=30),
                percent_done=40, narrative="Đã ký hợp đồng mua sắm, thiết bị đang được lắp đặt.")
        elif step == "complete":
            builders.complete(officer, app)
        elif step == "accept":
            builders.accept(approver, app, achieved_jobs=app.expected_jobs, achieved_trainees=app.expected_trainees,
                            machinery="" if app.activity_type_id == "DAO_TAO" else "01 bộ máy móc, thiết bị chính",
                            on=today)
        elif step == "settle":
            # Settled a little under the approved amount: the rest goes back to the allocation.
            settled = app.approved_amount * 95 // 100
            paid = sum(app.disbursements.values_list("amount", flat=True))
            app_services.application_settle(
                user=agency_approver if national else approver, application_id=app.pk, settled_amount=settled,
                final_payment_amount=settled - paid, final_payment_reference=f"QT-{app.code}",
                decision_number=f"{app.sequence}/QĐ-QT", decision_date=today)
        elif step == "endorse":
            builders.act(approver, app, step)
        else:
            builders.act(officer, app, step)
