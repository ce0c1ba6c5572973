"""A report as plain data (header of the administrative document, tables, charts), built
from the selectors and rendered alike to PDF, XLSX and CSV."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from applications.choices import Status
from applications.workflow import RECEIVED_STATES
from provinces.choices import RegionGrouping
from provinces.models import Region
from provinces.services import AGENCY_NAME

from .. import selectors
from ..choices import ReportKind, ReportScope
from ..selectors import Filters, Measures
from .layout import (
    INT,
    MONEY,
    PCT,
    TEXT,
    Chart,
    Column,
    ReportDocument,
    Section,
    SignatureBlock,
    Table,
    in_text,
    number_line,
    place_name,
)


@dataclass
class IssueFacts:
    """What issuing fixes on a document: its number in the register, the issue date and the
    signer; plus, for a correction, the document it replaces and the verification code.
    Without them (``number`` None) the document is a draft with a blank number and date."""

    symbol: str
    number: int | None = None
    issued_on: date | None = None
    signature: SignatureBlock | None = None
    replaces: str = ""  # "số 03/BC-SCT ngày 05/01/2026"
    verification: dict | None = None


# Official totals: received = submitted and later (never drafts), approved = approved and
# later (the workflow's committed states), rejected and cancelled apart; the requested amount
# is that of the received schemes.
MEASURE_COLUMNS = [Column("Số đề án tiếp nhận", INT, 9), Column("Số đề án phê duyệt", INT, 9),
                   Column("Không phê duyệt", INT, 9), Column("Đã hủy", INT, 8),
                   Column("Kinh phí đề nghị (đồng)", MONEY, 18), Column("Kinh phí phê duyệt (đồng)", MONEY, 18),
                   Column("Đã giải ngân (đồng)", MONEY, 18), Column("Đã quyết toán (đồng)", MONEY, 18),
                   Column("Tỷ lệ phê duyệt (%)", PCT, 9)]


def measure_cells(m: Measures) -> list:
    return [m.received_count, m.approved_count, m.rejected_count, m.cancelled_count, m.received_requested,
            m.approved, m.disbursed, m.settled, m.approval_rate]


def _sum_lines(lines) -> Measures:
    total = Measures()
    for line in lines:
        total.add(line.m)
    return total


def _place(run) -> str:
    if run.scope == ReportScope.PROVINCE and run.province_id:
        return place_name(run.province)
    return "Hà Nội"


def issuer_of(run):
    """The organisation that issues ``run``'s report: the province's Department of Industry
    and Trade, or the Agency for national and regional reports."""
    from provinces.choices import OrganisationKind
    from provinces.models import Organisation
    from provinces.services import agency_get_or_create, province_department_get_or_create

    province = run.province if run.scope == ReportScope.PROVINCE and run.province_id else None
    kind = OrganisationKind.DEPARTMENT if province else OrganisationKind.AGENCY
    # Read first: a page showing a run must not write; the organisation is created only
    # where an installation never made it.
    found = Organisation.objects.filter(kind=kind, province=province).order_by("pk").first()
    if found:
        return found
    return province_department_get_or_create(province=province) if province else agency_get_or_create()


def default_signature(organisation) -> SignatureBlock:
    from provinces.choices import OrganisationKind

    return SignatureBlock(lines=["CỤC TRƯỞNG" if organisation.kind == OrganisationKind.AGENCY else "GIÁM ĐỐC"])


def _header(run, issue: IssueFacts) -> dict:
    signature = issue.signature or default_signature(issuer_of(run))
    common = {"number": number_line(issue.number, issue.symbol), "signature": signature}
    if run.scope == ReportScope.PROVINCE and run.province_id:
        province = in_text(run.province.name)
        return {**common, "parent_body": f"UBND {run.province.name.upper()}", "issuing_body": "SỞ CÔNG THƯƠNG",
                "recipients": ["Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công (để báo cáo);",
                               f"UBND {province} (để báo cáo);", "Trung tâm Khuyến công;", "Lưu: VT, KC."]}
    return {**common, "parent_body": "BỘ CÔNG THƯƠNG", "issuing_body": AGENCY_NAME.upper(),
            "recipients": ["Bộ trưởng (để báo cáo);", "Sở Công Thương các tỉnh, thành phố;",
                           "Trung tâm Khuyến công các tỉnh, thành phố;", "Lưu: VT, KC."]}


def filters_for(run) -> Filters:
    province_ids = None
    if run.scope == ReportScope.PROVINCE:
        province_ids = (run.province_id,)
    elif run.scope == ReportScope.REGION:
        province_ids = tuple(sorted(run.region.provinces.values_list("code", flat=True)))
    return Filters(year=run.year, quarter=run.quarter, province_ids=province_ids)


def _measure_table(key, title, first_label, lines, extra_columns=(), extra=lambda line: []) -> Table:
    columns = [Column("STT", INT, 8), Column(first_label, TEXT, 34), *extra_columns, *MEASURE_COLUMNS]
    rows = [[i, line.label, *extra(line), *measure_cells(line.m)] for i, line in enumerate(lines, start=1)]
    total = ["", "Tổng cộng", *["" for _ in extra_columns], *measure_cells(_sum_lines(lines))]
    return Table(key=key, title=title, columns=columns, rows=rows, total=total)


def _money_chart(title, lines) -> Chart:
    return Chart(title=title, labels=[line.label for line in lines],
                 series=[("Phê duyệt", [line.m.approved for line in lines]),
                         ("Giải ngân", [line.m.disbursed for line in lines])])


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _headline(total: Measures, green: dict) -> list:
    from khuyencong.templatetags.kc import format_vnd

    rate = f"{total.approval_rate:.1f}".replace(".", ",") if total.approval_rate is not None else "—"
    green_share = f"{green['approved_share']:.1f}".replace(".", ",") if green.get("approved_share") is not None else "—"
    return [
        f"Số đề án tiếp nhận: {_n(total.received_count)}, trong đó {_n(total.approved_count)} đề án được phê duyệt "
        f"và {_n(total.rejected_count)} đề án không được phê duyệt; {_n(total.cancelled_count)} đề án đã hủy "
        f"(không tính vào số tiếp nhận).",
        f"Kinh phí đề nghị {format_vnd(total.received_requested)}; "
        f"kinh phí được phê duyệt {format_vnd(total.approved)} (tỷ lệ phê duyệt {rate} %).",
        f"Đã giải ngân {format_vnd(total.disbursed)}; đã quyết toán {format_vnd(total.settled)}.",
        "Tỷ trọng kinh phí cho sản xuất xanh (sản xuất sạch hơn, xử lý ô nhiễm, tiết kiệm năng lượng): "
        f"{green_share} %.",
    ]


def build(run, user=None, issue: IssueFacts | None = None) -> ReportDocument:
    """The document of ``run``. ``user`` None: the run's own scope is the filter (the
    task re-applies it from the run's fields, never from a request). Without ``issue`` it is
    a draft: blank number and date, the position without a name."""
    builder = {ReportKind.REGIONAL_SUMMARY: _regional_summary, ReportKind.PROVINCE_ANNUAL: _province_annual,
               ReportKind.BUDGET_EXECUTION: _budget_execution}[run.kind]
    if issue is None:
        from .registry import report_symbol

        issue = IssueFacts(symbol=report_symbol(issuer_of(run)))
    return builder(run, user, issue)


def _common(run, issue, subject, intro, sections, csv_table, stem, headline=None) -> ReportDocument:
    if issue.replaces:
        intro = [f"Báo cáo này thay thế báo cáo {issue.replaces}.", *intro]
    return ReportDocument(**_header(run, issue), place=_place(run), issued_on=issue.issued_on, doc_type="BÁO CÁO",
                          subject=subject, intro=intro, sections=sections, csv_table=csv_table, file_stem=stem,
                          data_as_of=timezone.now(), headline=headline or {}, verification=issue.verification)


def _regional_summary(run, user, issue) -> ReportDocument:
    filters = filters_for(run)
    if run.scope == ReportScope.REGION:
        regions = [(run.region, set(filters.province_ids))]
        grouping = run.region.grouping
    else:
        grouping = RegionGrouping.KHUYEN_CONG_AREA
        regions = None
    data = selectors.regional_summary(user=user, filters=filters, grouping=grouping, regions=regions)
    period = run.period_label.lower()
    subject = f"Tổng hợp kết quả thực hiện khuyến công {period} — {in_text(run.target_name)}"
    total = data["total"]
    national = Table(key="Toàn quốc" if run.scope == ReportScope.NATIONAL else "Tổng hợp", title="Tổng hợp chung",
                     columns=[Column("Chỉ tiêu", TEXT, 34), *MEASURE_COLUMNS],
                     rows=[["Tổng cộng", *measure_cells(total)]], total=None)
    regions_t = _measure_table("Vùng", "Kết quả theo vùng", "Vùng", data["regions"])
    provinces_t = _measure_table("Tỉnh", "Kết quả theo tỉnh, thành phố", "Tỉnh/thành phố", data["provinces"],
                                 extra_columns=[Column("Vùng", TEXT, 24)], extra=lambda line: [line.extra["region"]])
    from programs.choices import FundSource

    funds = dict(FundSource.choices)
    activity_t = _measure_table("Nội dung - Nguồn", "Kết quả theo nội dung khuyến công và nguồn kinh phí",
                                "Nội dung khuyến công", data["activity_fund"],
                                extra_columns=[Column("Nguồn kinh phí", TEXT, 22)],
                                extra=lambda line: [str(funds.get(line.extra["fund_source"], ""))])
    sections = [
        Section("I. TỔNG HỢP CHUNG", national, text=""),
        Section("II. KẾT QUẢ THEO VÙNG", regions_t, _money_chart("Kinh phí theo vùng (đồng)", data["regions"])),
        Section("III. KẾT QUẢ THEO TỈNH, THÀNH PHỐ", provinces_t,
                _money_chart("Kinh phí theo tỉnh, thành phố (đồng)", data["provinces"])),
        Section("IV. KẾT QUẢ THEO NỘI DUNG VÀ NGUỒN KINH PHÍ", activity_t,
                _money_chart("Kinh phí theo nội dung khuyến công (đồng)", data["by_activity"])),
    ]
    intro = [f"Thực hiện chương trình khuyến công, {AGENCY_NAME} tổng hợp kết quả {period} như sau:",
             *_headline(total, data["green"])]
    csv_table = Table(
        key="csv", title="", columns=[Column("Vùng"), Column("Mã tỉnh", INT), Column("Tỉnh/thành phố"),
                                      Column("Nội dung khuyến công"), Column("Nguồn kinh phí"), *MEASURE_COLUMNS],
        rows=[])
    activities = selectors.activity_labels()
    funds = {str(k): str(v) for k, v in funds.items()}
    region_of = {line.key: line.extra["region"] for line in data["provinces"]}
    names = {line.key: line.label for line in data["provinces"]}
    for (province, activity, fund), m in sorted(data["facts"].items(),
                                                key=lambda i: (selectors._province_sort(i[0][0]), i[0][1], i[0][2])):
        if province not in names:
            continue
        activity_name = activities[activity].name if activity in activities else activity
        csv_table.rows.append([region_of.get(province, ""), province, names[province], activity_name,
                               str(funds.get(fund, fund)), *measure_cells(m)])
    # The scope in the name: one file per region must not share a name with the others.
    scope = run.region.code if run.region_id else "toan-quoc"
    stem = f"tong-hop-vung-{scope}-{run.year}" + (f"-q{run.quarter}" if run.quarter else "")
    return _common(run, issue, subject, intro, sections, csv_table, stem, headline={"total": total})


def _province_annual(run, user, issue) -> ReportDocument:
    filters = filters_for(run)
    data = selectors.province_annual(user=user, filters=filters, province_code=run.province_id)
    period = run.period_label.lower()
    subject = f"Kết quả thực hiện khuyến công {period} của {in_text(run.province.name)}"
    communes_t = _measure_table("Xã", "Kết quả theo xã, phường, đặc khu", "Xã/phường/đặc khu", data["communes"])
    activity_t = _measure_table("Nội dung", "Kết quả theo nội dung khuyến công", "Nội dung khuyến công",
                                data["by_activity"])
    scheme_columns = [Column("STT", INT, 6), Column("Mã đề án", TEXT, 20), Column("Tên đề án", TEXT, 33),
                      Column("Xã/phường", TEXT, 18), Column("Nội dung", TEXT, 15), Column("Nguồn", TEXT, 14),
                      Column("Trạng thái", TEXT, 15), Column("Đề nghị (đồng)", MONEY, 16),
                      Column("Phê duyệt (đồng)", MONEY, 16), Column("Giải ngân (đồng)", MONEY, 16),
                      Column("Quyết toán (đồng)", MONEY, 16)]
    fund_short = {"national": "Quốc gia", "local": "Địa phương"}
    # Received schemes only (never drafts); the rejected and cancelled ones are listed apart.
    apart_states = {Status.REJECTED, Status.CANCELLED}
    tables = {False: ([], [0, 0, 0, 0]), True: ([], [0, 0, 0, 0])}
    for a in data["schemes"].filter(status__in=RECEIVED_STATES | apart_states).iterator(chunk_size=2000):
        rows, sums = tables[a.status in apart_states]
        approved = (a.approved_amount or 0) if a.status in selectors.COMMITTED_STATES else 0
        money = [a.requested_support, approved, a.disbursed, a.settled]
        sums[:] = [s + v for s, v in zip(sums, money, strict=True)]
        rows.append([len(rows) + 1, a.code, a.title, a.commune_name or "", a.activity_type.name,
                     fund_short.get(a.fund_source, ""), a.get_status_display(), *money])
    schemes_t = Table(key="Danh sách đề án", title="Danh sách đề án", columns=scheme_columns, rows=tables[False][0],
                      total=["", "", "Tổng cộng", "", "", "", "", *tables[False][1]])
    apart_t = Table(key="Không phê duyệt - đã hủy", title="Đề án không được phê duyệt, đã hủy",
                    columns=scheme_columns, rows=tables[True][0],
                    total=["", "", "Tổng cộng", "", "", "", "", *tables[True][1]])
    sections = [
        Section("I. KẾT QUẢ THEO XÃ, PHƯỜNG, ĐẶC KHU", communes_t,
                _money_chart("Kinh phí theo xã, phường (đồng)", data["communes"][:25])),
        Section("II. KẾT QUẢ THEO NỘI DUNG KHUYẾN CÔNG", activity_t,
                _money_chart("Kinh phí theo nội dung khuyến công (đồng)", data["by_activity"])),
        Section("III. DANH SÁCH ĐỀ ÁN", schemes_t),
    ]
    if apart_t.rows:
        sections.append(Section("IV. ĐỀ ÁN KHÔNG ĐƯỢC PHÊ DUYỆT, ĐÃ HỦY", apart_t))
    intro = [f"Sở Công Thương {in_text(run.province.name)} báo cáo kết quả thực hiện khuyến công {period} như sau:",
             *_headline(data["total"], data["green"])]
    stem = f"bao-cao-nam-{run.province_id}-{run.year}" + (f"-q{run.quarter}" if run.quarter else "")
    return _common(run, issue, subject, intro, sections, schemes_t, stem, headline={"total": data["total"]})


def _budget_execution(run, user, issue) -> ReportDocument:
    filters = filters_for(run)
    rows = selectors.budget_ledger(user=user, filters=filters)
    columns = [Column("STT", INT, 6), Column("Chương trình", TEXT, 36), Column("Tỉnh/thành phố", TEXT, 22),
               Column("Năm", TEXT, 8), Column("Được giao (đồng)", MONEY, 18), Column("Đã cam kết (đồng)", MONEY, 18),
               Column("Đã giải ngân (đồng)", MONEY, 18), Column("Đã quyết toán (đồng)", MONEY, 18),
               Column("Còn lại (đồng)", MONEY, 18)]
    money_keys = ["allocated", "committed", "disbursed", "settled", "remaining"]
    table_rows = [[i, r["programme"], r["province"], str(r["year"]), *[r[k] for k in money_keys]]
                  for i, r in enumerate(rows, start=1)]
    total = ["", "Tổng cộng", "", "", *[sum(r[k] for r in rows) for k in money_keys]]
    table = Table(key="Sổ kinh phí", title="Tình hình thực hiện kinh phí", columns=columns, rows=table_rows,
                  total=total)
    by_province: dict = {}
    for r in rows:
        entry = by_province.setdefault(r["province"], [0, 0])
        entry[0] += r["allocated"]
        entry[1] += r["committed"]
    chart = Chart(title="Kinh phí được giao và đã cam kết (đồng)", labels=list(by_province),
                  series=[("Được giao", [v[0] for v in by_province.values()]),
                          ("Đã cam kết", [v[1] for v in by_province.values()])])
    period = run.period_label.lower()
    subject = f"Tình hình thực hiện kinh phí khuyến công {period} — {in_text(run.target_name)}"
    intro = [f"Tình hình giao, cam kết, giải ngân và quyết toán kinh phí khuyến công {period} như sau:"]
    stem = f"so-kinh-phi-{run.year}" + (f"-{run.province_id}" if run.province_id else "")
    return _common(run, issue, subject, intro, [Section("I. SỔ KINH PHÍ", table, chart)], table, stem)


def region_for_grouping(grouping):
    return Region.objects.filter(grouping=grouping)
