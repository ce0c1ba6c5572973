"""Import of establishments: the template's columns, the dry-run check of each row
(created / updated / unchanged / error) and the write through the establishment services.

An establishment is found again by its tax code, or, without one, by the same name in the
same commune, so importing the same file twice changes nothing."""

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khuyencong.text import normalize_search
from provinces.models import Commune, LegacyCommune

from .. import services
from ..choices import LegalForm
from ..models import Establishment, RowOutcome
from ..services.establishments import ESTABLISHMENT_FIELDS
from . import cells
from .base import Column, ParsedRow, in_both_languages
from .places import CommuneResolver

LEGAL_FORM_ALIASES = {
    LegalForm.SME: ("doanh nghiep", "cong ty", "cty", "dnnvv", "doanh nghiep nho va vua", "sme"),
    LegalForm.COOPERATIVE: ("htx", "hop tac xa"),
    LegalForm.COOPERATIVE_UNION: ("lien hiep htx", "lien hiep hop tac xa"),
    LegalForm.COOPERATIVE_GROUP: ("to hop tac", "tht"),
    LegalForm.HOUSEHOLD: ("ho kinh doanh", "hkd", "co so", "ho san xuat"),
}


def legal_form_options() -> dict[str, str]:
    options = {}
    for value, label in LegalForm.choices:
        options[normalize_search(value)] = value
        for name in in_both_languages(label):
            options[normalize_search(name)] = value
        for alias in LEGAL_FORM_ALIASES.get(value, ()):
            options[alias] = value
    return options


def _legal_form(cell):
    return cells.choice(cell, legal_form_options(), _("Loại hình"))


def _employees(cell):
    return cells.whole_number(cell, minimum=0, maximum=1_000_000)


def _founded(cell):
    return cells.whole_number(cell, minimum=1900, maximum=2100)


COLUMNS = [
    Column("name", gettext_lazy("Tên cơ sở"), required=True, width=36),
    Column("legal_form", gettext_lazy("Loại hình"), _legal_form, required=True, width=24, choices="legal_form"),
    Column("representative", gettext_lazy("Người đại diện"), required=True, width=24),
    Column(
        "province",
        gettext_lazy("Mã tỉnh"),
        width=10,
        choices="province",
        note=gettext_lazy("Để trống: tỉnh của lần nhập."),
    ),
    Column(
        "tax_code",
        gettext_lazy("Mã số thuế"),
        cells.tax_code,
        width=18,
        note=gettext_lazy("10 chữ số; chi nhánh 13 chữ số (hoặc 10-3); hộ kinh doanh 12 chữ số. Định dạng ô Văn bản."),
        aliases=("mst", "ma so doanh nghiep"),
    ),
    Column(
        "commune",
        gettext_lazy("Xã/phường (mới)"),
        width=30,
        choices="commune",
        note=gettext_lazy("Mã hoặc tên xã/phường sau 01/7/2025."),
    ),
    Column(
        "legacy_commune",
        gettext_lazy("Xã/phường cũ (trước 01/7/2025)"),
        width=30,
        note=gettext_lazy("Mã hoặc tên xã cũ, kèm huyện nếu trùng tên; cổng đề xuất xã mới kế thừa."),
        aliases=("xa cu", "dia chi cu"),
    ),
    Column("address", gettext_lazy("Địa chỉ"), required=True, width=36),
    Column("industry", gettext_lazy("Ngành nghề sản xuất"), required=True, width=28),
    Column("woman_owned", gettext_lazy("Phụ nữ làm chủ"), cells.yes_no, width=12, choices="yes_no"),
    Column("ethnic_minority", gettext_lazy("Dân tộc thiểu số"), cells.yes_no, width=12, choices="yes_no"),
    Column("difficult_area", gettext_lazy("Địa bàn khó khăn"), cells.yes_no, width=12, choices="yes_no"),
    Column("craft_village", gettext_lazy("Trong làng nghề"), cells.yes_no, width=12, choices="yes_no"),
    Column("craft_village_name", gettext_lazy("Tên làng nghề"), width=24),
    Column("phone", gettext_lazy("Điện thoại"), width=14),
    Column("email", gettext_lazy("Thư điện tử"), width=24),
    Column("employees", gettext_lazy("Số lao động"), _employees, width=10),
    Column("founded_year", gettext_lazy("Năm thành lập"), _founded, width=10),
    Column("note", gettext_lazy("Ghi chú"), width=30),
]

FLAGS = ("woman_owned", "ethnic_minority", "difficult_area", "craft_village")
# Cells left empty in the file do not blank what the registry already holds.
KEEP_WHEN_EMPTY = ("tax_code", "craft_village_name", "phone", "email", "note", "employees", "founded_year", *FLAGS)


class EstablishmentChecker:
    """Checks the rows of one job, a chunk at a time, against the registry as the
    uploading user sees it."""

    def __init__(self, job, user, layout):
        self.job = job
        self.user = user
        self.layout = layout
        self.places = CommuneResolver(job.province_id)
        self.seen_tax_codes: dict[str, int] = {}
        self.seen_names: dict[tuple, int] = {}

    def error(self, row: ParsedRow, key: str, message: str) -> None:
        row.add_error(self.layout.letter(key), self.layout.label(key), message)

    def check(self, rows: list[ParsedRow]) -> list[dict]:
        """One ``ImportRow`` field dict per row."""
        for row in rows:
            self._resolve(row)
        existing = self._existing(rows)
        return [self._outcome(row, existing) for row in rows]

    # --- row by row ------------------------------------------------------------------

    def _resolve(self, row: ParsedRow) -> None:
        values = row.values
        province = values.pop("province", "")
        if province not in ("", None):
            code = cells.leading_code(str(province))
            if not code.isdigit() or int(code) != self.job.province_id:
                self.error(row, "province", _("dòng của tỉnh/thành khác (mã %(c)s); lần nhập này chỉ nhận cơ sở của "
                                              "%(p)s") % {"c": province, "p": self.job.province.name})
        commune, legacy, message, key = self.places.resolve(values.pop("commune", ""), values.pop("legacy_commune", ""))
        if message:
            self.error(row, key, message)
        values["commune"] = commune.pk if commune else None
        values["legacy_commune"] = legacy.pk if legacy else None
        if commune is None and legacy is None and not message:
            self.error(row, "commune", _("bắt buộc: ghi xã/phường mới hoặc xã/phường cũ"))
        tax_code = values.get("tax_code", "")
        if tax_code:
            first = self.seen_tax_codes.setdefault(tax_code, row.number)
            if first != row.number:
                self.error(row, "tax_code", _("trùng mã số thuế với dòng %(n)s của tệp") % {"n": first})
        elif commune is not None:
            key_name = (commune.pk, normalize_search(values.get("name", "")))
            first = self.seen_names.setdefault(key_name, row.number)
            if first != row.number:
                self.error(row, "name", _("trùng tên cơ sở và xã/phường với dòng %(n)s của tệp") % {"n": first})

    def _existing(self, rows: list[ParsedRow]) -> dict:
        tax_codes = {r.values.get("tax_code") for r in rows if r.values.get("tax_code")}
        found = {}
        if tax_codes:
            # National: the tax code is unique in the whole register.
            for est in Establishment.objects.filter(tax_code__in=tax_codes).select_related("commune"):
                found[("tax", est.tax_code)] = est
        names = {(r.values.get("commune"), r.values.get("name", "")) for r in rows
                 if not r.values.get("tax_code") and r.values.get("commune")}
        if names:
            qs = (Establishment.objects.filter(province_id=self.job.province_id, tax_code="",
                                               commune_id__in={c for c, _n in names},
                                               name__in={n for _c, n in names}).select_related("commune"))
            for est in qs:
                found.setdefault(("name", est.commune_id, normalize_search(est.name)), est)
        return found

    def _outcome(self, row: ParsedRow, existing: dict) -> dict:
        values = row.values
        target = None
        if values.get("tax_code"):
            target = existing.get(("tax", values["tax_code"]))
        elif values.get("commune"):
            target = existing.get(("name", values["commune"], normalize_search(values.get("name", ""))))
        if target is not None and target.province_id != self.job.province_id:
            # The same answer as the establishment service: never say in which province.
            self.error(
                row,
                "tax_code",
                _("mã số thuế này đã có trong sổ đăng ký cơ sở của tỉnh/thành khác; liên hệ Cục để được hỗ trợ"),
            )
        changes = {}
        if not row.errors:
            data = self._data(values, target)
            if target is None:
                self._validate(row, Establishment(province_id=self.job.province_id), data)
            else:
                for key, value in data.items():
                    if key in ("commune", "legacy_commune"):
                        old, value = getattr(target, f"{key}_id"), (value.pk if value is not None else None)
                    else:
                        old = getattr(target, key)
                    if old != value:
                        changes[key] = [old, value]
                if changes:
                    self._validate(row, target, data)
        if row.errors:
            outcome = RowOutcome.ERROR
        elif target is None:
            outcome = RowOutcome.CREATED
        else:
            outcome = RowOutcome.UPDATED if changes else RowOutcome.UNCHANGED
        return {"number": row.number, "outcome": outcome, "raw": row.raw, "values": _jsonable(values),
                "errors": row.errors, "changes": changes, "target_id": target.pk if target else None,
                "label": str(values.get("name") or row.raw.get("name", ""))[:300]}

    def _data(self, values: dict, target) -> dict:
        """The service's data for this row; for an update, cells left empty keep what
        the registry holds."""
        data = {}
        for key in ESTABLISHMENT_FIELDS:
            if key in ("province", "is_active", "commune", "legacy_commune") or key not in values:
                continue
            value = values[key]
            if target is not None and value in ("", None) and key in KEEP_WHEN_EMPTY:
                continue
            data[key] = value
        if target is None:
            for flag in FLAGS:
                if data.get(flag) is None:
                    data[flag] = False
        data["commune"] = self.places.commune(values["commune"])
        legacy = self.places.legacy(values.get("legacy_commune"))
        if legacy is not None or target is None:
            data["legacy_commune"] = legacy
        return data

    def _validate(self, row: ParsedRow, instance: Establishment, data: dict) -> None:
        for key, value in data.items():
            setattr(instance, key, value)
        instance.province_id = self.job.province_id
        try:
            instance.full_clean(exclude=["province", "commune", "legacy_commune", "created_by"], validate_unique=False,
                                validate_constraints=False)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                key = key if key in self.layout.positions else "commune" if key == "__all__" else key
                for message in messages:
                    letter = self.layout.letter(key)
                    row.add_error(letter, self.layout.label(key) if letter else "", message)


def _jsonable(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is None or isinstance(v, (str, int, bool))}


@lru_cache(maxsize=4096)
def _commune(pk: int) -> Commune:
    # Reference data: one query per commune, not per row, when a long file is written.
    return Commune.objects.select_related("province").get(pk=pk)


def write_row(*, user, row) -> None:
    """Write one checked row through the establishment services (their rules, scope
    check and audit)."""
    if row.outcome == RowOutcome.CREATED:
        data = {k: v for k, v in row.values.items() if k in ESTABLISHMENT_FIELDS}
        for flag in FLAGS:
            if data.get(flag) is None:
                data[flag] = False
        data["commune"] = _commune(data["commune"])
        data["province"] = data["commune"].province
        data["legacy_commune"] = LegacyCommune.objects.get(pk=data["legacy_commune"]) if data.get(
            "legacy_commune") else None
        services.establishment_create(user=user, data=data)
    elif row.outcome == RowOutcome.UPDATED:
        establishment = Establishment.objects.visible_to(user, action="edit").get(pk=row.target_id)
        data = {key: new for key, (_old, new) in row.changes.items()}
        if "commune" in data:
            data["commune"] = _commune(data["commune"])
        if "legacy_commune" in data:
            data["legacy_commune"] = LegacyCommune.objects.get(pk=data["legacy_commune"]) if data[
                "legacy_commune"] else None
        services.establishment_update(user=user, establishment=establishment, data=data)


Checker = EstablishmentChecker
