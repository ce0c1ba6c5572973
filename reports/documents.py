"""A report as plain data (header of the administrative document, tables, charts), built
from the selectors and rendered alike to PDF, XLSX and CSV."""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from provinces.choices import RegionGrouping
from provinces.models import Region
from provinces.services import AGENCY_NAME

from . import selectors
from .choices import ReportKind, ReportScope
from .selectors import Filters, Measures

MONEY, INT, PCT, TEXT = "money", "int", "pct", "text"


@dataclass
class Column:
    label: str
    kind: str = TEXT
    width: int = 14


@dataclass
class Table:
    key: str  # sheet name (≤ 31 characters)
    title: str
    columns: list
    rows: list
    total: list | None = None


@dataclass
class Chart:
    title: str
    labels: list
    series: list  # [(name, values)]


@dataclass
class Section:
    heading: str
    table: Table
    chart: Chart | None = None
    text: str = ""


@dataclass
class ReportDocument:
    parent_body: str
    issuing_body: str
    number: str
    place: str
    issued_on: date
    doc_type: str
    subject: str
    intro: list
    sections: list
    signer_title: str
    recipients: list
    csv_table: Table
    file_stem: str
    data_as_of: object = None
    headline: dict = field(default_factory=dict)


def vn_date_line(place: str, day: date) -> str:
    """"Tây Ninh, ngày 05 tháng 01 năm 2026" (Decree 30/2020, Appendix I: days below 10
    and the months 1 and 2 take a leading zero; "tháng 3" … "tháng 12" do not)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


MEASURE_COLUMNS = [Column("Số đề án", INT, 10), Column("Kinh phí đề nghị (đồng)", MONEY, 18),
                   Column("Kinh phí phê duyệt (đồng)", MONEY, 18), Column("Đã giải ngân (đồng)", MONEY, 18),
                   Column("Đã quyết toán (đồng)", MONEY, 18), Column("Tỷ lệ phê duyệt (%)", PCT, 10)]


def measure_cells(m: Measures) -> list:
    return [m.count, m.requested, m.approved, m.disbursed, m.settled, m.approval_rate]


def _sum_lines(lines) -> Measures:
    total = Measures()
    for line in lines:
        total.add(line.m)
    return total


def _place(run) -> str:
    if run.scope == ReportScope.PROVINCE and run.province_id:
        name = run.province.short_name
        return "Thành phố Hồ Chí Minh" if name == "Hồ Chí Minh" else name
    return "Hà Nội"


def _header(run) -> dict:
    if run.scope == ReportScope.PROVINCE and run.province_id:
        return {"parent_body": f"UBND {run.province.name.upper()}", "issuing_body": "SỞ CÔNG THƯƠNG",
                "number": f"Số: {run.pk:02d}/BC-SCT", "signer_title": "GIÁM ĐỐC",
                "recipients": ["Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công (để báo cáo);",
                               f"UBND {run.province.name} (để báo cáo);", "Trung tâm Khuyến công;", "Lưu: VT, KC."]}
    return {"parent_body": "BỘ CÔNG THƯƠNG", "issuing_body": AGENCY_NAME.upper(),
            "number": f"Số: {run.pk:02d}/BC-KC", "signer_title": "CỤC TRƯỞNG",
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


def _headline(total: Measures, green: dict) -> list:
    from khuyencong.templatetags.kc import format_vnd

    rate = f"{total.approval_rate:.1f}".replace(".", ",") if total.approval_rate is not None else "—"
    green_share = f"{green['approved_share']:.1f}".replace(".", ",") if green.get("approved_share") is not None else "—"
    return [
        f"Tổng số đề án: {total.count:,}".replace(",", ".") + f"; kinh phí đề nghị {format_vnd(total.requested)}; "
        f"kinh phí được phê duyệt {format_vnd(total.approved)} (tỷ lệ phê duyệt {rate} %).",
        f"Đã giải ngân {format_vnd(total.disbursed)}; đã quyết toán {format_vnd(total.settled)}.",
        f"Tỷ trọng kinh phí cho sản xuất xanh (sản xuất sạch hơn, xử lý ô nhiễm, tiết kiệm năng lượng): {green_share} %.",
    ]


def build(run, user=None) -> ReportDocument:
    """The document of ``run``. ``user`` None: the run's own scope is the filter (the
    task re-applies it from the run's fields, never from a request)."""
    builder = {ReportKind.REGIONAL_SUMMARY: _regional_summary, ReportKind.PROVINCE_ANNUAL: _province_annual,
               ReportKind.BUDGET_EXECUTION: _budget_execution}[run.kind]
    return builder(run, user)


def _common(run, subject, intro, sections, csv_table, stem, headline=None) -> ReportDocument:
    issued = timezone.localdate()
    return ReportDocument(**_header(run), place=_place(run), issued_on=issued, doc_type="BÁO CÁO", subject=subject,
                          intro=intro, sections=sections, csv_table=csv_table, file_stem=stem,
                          data_as_of=timezone.now(), headline=headline or {})


def _regional_summary(run, user) -> ReportDocument:
    filters = filters_for(run)
    if run.scope == ReportScope.REGION:
        regions = [(run.region, set(filters.province_ids))]
        grouping = run.region.grouping
    else:
        grouping = RegionGrouping.KHUYEN_CONG_AREA
        regions = None
    data = selectors.regional_summary(user=user, filters=filters, grouping=grouping, regions=regions)
    period = run.period_label.lower()
    subject = f"Tổng hợp kết quả thực hiện khuyến công {period} — {run.target_name}"
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
                                      Column("Mã nội dung"), Column("Nguồn kinh phí"), *MEASURE_COLUMNS], rows=[])
    region_of = {line.key: line.extra["region"] for line in data["provinces"]}
    names = {line.key: line.label for line in data["provinces"]}
    for (province, activity, fund), m in sorted(data["facts"].items(),
                                                key=lambda i: (selectors._province_sort(i[0][0]), i[0][1], i[0][2])):
        if province not in names:
            continue
        csv_table.rows.append([region_of.get(province, ""), province, names[province], activity,
                               str(funds.get(fund, fund)), *measure_cells(m)])
    # The scope in the name: one file per region must not share a name with the others.
    scope = run.region.code if run.region_id else "toan-quoc"
    stem = f"tong-hop-vung-{scope}-{run.year}" + (f"-q{run.quarter}" if run.quarter else "")
    return _common(run, subject, intro, sections, csv_table, stem, headline={"total": total})


def _province_annual(run, user) -> ReportDocument:
    filters = filters_for(run)
    data = selectors.province_annual(user=user, filters=filters, province_code=run.province_id)
    period = run.period_label.lower()
    subject = f"Kết quả thực hiện khuyến công {period} của {run.province.name}"
    communes_t = _measure_table("Xã", "Kết quả theo xã, phường, đặc khu", "Xã/phường/đặc khu", data["communes"])
    activity_t = _measure_table("Nội dung", "Kết quả theo nội dung khuyến công", "Nội dung khuyến công",
                                data["by_activity"])
    scheme_columns = [Column("STT", INT, 6), Column("Mã đề án", TEXT, 20), Column("Tên đề án", TEXT, 33),
                      Column("Xã/phường", TEXT, 18), Column("Nội dung", TEXT, 15), Column("Nguồn", TEXT, 14),
                      Column("Trạng thái", TEXT, 15), Column("Đề nghị (đồng)", MONEY, 16),
                      Column("Phê duyệt (đồng)", MONEY, 16), Column("Giải ngân (đồng)", MONEY, 16),
                      Column("Quyết toán (đồng)", MONEY, 16)]
    fund_short = {"national": "Quốc gia", "local": "Địa phương"}
    scheme_rows = []
    sums = [0, 0, 0, 0]
    for i, a in enumerate(data["schemes"].iterator(chunk_size=2000), start=1):
        approved = (a.approved_amount or 0) if a.status in selectors.COMMITTED_STATES else 0
        money = [a.requested_support, approved, a.disbursed, a.settled]
        sums = [s + v for s, v in zip(sums, money, strict=True)]
        scheme_rows.append([i, a.code, a.title, a.commune_name or "", a.activity_type_id, fund_short.get(a.fund_source, ""),
                            a.get_status_display(), *money])
    schemes_t = Table(key="Danh sách đề án", title="Danh sách đề án", columns=scheme_columns, rows=scheme_rows,
                      total=["", "", "Tổng cộng", "", "", "", "", *sums])
    sections = [
        Section("I. KẾT QUẢ THEO XÃ, PHƯỜNG, ĐẶC KHU", communes_t,
                _money_chart("Kinh phí theo xã, phường (đồng)", data["communes"][:25])),
        Section("II. KẾT QUẢ THEO NỘI DUNG KHUYẾN CÔNG", activity_t,
                _money_chart("Kinh phí theo nội dung khuyến công (đồng)", data["by_activity"])),
        Section("III. DANH SÁCH ĐỀ ÁN", schemes_t),
    ]
    intro = [f"Sở Công Thương {run.province.name} báo cáo kết quả thực hiện khuyến công {period} như sau:",
             *_headline(data["total"], data["green"])]
    stem = f"bao-cao-nam-{run.province_id}-{run.year}" + (f"-q{run.quarter}" if run.quarter else "")
    return _common(run, subject, intro, sections, schemes_t, stem, headline={"total": data["total"]})


def _budget_execution(run, user) -> ReportDocument:
    filters = filters_for(run)
    rows = selectors.budget_ledger(user=user, filters=filters)
    columns = [Column("STT", INT, 6), Column("Chương trình", TEXT, 36), Column("Tỉnh/thành phố", TEXT, 22),
               Column("Năm", INT, 8), Column("Được giao (đồng)", MONEY, 18), Column("Đã cam kết (đồng)", MONEY, 18),
               Column("Đã giải ngân (đồng)", MONEY, 18), Column("Đã quyết toán (đồng)", MONEY, 18),
               Column("Còn lại (đồng)", MONEY, 18)]
    money_keys = ["allocated", "committed", "disbursed", "settled", "remaining"]
    table_rows = [[i, r["programme"], r["province"], r["year"], *[r[k] for k in money_keys]]
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
    subject = f"Tình hình thực hiện kinh phí khuyến công {period} — {run.target_name}"
    intro = [f"Tình hình giao, cam kết, giải ngân và quyết toán kinh phí khuyến công {period} như sau:"]
    stem = f"so-kinh-phi-{run.year}" + (f"-{run.province_id}" if run.province_id else "")
    return _common(run, subject, intro, [Section("I. SỔ KINH PHÍ", table, chart)], table, stem)


def region_for_grouping(grouping):
    return Region.objects.filter(grouping=grouping)
