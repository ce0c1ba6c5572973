"""Import of past schemes (2020 onwards) from a province's spreadsheets: the template's
columns, the dry-run check of each row and the write of a history record.

An imported scheme (``Application.is_imported``) keeps the code it had in the file (found
again by that code, so importing twice changes nothing), enters the establishment's support
history, the duplicate checks and the dashboards of its year, and never the budget ledger:
its money was allocated and spent before the portal existed."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong.scoping import scope_for
from khuyencong.text import normalize_search
from programs.choices import FundSource
from programs.models import ActivityType, Programme
from provinces.choices import PROVINCE_STAFF
from provinces.services import province_centre_get_or_create

from ..choices import Status
from ..models import Application, Establishment, RowOutcome
from ..permissions import can_import
from ..services import base
from ..services.dossier import _allocate_code, _refresh_search
from . import cells
from .base import Column, ParsedRow, in_both_languages
from .places import CommuneResolver

FIRST_YEAR = 2020
# States a past scheme may have reached (a draft is not history).
IMPORTABLE_STATES = (Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED, Status.ACCEPTED,
                     Status.SETTLED, Status.REJECTED, Status.CANCELLED)
DECIDED_STATES = frozenset(IMPORTABLE_STATES) - {Status.REJECTED, Status.CANCELLED}


def _options(choices, extra=None) -> dict[str, str]:
    options = {}
    for value, label in choices:
        options[normalize_search(str(value))] = value
        for name in in_both_languages(label):
            options[normalize_search(name)] = value
    options.update(extra or {})
    return options


def _status(cell):
    return cells.choice(cell, _options([(s, Status(s).label) for s in IMPORTABLE_STATES]), _("Trạng thái"))


def _fund(cell):
    return cells.choice(cell, _options(FundSource.choices, {"quoc gia": FundSource.NATIONAL,
                                                            "dia phuong": FundSource.LOCAL,
                                                            "kcqg": FundSource.NATIONAL,
                                                            "kcdp": FundSource.LOCAL}), _("Nguồn kinh phí"))


def _activity(cell):
    return cells.choice(cell, _options(ActivityType.objects.values_list("code", "name")), _("Nội dung khuyến công"))


def _year(cell):
    return cells.whole_number(cell, minimum=FIRST_YEAR, maximum=timezone.localdate().year)


def _code(cell):
    value = cells.text(cell)
    if len(value) > 32:
        raise cells.CellError(_("mã đề án dài quá 32 ký tự"))
    return value


COLUMNS = [
    Column("code", gettext_lazy("Mã đề án"), _code, required=True, width=18,
           note=gettext_lazy("Mã trong sổ theo dõi của Sở; dùng để nhận ra đề án khi nhập lại.")),
    Column("year", gettext_lazy("Năm"), _year, required=True, width=8),
    Column("province", gettext_lazy("Mã tỉnh"), width=10, choices="province",
           note=gettext_lazy("Để trống: tỉnh của lần nhập.")),
    Column("tax_code", gettext_lazy("Mã số thuế cơ sở"), cells.tax_code, width=18, aliases=("ma so thue",)),
    Column("establishment_name", gettext_lazy("Tên cơ sở"), width=32,
           note=gettext_lazy("Khi cơ sở không có mã số thuế: tên cơ sở và xã/phường.")),
    Column("commune", gettext_lazy("Xã/phường (mới hoặc cũ)"), width=28, choices="commune"),
    Column("activity_type", gettext_lazy("Nội dung khuyến công"), _activity, required=True, width=28,
           choices="activity_type"),
    Column("fund_source", gettext_lazy("Nguồn kinh phí"), _fund, required=True, width=22, choices="fund_source"),
    Column("title", gettext_lazy("Tên đề án"), required=True, width=40),
    Column("total_cost", gettext_lazy("Tổng kinh phí (đồng)"), cells.money, required=True, width=18),
    Column("requested_support", gettext_lazy("Kinh phí khuyến công (đồng)"), cells.money, required=True, width=18),
    Column("counterpart_funds", gettext_lazy("Vốn đối ứng (đồng)"), cells.money, width=18),
    Column("approved_amount", gettext_lazy("Kinh phí được duyệt (đồng)"), cells.money, width=18),
    Column("status", gettext_lazy("Trạng thái đạt được"), _status, required=True, width=22, choices="status"),
    Column("decision_number", gettext_lazy("Số quyết định"), width=18),
    Column("decision_date", gettext_lazy("Ngày quyết định"), cells.a_date, width=14,
           note=gettext_lazy("Ô kiểu Ngày, hoặc chữ dd/mm/yyyy.")),
]

COMPARED = ("year", "activity_type_id", "fund_source", "title", "total_cost", "requested_support",
            "counterpart_funds", "approved_amount", "status", "decision_number", "decision_date")


class Checker:
    def __init__(self, job, user, layout):
        self.job = job
        self.user = user
        self.layout = layout
        self.places = CommuneResolver(job.province_id)
        self.seen_codes: dict[str, int] = {}
        # The Agency imports national schemes only; province staff import both.
        scope = scope_for(user)
        self.national_only = not (scope.superuser or scope.has_role(*PROVINCE_STAFF, province_id=job.province_id))

    def error(self, row: ParsedRow, key: str, message: str) -> None:
        row.add_error(self.layout.letter(key), self.layout.label(key), message)

    def check(self, rows: list[ParsedRow]) -> list[dict]:
        codes = {r.values.get("code") for r in rows if r.values.get("code")}
        existing = {a.code: a for a in Application.objects.filter(code__in=codes)}
        tax_codes = {r.values.get("tax_code") for r in rows if r.values.get("tax_code")}
        by_tax = {e.tax_code: e for e in Establishment.objects.filter(tax_code__in=tax_codes)} if tax_codes else {}
        return [self._check(row, existing, by_tax) for row in rows]

    def _check(self, row: ParsedRow, existing: dict, by_tax: dict) -> dict:
        values = row.values
        province = values.pop("province", "")
        if province not in ("", None):
            code = cells.leading_code(str(province))
            if not code.isdigit() or int(code) != self.job.province_id:
                self.error(row, "province", _("dòng của tỉnh/thành khác (mã %(c)s); lần nhập này chỉ nhận đề án của "
                                              "%(p)s") % {"c": province, "p": self.job.province.name})
        code = values.get("code")
        if code:
            first = self.seen_codes.setdefault(code, row.number)
            if first != row.number:
                self.error(row, "code", _("trùng mã đề án với dòng %(n)s của tệp") % {"n": first})
        if self.national_only and values.get("fund_source") == FundSource.LOCAL:
            self.error(row, "fund_source", _("Cục chỉ nhập đề án khuyến công quốc gia"))
        establishment = self._establishment(row, by_tax)
        self._money_and_decision(row)
        target = existing.get(code) if code else None
        if target is not None and (not target.is_imported or target.province_id != self.job.province_id):
            self.error(row, "code", _("mã đề án đã được dùng cho một đề án khác trên cổng"))
        changes = {}
        if target is not None and not row.errors:
            for key in COMPARED:
                new = values.get(key.removesuffix("_id"))
                if key == "counterpart_funds" and new is None:
                    new = values["total_cost"] - values["requested_support"]
                if isinstance(new, date):
                    new = new.isoformat()
                old = getattr(target, key)
                if isinstance(old, date):
                    old = old.isoformat()
                if (old or None) != (new or None):
                    changes[key] = [old, new]
            old_ids = sorted(target.establishments.values_list("pk", flat=True))
            if establishment is not None and old_ids != [establishment.pk]:
                changes["establishments"] = [old_ids, [establishment.pk]]
        values["establishment"] = establishment.pk if establishment else None
        if isinstance(values.get("decision_date"), date):
            values["decision_date"] = values["decision_date"].isoformat()
        if row.errors:
            outcome = RowOutcome.ERROR
        elif target is None:
            outcome = RowOutcome.CREATED
        else:
            outcome = RowOutcome.UPDATED if changes else RowOutcome.UNCHANGED
        return {"number": row.number, "outcome": outcome, "raw": row.raw, "values": values, "errors": row.errors,
                "changes": changes, "target_id": target.pk if target else None,
                "label": f"{code or ''} {values.get('title') or ''}".strip()[:300]}

    def _establishment(self, row: ParsedRow, by_tax: dict):
        values = row.values
        tax_code = values.pop("tax_code", "")
        name = values.pop("establishment_name", "")
        place = values.pop("commune", "")
        if tax_code:
            est = by_tax.get(tax_code)
            if est is None or est.province_id != self.job.province_id:
                self.error(row, "tax_code", _("chưa có cơ sở mã số thuế %(t)s trong sổ đăng ký của tỉnh/thành; nhập "
                                              "danh sách cơ sở trước") % {"t": tax_code})
                return None
            return est
        if not name or not place:
            self.error(row, "tax_code", _("ghi mã số thuế của cơ sở, hoặc tên cơ sở và xã/phường"))
            return None
        commune, message = self.places.find_commune(place)
        communes = [commune] if commune else []
        if commune is None:
            legacy, legacy_message = self.places.find_legacy(place)
            if legacy is None:
                self.error(row, "commune", message)
                return None
            communes = self.places.successors(legacy)
        candidates = [e for e in Establishment.objects.filter(province_id=self.job.province_id,
                                                              commune__in=communes)
                      if normalize_search(e.name) == normalize_search(name)]
        if len(candidates) != 1:
            self.error(row, "establishment_name",
                       _("không tìm thấy cơ sở “%(n)s” ở xã/phường đã ghi") % {"n": name} if not candidates
                       else _("có %(k)s cơ sở tên “%(n)s” ở xã/phường đã ghi; ghi mã số thuế")
                       % {"k": len(candidates), "n": name})
            return None
        return candidates[0]

    def _money_and_decision(self, row: ParsedRow) -> None:
        values = row.values
        total, requested = values.get("total_cost"), values.get("requested_support")
        counterpart, approved = values.get("counterpart_funds"), values.get("approved_amount")
        if total is not None and requested is not None:
            if requested > total:
                self.error(row, "requested_support", _("kinh phí khuyến công lớn hơn tổng kinh phí"))
            elif counterpart is not None and counterpart + requested != total:
                self.error(row, "counterpart_funds", _("kinh phí khuyến công + vốn đối ứng phải bằng tổng kinh phí"))
        status = values.get("status")
        if status in DECIDED_STATES:
            if approved is None:
                self.error(row, "approved_amount", _("cần kinh phí được duyệt khi đề án đã được phê duyệt"))
            if not values.get("decision_number"):
                self.error(row, "decision_number", _("cần số quyết định phê duyệt"))
            if not values.get("decision_date"):
                self.error(row, "decision_date", _("cần ngày quyết định phê duyệt"))
        if approved is not None and requested is not None and approved > requested:
            self.error(row, "approved_amount", _("kinh phí được duyệt lớn hơn kinh phí khuyến công đề nghị"))
        decided = values.get("decision_date")
        if decided is not None and (decided.year < FIRST_YEAR - 1 or decided > timezone.localdate()):
            self.error(row, "decision_date", _("ngày quyết định phải từ năm %(y)s đến hôm nay") % {"y": FIRST_YEAR - 1})


# --- Writing -------------------------------------------------------------------------------------


def history_programme(*, fund_source: str, province_id: int, year: int) -> Programme:
    """The programme a past scheme belongs to: the one of its fund source (and province,
    for local funds) covering its year, else the history programme kept for schemes from
    before the portal (created once, inactive, so no call is ever opened under it)."""
    qs = Programme.objects.filter(fund_source=fund_source, start_year__lte=year, end_year__gte=year)
    qs = qs.filter(province__isnull=True) if fund_source == FundSource.NATIONAL else qs.filter(province_id=province_id)
    found = qs.order_by("start_year").first()
    if found is not None:
        return found
    code = "lich-su-quoc-gia" if fund_source == FundSource.NATIONAL else f"lich-su-dia-phuong-{province_id}"
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        programme = Programme(code=code, fund_source=fund_source, start_year=FIRST_YEAR, end_year=year,
                              province_id=None if fund_source == FundSource.NATIONAL else province_id,
                              name=_("Đề án trước khi dùng cổng (nhập từ sổ theo dõi)"), is_active=False,
                              description=_("Tạo khi nhập đề án đã thực hiện từ năm 2020; không mở đợt tiếp nhận."))
        programme.full_clean()
        programme.save()
    elif programme.end_year < year:
        programme.end_year = year
        programme.save(update_fields=["end_year"])
    return programme


def _fields(values: dict) -> dict:
    decision_date = values.get("decision_date")
    counterpart = values.get("counterpart_funds")
    if counterpart is None:
        counterpart = values["total_cost"] - values["requested_support"]
    return {"year": values["year"], "activity_type_id": values["activity_type"], "fund_source": values["fund_source"],
            "title": values["title"], "total_cost": values["total_cost"],
            "requested_support": values["requested_support"], "counterpart_funds": counterpart,
            "approved_amount": values.get("approved_amount"), "status": values["status"],
            "decision_number": values.get("decision_number") or "",
            "decision_date": date.fromisoformat(decision_date) if decision_date else None}


@transaction.atomic
def write_row(*, user, row) -> None:
    """Create or update the history record of one past scheme, with an event saying it
    was imported (its state is a fact of the past, not a transition)."""
    job = row.job
    allowed, reason = can_import(user, kind=job.kind, province_id=job.province_id)
    if not allowed:
        raise PermissionDenied(reason)
    values = row.values
    establishment = Establishment.objects.get(pk=values["establishment"], province_id=job.province_id)
    fields = _fields(values)
    if row.outcome == RowOutcome.CREATED:
        application = Application(province_id=job.province_id, code=values["code"], is_imported=True,
                                  created_by=user, **fields)
        application.sequence, _portal_code = _allocate_code(job.province_id, fields["year"])
    else:
        application = Application.objects.select_for_update().get(pk=row.target_id, is_imported=True,
                                                                  province_id=job.province_id)
        for key, value in fields.items():
            setattr(application, key, value)
        application.version += 1
    application.programme = history_programme(fund_source=fields["fund_source"], province_id=job.province_id,
                                              year=fields["year"])
    application.implementing_organisation = province_centre_get_or_create(province=job.province)
    application.status_changed_at = timezone.make_aware(
        datetime.combine(fields["decision_date"] or date(fields["year"], 1, 1), datetime.min.time()))
    _refresh_search(application, [establishment])
    application.full_clean(exclude=["code", "sequence"], validate_constraints=False)
    if Application.objects.filter(code=application.code).exclude(pk=application.pk).exists():
        raise ValidationError({"code": _("Mã đề án đã được dùng cho một đề án khác trên cổng.")})
    application.save()
    application.establishments.set([establishment])
    base.record_event(application, user, "import", to_status=application.status,
                      payload={"job": job.pk, "row": row.number, "changes": row.changes or None})
