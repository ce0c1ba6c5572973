"""Finding the commune of an imported row: the commune after 1 July 2025 by code or name,
or the old (pre-2025) commune by code or name, whose successor in the province is
proposed through the lineage. One resolver per job holds the province's units in memory
(a few hundred rows), so checking 100,000 rows asks the database nothing more."""

import re

from django.utils.translation import gettext as _

from khuyencong.text import normalize_search, strip_division_prefix
from provinces.models import Commune, LegacyCommune

from .cells import leading_code


def _key(value: str) -> str:
    return " ".join(re.sub(r"[,;/()\-–]", " ", normalize_search(value)).split())


def _short(name: str) -> str:
    return _key(strip_division_prefix(name))


class CommuneResolver:
    def __init__(self, province_id: int):
        self.province_id = province_id
        self._communes = {c.pk: c for c in Commune.objects.filter(province_id=province_id)}
        self._by_name: dict[str, list[Commune]] = {}
        for commune in self._communes.values():
            for key in {_key(commune.name), _short(commune.name)}:
                self._by_name.setdefault(key, []).append(commune)
        legacy = (LegacyCommune.objects.filter(lineage__commune__province_id=province_id).distinct()
                  .select_related("district", "province").prefetch_related("lineage__commune"))
        self._legacy = {lc.pk: lc for lc in legacy}
        self._legacy_by_name: dict[str, list[LegacyCommune]] = {}
        for lc in self._legacy.values():
            names = {_key(lc.name), _short(lc.name)}
            districts = {_key(lc.district.name), _short(lc.district.name)}
            keys = set(names)
            for name in names:
                for district in districts:
                    keys.add(f"{name} {district}")
                    keys.add(f"{name} {district} {_short(lc.province.name)}")
            for key in keys:
                self._legacy_by_name.setdefault(key, []).append(lc)

    def commune(self, pk):
        return self._communes.get(pk) if pk else None

    def legacy(self, pk):
        return self._legacy.get(pk) if pk else None

    def successors(self, legacy: LegacyCommune) -> list[Commune]:
        return [line.commune for line in legacy.lineage.all() if line.commune.province_id == self.province_id]

    def find_commune(self, value: str) -> tuple[Commune | None, str]:
        code = leading_code(value)
        if code.isdigit():
            commune = self._communes.get(int(code))
            if commune is not None:
                return commune, ""
            other = Commune.objects.filter(pk=int(code)).select_related("province").first()
            if other is not None:
                return None, _("xã/phường %(c)s (%(n)s) thuộc %(p)s, không thuộc tỉnh/thành của lần nhập") % {
                    "c": code, "n": other.name, "p": other.province.name}
            return None, _("không có xã/phường mã %(c)s") % {"c": code}
        found = self._by_name.get(_key(value), [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, _("tên “%(v)s” trùng nhiều xã/phường; ghi mã") % {"v": value}
        return None, _("không tìm thấy xã/phường “%(v)s” trong tỉnh/thành của lần nhập") % {"v": value}

    def find_legacy(self, value: str) -> tuple[LegacyCommune | None, str]:
        code = leading_code(value)
        if code.isdigit():
            legacy = self._legacy.get(int(code))
            if legacy is not None:
                return legacy, ""
            if LegacyCommune.objects.filter(pk=int(code)).exists():
                return None, _("xã cũ mã %(c)s nay không thuộc tỉnh/thành của lần nhập") % {"c": code}
            return None, _("không có xã cũ mã %(c)s") % {"c": code}
        found = self._legacy_by_name.get(_key(value), [])
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            options = "; ".join(f"{lc.code} – {lc.name}, {lc.district.name}" for lc in found[:6])
            return None, _("tên xã cũ “%(v)s” trùng nhiều đơn vị (%(o)s); ghi mã hoặc thêm tên huyện") % {
                "v": value, "o": options}
        return None, _("không tìm thấy xã cũ “%(v)s” trong tỉnh/thành của lần nhập") % {"v": value}

    def resolve(self, new_value: str, legacy_value: str):
        """``(commune, legacy commune, error message, column key of the error)``."""
        commune = legacy = None
        if new_value:
            commune, message = self.find_commune(new_value)
            if message:
                return None, None, message, "commune"
        if legacy_value:
            legacy, message = self.find_legacy(legacy_value)
            if message:
                return commune, None, message, "legacy_commune"
            successors = self.successors(legacy)
            if commune is None:
                if len(successors) == 1:
                    commune = successors[0]
                else:
                    names = ", ".join(f"{c.code} – {c.name}" for c in successors)
                    return None, legacy, _("xã cũ %(l)s nay thuộc nhiều xã/phường (%(n)s); ghi thêm cột Xã/phường "
                                           "(mới)") % {"l": legacy.name, "n": names}, "commune"
            elif commune not in successors:
                names = ", ".join(f"{c.code} – {c.name}" for c in successors)
                return commune, legacy, _("%(c)s không kế thừa xã cũ %(l)s (đơn vị kế thừa: %(n)s)") % {
                    "c": commune.name, "l": legacy.name, "n": names}, "commune"
        return commune, legacy, "", ""
