"""Demo data for the quick start: organisations and one account per role for Tây Ninh,
TP Hồ Chí Minh and the Agency. Idempotent; everything goes through the services."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from khuyencong.security import DEMO_PASSWORD
from provinces.choices import Role
from provinces.models import Commune, Province
from provinces.services import agency_get_or_create, member_add, province_centre_get_or_create

# (province code, username prefix, commune code for the commune officer)
DEMO_PROVINCES = [(80, "tayninh", 25459), (79, "hcm", 26824)]
DEPARTMENT_DEMO_ROLES = [Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER, Role.COUNCIL_MEMBER, Role.AUDITOR]
AGENCY_DEMO_ROLES = [Role.AGENCY_OFFICER, Role.AGENCY_APPROVER, Role.COUNCIL_MEMBER, Role.AUDITOR]
# Council members per province: a council of three is the smallest that can appraise.
COUNCIL_SIZE = 3


@dataclass
class DemoAccount:
    username: str
    role: str
    where: str


def _short(role: str) -> str:
    return {
        Role.PROVINCE_OFFICER: "canbo",
        Role.PROVINCE_APPROVER: "lanhdao",
        Role.COUNCIL_MEMBER: "hoidong",
        Role.COMMUNE_OFFICER: "xa",
        Role.AGENCY_OFFICER: "chuyenvien",
        Role.AGENCY_APPROVER: "lanhdao",
        Role.AUDITOR: "kiemtoan",
    }[role]


def _hash_demo_passwords(usernames, password: str) -> None:
    """Hash the shared demo password once for all new demo accounts (hashing is slow
    on purpose; twenty-odd hashes would dominate the quick start)."""
    hashed = make_password(password)
    get_user_model().objects.filter(username__in=usernames, password__startswith="!").update(password=hashed)


def seed_accounts(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    accounts = []
    existing = set(get_user_model().objects.values_list("username", flat=True))
    agency = agency_get_or_create()
    for role in AGENCY_DEMO_ROLES:
        count = COUNCIL_SIZE if role == Role.COUNCIL_MEMBER else 1
        for i in range(1, count + 1):
            suffix = str(i) if count > 1 else ""
            username = f"cuc_{_short(role)}{suffix}"
            member_add(username=username, role=role, password=None,
                       organisation=agency, email=f"{username}@khuyencong.example")
            accounts.append(DemoAccount(username, role, agency.name))
    for code, prefix, commune_code in DEMO_PROVINCES:
        province = Province.objects.get(code=code)
        province_centre_get_or_create(province=province)
        for role in DEPARTMENT_DEMO_ROLES:
            count = COUNCIL_SIZE if role == Role.COUNCIL_MEMBER else 1
            for i in range(1, count + 1):
                suffix = str(i) if count > 1 else ""
                username = f"{prefix}_{_short(role)}{suffix}"
                member_add(username=username, role=role, province=province,
                           password=None, email=f"{username}@khuyencong.example")
                accounts.append(DemoAccount(username, role, province.name))
        commune = Commune.objects.get(code=commune_code)
        username = f"{prefix}_{_short(Role.COMMUNE_OFFICER)}"
        member_add(username=username, role=Role.COMMUNE_OFFICER, province=province, commune=commune,
                   password=None, email=f"{username}@khuyencong.example")
        accounts.append(DemoAccount(username, Role.COMMUNE_OFFICER, f"{commune.name}, {province.name}"))
    new_users = [a.username for a in accounts if a.username not in existing]
    _hash_demo_passwords(new_users, password)
    return accounts


# --- Programmes, registry and applications in every state ---------------------------------

ESTABLISHMENTS = {
    80: [
        ("Hộ kinh doanh Bánh tráng Trảng Bàng Út Mai", "household", "Sản xuất bánh tráng phơi sương", True, False, False, True,
         "Làng nghề bánh tráng phơi sương Trảng Bàng"),
        ("Hợp tác xã Mây tre đan Tân Ninh", "cooperative", "Đan lát mây tre", True, False, False, True,
         "Làng nghề mây tre đan Thanh Điền"),
        ("Công ty TNHH Cơ khí Nông nghiệp Bến Lức", "sme", "Chế tạo máy nông nghiệp", False, False, False, False, ""),
        ("Cơ sở Muối tôm Gò Dầu Bà Hai", "household", "Chế biến muối tôm", True, False, False, False, ""),
        ("Hợp tác xã Nông nghiệp Ninh Điền", "cooperative", "Chế biến nông sản", False, True, True, False, ""),
        ("Công ty TNHH Gạch ngói Long An", "sme", "Sản xuất vật liệu xây dựng", False, False, False, False, ""),
        ("Tổ hợp tác Dệt thổ cẩm Khmer Tân Biên", "cooperative_group", "Dệt thổ cẩm", True, True, True, False, ""),
        ("Công ty CP Chế biến Hạt điều Hòa Thành", "sme", "Chế biến hạt điều", False, False, False, False, ""),
    ],
    79: [
        ("Công ty TNHH Cơ khí Bình Mỹ", "sme", "Gia công cơ khí chính xác", False, False, False, False, ""),
        ("Hộ kinh doanh Gốm Lái Thiêu Tư Sáu", "household", "Gốm sứ mỹ nghệ", True, False, False, True,
         "Làng nghề gốm Lái Thiêu"),
        ("Hợp tác xã Nước mắm Long Hải", "cooperative", "Chế biến nước mắm", False, False, False, True,
         "Làng nghề nước mắm Long Hải"),
        ("Công ty TNHH Sơn mài Tương Bình Hiệp", "sme", "Sơn mài mỹ nghệ", True, False, False, True,
         "Làng nghề sơn mài Tương Bình Hiệp"),
        ("Liên hiệp HTX Nông sản Củ Chi", "cooperative_union", "Chế biến nông sản", False, False, False, False, ""),
        ("Hộ kinh doanh Bánh tráng Phú Hòa Đông", "household", "Sản xuất bánh tráng", True, False, False, False, ""),
    ],
}

# What differs between the demo provinces: their People's Council's caps, the money they are
# given and, for TP HCM, a second local programme funded by moving money from the first.
PROVINCE_PROFILES = {
    80: {"programme_basis": "Nghị quyết 08/2025/NQ-HĐND tỉnh Tây Ninh (theo Chỉ thị 20/CT-BCT)",
         "caps_basis": "Nghị quyết 09/2025/NQ-HĐND ngày 01/7/2025 của HĐND tỉnh Tây Ninh",
         "caps": [("MMTB", Decimal("50"), 300_000_000, False), ("DAO_TAO", None, 100_000_000, False),
                  ("MO_HINH_TD", Decimal("30"), 500_000_000, False)],
         "local_amount": 3_000_000_000, "national_amount": 2_500_000_000},
    79: {"programme_basis": "Nghị quyết 21/2025/NQ-HĐND Thành phố Hồ Chí Minh (theo Chỉ thị 20/CT-BCT)",
         "caps_basis": "Nghị quyết 22/2025/NQ-HĐND ngày 01/7/2025 của HĐND Thành phố Hồ Chí Minh",
         "caps": [("MMTB", Decimal("45"), 280_000_000, True), ("DAO_TAO", None, 150_000_000, False),
                  ("MO_HINH_TD", Decimal("30"), 800_000_000, False), ("SXSH", Decimal("50"), 400_000_000, False),
                  ("CHUYEN_DOI_SO", Decimal("50"), 200_000_000, False)],
         "local_amount": 6_500_000_000, "national_amount": 3_200_000_000, "moved_amount": 1_200_000_000,
         "extra_programme": ("kcdp-79-sptb-2026-2028",
                             "Đề án phát triển sản phẩm công nghiệp nông thôn tiêu biểu TP HCM 2026–2028",
                             "Quyết định 1450/QĐ-UBND Thành phố Hồ Chí Minh")},
}

# (key, fund source, activity type, title, requested, total, target state)
DEMO_APPLICATIONS = [
    ("d1", "local", "MMTB", "Hỗ trợ máy tráng bánh tự động", 150_000_000, 380_000_000, "draft"),
    ("d2", "local", "DAO_TAO", "Đào tạo nghề đan lát mây tre cho 30 lao động nữ", 60_000_000, 90_000_000, "submitted"),
    ("d3", "local", "MMTB", "Ứng dụng máy sấy bơm nhiệt trong chế biến muối tôm", 180_000_000, 420_000_000, "returned"),
    ("d4", "local", "MMTB", "Hỗ trợ dây chuyền đóng gói hạt điều", 250_000_000, 600_000_000, "under_appraisal"),
    ("d5", "national", "MO_HINH_TD", "Mô hình trình diễn sản xuất gạch không nung", 600_000_000, 2_400_000_000,
     "endorsed"),
    ("d6", "national", "MMTB", "Máy ép viên nén mùn cưa tiết kiệm năng lượng", 280_000_000, 700_000_000,
     "under_national_appraisal"),
    ("d7", "local", "MMTB", "Máy chế biến nông sản sau thu hoạch", 200_000_000, 520_000_000, "approved"),
    ("d8", "national", "MO_HINH_TD", "Mô hình chế biến điều xuất khẩu sạch", 700_000_000, 2_500_000_000, "approved"),
    ("d9", "local", "DAO_TAO", "Truyền nghề dệt thổ cẩm cho đồng bào Khmer", 80_000_000, 110_000_000, "rejected"),
    ("d10", "local", "MMTB", "Máy cắt gạch tự động", 120_000_000, 300_000_000, "cancelled"),
    ("d11", "local", "MMTB", "Lò nướng bánh tráng tiết kiệm củi", 90_000_000, 200_000_000, "in_progress"),
    ("d12", "local", "DAO_TAO", "Đào tạo kỹ năng quản lý hợp tác xã", 50_000_000, 70_000_000, "suspended"),
    ("d13", "local", "MMTB", "Máy đánh bóng sản phẩm mây tre", 100_000_000, 240_000_000, "completed"),
    ("d14", "local", "MMTB", "Hệ thống máy xay muối tôm", 110_000_000, 260_000_000, "accepted"),
    ("d15", "local", "DAO_TAO", "Đào tạo thiết kế mẫu mã sản phẩm", 45_000_000, 60_000_000, "settled"),
]

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


APPROVAL = ["submit", "start_appraisal", "scores", "approve"]
# After approval: a contract starts the work, an advance within the first-advance share,
# a progress report and a payment; completion needs the report file, acceptance its
# minutes and settlement the final payment (the guards refuse plain transitions).
RUNNING = [*APPROVAL, "start_implementation", "advance", "progress_report", "payment"]
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "returned": ["submit", "return"],
    "under_appraisal": ["submit", "start_appraisal", "partial_scores"],
    "endorsed": ["submit", "start_appraisal", "scores", "endorse"],
    "under_national_appraisal": ["submit", "start_appraisal", "scores", "endorse", "start_national_appraisal"],
    "approved": APPROVAL,
    "rejected": ["submit", "start_appraisal", "scores", "reject"],
    "cancelled": ["submit", "cancel"],
    "in_progress": RUNNING,
    "suspended": [*APPROVAL, "start_implementation", "advance", "progress_report", "suspend"],
    "completed": [*RUNNING, "complete"],
    "accepted": [*RUNNING, "complete", "accept"],
    "settled": [*RUNNING, "complete", "accept", "settle"],
}

CRITERIA = [
    {"name": "Tính cấp thiết, phù hợp với chương trình khuyến công", "weight": 30, "max_score": 10},
    {"name": "Tính khả thi, hiệu quả kinh tế – xã hội", "weight": 40, "max_score": 10},
    {"name": "Năng lực của đơn vị thực hiện và cơ sở thụ hưởng", "weight": 20, "max_score": 10},
    {"name": "Tính lan tỏa, nhân rộng", "weight": 10, "max_score": 10},
]


def _pdf_bytes(title: str) -> bytes:
    """A small valid PDF so demo dossiers have real files."""
    text = title.encode("ascii", "ignore").decode()[:60] or "Ho so"
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def seed_data() -> list[str]:
    """Programmes, caps, calls, councils, allocations, establishments and applications in
    every state for the demo provinces. Skips what already exists."""
    from datetime import date, timedelta
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from applications import services as app_services
    from applications.choices import REQUIRED_ATTACHMENT_KINDS, CouncilLevel, CouncilRole
    from applications.models import Application, Establishment
    from applications.services import budget_allocation_move, budget_allocation_set
    from programs.choices import FundSource
    from programs.models import ActivityType, Call, Programme, SupportRule
    from programs.services import activity_types_load, call_create, programme_create, support_rule_create

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
                cost_lines=_cost_lines(act, total))
            if target != "draft":
                for kind in REQUIRED_ATTACHMENT_KINDS:
                    app_services.attachment_add(
                        user=officer, application_id=app.pk, kind=kind,
                        uploaded_file=SimpleUploadedFile(f"{kind}.pdf", _pdf_bytes(title), "application/pdf"))
            _drive(app, PATHS[target], officer=officer, approver=approver, council=council,
                   agency_officer=agency_officer, agency_approver=agency_approver, agency_council=agency_council)
        lines.append(f"{province.name}: {Application.objects.filter(province=province).count()} đề án mẫu, "
                     f"{Establishment.objects.filter(province=province).count()} cơ sở")
    return lines


def _representative(i: int) -> str:
    names = ["Nguyễn Thị Mai", "Trần Văn Hùng", "Lê Thị Hồng", "Phạm Văn Đức", "Huỳnh Thị Ánh", "Võ Minh Tâm",
             "Đặng Thị Thu", "Bùi Quốc Khánh"]
    return names[i % len(names)]


def _cost_lines(activity: str, total: int) -> list[dict]:
    if activity == "DAO_TAO":
        return [{"item": "Thù lao giảng viên", "quantity": Decimal("1"), "unit": "khóa", "unit_cost": total * 4 // 10},
                {"item": "Nguyên vật liệu thực hành", "quantity": Decimal("1"), "unit": "gói", "unit_cost": total * 6 // 10}]
    machine = total * 85 // 100
    return [{"item": "Máy móc, thiết bị chính", "quantity": Decimal("1"), "unit": "bộ", "unit_cost": machine},
            {"item": "Lắp đặt, chạy thử, chuyển giao", "quantity": Decimal("1"), "unit": "gói", "unit_cost": total - machine}]


def _drive(app, steps, *, officer, approver, council, agency_officer, agency_approver, agency_council):
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from applications import services as app_services
    from applications.choices import CouncilLevel

    def act(user, action, **kwargs):
        app_services.application_transition(user=user, application_id=app.pk, action=action, **kwargs)

    def score(members, level, partial=False):
        app.refresh_from_db()
        criteria = list(app.call.criteria.all())
        for n, member in enumerate(members[:1] if partial else members):
            app_services.conflict_declare(user=member, application_id=app.pk, has_conflict=False)
            app_services.scores_submit(user=member, application_id=app.pk, scores={
                c.pk: {"score": 7 + (n + c.position) % 3, "comment": "Đề án phù hợp, khả thi."} for c in criteria})

    today = timezone.localdate()
    for step in steps:
        app.refresh_from_db()
        national = app.fund_source == "national"
        if step == "partial_scores":
            score(council, CouncilLevel.PROVINCIAL, partial=True)
        elif step == "scores":
            score(council, CouncilLevel.PROVINCIAL)
        elif step == "start_national_appraisal":
            act(agency_officer, step)
        elif step == "approve":
            if national:
                if app.status == "under_appraisal":
                    act(approver, "endorse")
                    act(agency_officer, "start_national_appraisal")
                score(agency_council, CouncilLevel.NATIONAL)
            act(agency_approver if national else approver, "approve",
                decision_number=f"{app.sequence}/QĐ-{'BCT' if national else 'SCT'}", decision_date=today,
                approved_amount=app.requested_support)
        elif step == "return":
            act(officer, step, reason="Bổ sung báo giá thiết bị của ít nhất 3 nhà cung cấp.")
        elif step == "reject":
            act(approver, step, reason="Điểm thẩm định không đạt; nội dung trùng với đề án năm trước.")
        elif step == "cancel":
            act(officer, step, reason="Cơ sở rút đề nghị hỗ trợ.")
        elif step == "suspend":
            act(approver, step, reason="Cơ sở chậm bố trí vốn đối ứng.")
        elif step == "start_implementation":
            beneficiary = app.establishments.order_by("pk").first()
            app_services.implementation_start(user=officer, application_id=app.pk, contracts=[{
                "number": f"{app.sequence:02d}/{today.year}/HĐ-KC", "signed_on": today, "beneficiary": beneficiary,
                "value": app.approved_amount}])
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
            app_services.application_complete(
                user=officer, application_id=app.pk, narrative="Đã lắp đặt, chạy thử và bàn giao.",
                report_file=SimpleUploadedFile("bao-cao-hoan-thanh.pdf", _pdf_bytes(f"Bao cao hoan thanh {app.code}"),
                                               "application/pdf"))
        elif step == "accept":
            app_services.acceptance_record(
                user=approver, application_id=app.pk, accepted_on=today, result="passed",
                committee_members="Sở Công Thương; UBND xã; đại diện cơ sở thụ hưởng",
                achieved_jobs=app.expected_jobs, achieved_trainees=app.expected_trainees,
                machinery_installed="" if app.activity_type_id == "DAO_TAO" else "01 bộ máy móc, thiết bị chính",
                minutes_file=SimpleUploadedFile("bien-ban-nghiem-thu.pdf",
                                                _pdf_bytes(f"Bien ban nghiem thu {app.code}"), "application/pdf"))
        elif step == "settle":
            # Settled a little under the approved amount: the rest goes back to the allocation.
            settled = app.approved_amount * 95 // 100
            paid = sum(app.disbursements.values_list("amount", flat=True))
            app_services.application_settle(
                user=agency_approver if national else approver, application_id=app.pk, settled_amount=settled,
                final_payment_amount=settled - paid, final_payment_reference=f"QT-{app.code}",
                decision_number=f"{app.sequence}/QĐ-QT", decision_date=today)
        elif step == "endorse":
            act(approver, step)
        else:
            act(officer, step)
