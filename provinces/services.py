"""Writes of the geography and tenancy app: loading administrative units, memberships."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from khuyencong.text import normalize_search, strip_division_prefix, vietnamese_sort_key

from . import data
from .choices import CommuneKind, LegacyUnitKind, OrganisationKind, ProvinceKind, RegionGrouping, Role
from .models import (
    Commune,
    CommuneLineage,
    LegacyCommune,
    LegacyDistrict,
    LegacyProvince,
    Membership,
    Organisation,
    Province,
    ProvincePolicy,
    Region,
    legacy_commune_search_source,
)

_NEW_KIND = {"tỉnh": ProvinceKind.PROVINCE, "thành phố trung ương": ProvinceKind.CITY,
             "xã": CommuneKind.COMMUNE, "phường": CommuneKind.WARD, "đặc khu": CommuneKind.SPECIAL_ZONE}
_LEGACY_KIND = {"tỉnh": LegacyUnitKind.PROVINCE, "thành phố trung ương": LegacyUnitKind.CITY,
                "quận": LegacyUnitKind.URBAN_DISTRICT, "huyện": LegacyUnitKind.RURAL_DISTRICT,
                "thị xã": LegacyUnitKind.TOWN, "thành phố": LegacyUnitKind.PROVINCIAL_CITY,
                "xã": LegacyUnitKind.COMMUNE, "phường": LegacyUnitKind.WARD, "thị trấn": LegacyUnitKind.TOWNSHIP,
                "đặc khu": LegacyUnitKind.SPECIAL_ZONE}


@dataclass
class LoadReport:
    """Counts of rows created and updated per model by a load."""

    created: dict
    updated: dict
    corrections: list

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def _keys(obj, search_source: str) -> None:
    obj.search_text = normalize_search(search_source)[:600]
    obj.sort_key = vietnamese_sort_key(strip_division_prefix(obj.name))[:1200]


def _sync(model, rows: dict, fields: list[str], report: LoadReport) -> None:
    """Create missing rows and update changed ones, comparing field by field so a
    second load writes nothing."""
    existing = model.objects.in_bulk(list(rows))
    to_create, to_update = [], []
    for pk, obj in rows.items():
        current = existing.get(pk)
        if current is None:
            to_create.append(obj)
            continue
        if any(getattr(current, f) != getattr(obj, f) for f in fields):
            for f in fields:
                setattr(current, f, getattr(obj, f))
            to_update.append(current)
    model.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=2000)
    report.created[model.__name__] = len(to_create)
    report.updated[model.__name__] = len(to_update)


def admin_units_load() -> LoadReport:
    """Copy the 34 provinces, 3,321 communes, the pre-2025 units and the lineage from
    the pinned package into our tables, applying the corrections of ``data``.

    Idempotent: a second run creates and updates nothing.
    """
    import vietnam_provinces as vp
    from vietnam_provinces import legacy
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

    if vp.__version__ != data.SOURCE_VERSION:
        raise RuntimeError(
            f"vietnam-provinces {vp.__version__} is installed; the corrections are written for {data.SOURCE_VERSION}."
        )
    report = LoadReport(created={}, updated={}, corrections=[])

    provinces = {}
    for p in vp.Province.iter_all():
        code = p.code.value
        fix = data.PROVINCE_CORRECTIONS.get(code, {})
        obj = Province(code=code, name=fix.get("name", p.name), kind=fix.get("kind", _NEW_KIND[p.division_type.value]),
                       codename=p.codename, phone_code=p.phone_code)
        if fix:
            report.corrections.append(f"province {code}: {p.name} ({p.division_type.value}) → {obj.name} ({obj.kind})")
        _keys(obj, f"{obj.name} {code:02d}")
        provinces[code] = obj

    communes = {}
    for w in vp.Ward.iter_all():
        obj = Commune(code=w.code.value, name=w.name, kind=_NEW_KIND[w.division_type.value],
                      province_id=w.province_code.value, codename=w.codename)
        _keys(obj, f"{obj.name} {obj.code:05d}")
        communes[obj.code] = obj

    legacy_provinces = {}
    for p in legacy.Province.iter_all():
        obj = LegacyProvince(code=p.code.value, name=p.name, kind=_LEGACY_KIND[p.division_type.value])
        _keys(obj, obj.name)
        legacy_provinces[obj.code] = obj

    districts = {}
    for d in legacy.District.iter_all():
        obj = LegacyDistrict(code=d.code.value, name=d.name, kind=_LEGACY_KIND[d.division_type.value],
                             province_id=d.province_code.value)
        _keys(obj, obj.name)
        districts[obj.code] = obj

    legacy_communes = {}
    for w in legacy.Ward.iter_all():
        district = districts[w.district_code.value]
        obj = LegacyCommune(code=w.code.value, name=w.name, kind=_LEGACY_KIND[w.division_type.value],
                            district_id=district.code, province_id=district.province_id)
        _keys(obj, legacy_commune_search_source(obj.name, obj.code, district.name,
                                                legacy_provinces[district.province_id].name))
        legacy_communes[obj.code] = obj

    # The package's own province tag on conversion rows is not trusted: the old
    # province comes from the district. Known disagreements are listed in data and
    # any other disagreement stops the load, so a new package version is reviewed.
    lineage = {}
    unknown_old = []
    for old_code, entry in OLD_TO_NEW.items():
        if old_code not in legacy_communes:
            # A handful of conversion rows name old codes absent from the package's
            # list of old communes: there is no name to show, so they are reported.
            unknown_old.append(old_code)
            continue
        ours = legacy_communes[old_code].province_id
        if entry.old_ward.province_code != ours:
            fix = data.LEGACY_COMMUNE_PROVINCE_CORRECTIONS.get(old_code)
            if not fix or fix["package_says"] != entry.old_ward.province_code or fix["correct"] != ours:
                raise RuntimeError(f"Unreviewed province tag on old commune {old_code}: "
                                   f"package {entry.old_ward.province_code}, district says {ours}")
            report.corrections.append(f"old commune {old_code}: province {fix['package_says']} → {fix['correct']}")
        for new in entry.new_wards:
            if new.code in communes:
                lineage[(old_code, new.code)] = CommuneLineage(
                    legacy_commune_id=old_code, commune_id=new.code, partial=entry.old_ward.is_partly_merged
                )

    if unknown_old:
        report.corrections.append(
            f"{len(unknown_old)} conversion rows skipped (old codes not in the legacy list): "
            + ", ".join(map(str, sorted(unknown_old)))
        )
    with transaction.atomic():
        _sync(Province, provinces, ["name", "kind", "codename", "phone_code", "search_text", "sort_key"], report)
        _sync(Commune, communes, ["name", "kind", "province_id", "codename", "search_text", "sort_key"], report)
        _sync(LegacyProvince, legacy_provinces, ["name", "kind", "search_text", "sort_key"], report)
        _sync(LegacyDistrict, districts, ["name", "kind", "province_id", "search_text", "sort_key"], report)
        _sync(LegacyCommune, legacy_communes, ["name", "kind", "district_id", "province_id", "search_text", "sort_key"],
              report)
        existing = {(r.legacy_commune_id, r.commune_id): r for r in CommuneLineage.objects.all()}
        new_rows = [row for key, row in lineage.items() if key not in existing]
        changed = []
        for key, row in lineage.items():
            current = existing.get(key)
            if current is not None and current.partial != row.partial:
                current.partial = row.partial
                changed.append(current)
        CommuneLineage.objects.bulk_create(new_rows, batch_size=5000)
        CommuneLineage.objects.bulk_update(changed, ["partial"], batch_size=5000)
        report.created["CommuneLineage"] = len(new_rows)
        report.updated["CommuneLineage"] = len(changed)
        regions_load(report)
    return report


def regions_load(report: LoadReport | None = None) -> None:
    """Create the two groupings of regions when missing. Existing regions are data
    that operators may have edited: their membership is left alone."""
    created = 0
    for grouping, rows in ((RegionGrouping.SOCIO_ECONOMIC, [(*r, "") for r in data.SOCIO_ECONOMIC_REGIONS]),
                           (RegionGrouping.KHUYEN_CONG_AREA, data.KHUYEN_CONG_AREAS)):
        for position, (code, name, province_codes, note) in enumerate(rows, start=1):
            region, was_created = Region.objects.get_or_create(
                code=code, defaults={"name": name, "grouping": grouping, "position": position, "note": note}
            )
            if was_created:
                region.provinces.set(province_codes)
                created += 1
    if report is not None:
        report.created["Region"] = created


# --- Tenancy -------------------------------------------------------------------------

AGENCY_NAME = "Cục Đổi mới sáng tạo, Chuyển đổi xanh và Khuyến công"


def _organisation_get_or_create(*, kind: str, lookup: dict, **defaults) -> Organisation:
    """The first organisation of ``kind`` matching ``lookup``, created (validated) when missing."""
    org = Organisation.objects.filter(kind=kind, **lookup).order_by("pk").first()
    if org is None:
        org = Organisation(kind=kind, **lookup, **defaults)
        org.full_clean()
        org.save()
    return org


def agency_get_or_create() -> Organisation:
    return _organisation_get_or_create(kind=OrganisationKind.AGENCY, lookup={}, name=AGENCY_NAME,
                                       short_name="Cục ĐMST,CĐX&KC")


def province_department_get_or_create(*, province: Province) -> Organisation:
    return _organisation_get_or_create(kind=OrganisationKind.DEPARTMENT, lookup={"province": province},
                                       name=f"Sở Công Thương {province.short_name}", short_name="Sở Công Thương")


def province_centre_get_or_create(*, province: Province) -> Organisation:
    return _organisation_get_or_create(kind=OrganisationKind.CENTRE, lookup={"province": province},
                                       name=f"Trung tâm Khuyến công {province.short_name}", short_name="TTKC")


def commune_committee_get_or_create(*, commune: Commune) -> Organisation:
    return _organisation_get_or_create(kind=OrganisationKind.COMMUNE_COMMITTEE, lookup={"commune": commune},
                                       province_id=commune.province_id, name=f"UBND {commune.name}",
                                       short_name=f"UBND {commune.name}")


def organisation_for_role(*, role: str, province: Province | None, commune: Commune | None) -> Organisation:
    """The organisation a new member with ``role`` joins."""
    if province is None:
        return agency_get_or_create()
    if role == Role.COMMUNE_OFFICER:
        if commune is None:
            raise ValueError("commune_officer needs --commune")
        return commune_committee_get_or_create(commune=commune)
    return province_department_get_or_create(province=province)


def member_add(*, username: str, role: str, province: Province | None = None, commune: Commune | None = None,
               password: str | None = None, email: str = "", first_name: str = "", last_name: str = "",
               organisation: Organisation | None = None):
    """Create the user when missing and give them ``role``. Idempotent.

    Returns ``(user, membership, user_created, membership_created)``.
    """
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; choose from {', '.join(Role.values)}")
    if commune is not None and province is not None and commune.province_id != province.code:
        raise ValueError(f"commune {commune.code} is not in province {province.code}")
    if commune is not None and province is None:
        province = commune.province
    User = get_user_model()
    with transaction.atomic():
        user, user_created = User.objects.get_or_create(
            username=username, defaults={"email": email, "first_name": first_name, "last_name": last_name}
        )
        if user_created or password:
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        org = organisation or organisation_for_role(role=role, province=province, commune=commune)
        membership = Membership.objects.filter(user=user, organisation=org, role=role).first()
        membership_created = membership is None
        if membership is None:
            membership = Membership(user=user, organisation=org, role=role)
            membership.full_clean()
            membership.save()
        elif not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
    return user, membership, user_created, membership_created


def province_policy_set(*, province: Province, **values) -> ProvincePolicy:
    """Create or change a province's own deadlines and rules (empty: the national default)."""
    from django.core.cache import cache

    policy = ProvincePolicy.objects.filter(province=province).first() or ProvincePolicy(province=province)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    cache.delete(POLICY_CACHE_KEY)
    return policy


# The shared cache key under which ``applications.deadlines`` keeps every province's policy.
POLICY_CACHE_KEY = "kc:province-policies:v1"
