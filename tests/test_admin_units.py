"""The administrative units loaded from the pinned package, with its defects corrected."""

from collections import Counter

import pytest

from provinces.choices import CommuneKind, ProvinceKind, RegionGrouping
from provinces.models import Commune, LegacyCommune, LegacyDistrict, LegacyProvince, Province, Region
from provinces.services import admin_units_load

pytestmark = pytest.mark.django_db


def test_counts_after_loading():
    assert Province.objects.count() == 34
    assert Counter(Province.objects.values_list("kind", flat=True)) == {ProvinceKind.PROVINCE: 28, ProvinceKind.CITY: 6}
    assert Commune.objects.count() == 3321
    assert Counter(Commune.objects.values_list("kind", flat=True)) == {
        CommuneKind.COMMUNE: 2621, CommuneKind.WARD: 687, CommuneKind.SPECIAL_ZONE: 13}
    assert LegacyProvince.objects.count() == 63
    assert LegacyDistrict.objects.count() == 696
    assert LegacyCommune.objects.count() == 10051


def test_the_six_cities_and_corrected_provinces():
    cities = set(Province.objects.filter(kind=ProvinceKind.CITY).values_list("code", flat=True))
    assert cities == {1, 31, 46, 48, 79, 92}
    for code, name in [(22, "Tỉnh Quảng Ninh"), (24, "Tỉnh Bắc Ninh"), (75, "Tỉnh Đồng Nai")]:
        province = Province.objects.get(code=code)
        assert (province.name, province.kind) == (name, ProvinceKind.PROVINCE)


def test_tay_ninh_and_ho_chi_minh_city():
    tay_ninh = Province.objects.get(code=80)
    assert tay_ninh.name == "Tỉnh Tây Ninh"
    assert tay_ninh.communes.count() == 96
    assert Counter(tay_ninh.communes.values_list("kind", flat=True)) == {CommuneKind.COMMUNE: 82, CommuneKind.WARD: 14}
    assert Province.objects.get(code=79).communes.count() == 168


def test_lineage_of_old_provinces():
    def successors(code):
        return set(LegacyProvince.objects.get(code=code).successor_provinces().values_list("code", flat=True))

    assert successors(80) == {80}  # old Long An → Tây Ninh
    assert successors(72) == {80}  # old Tây Ninh → Tây Ninh
    assert successors(82) == {82}  # old Tiền Giang → Đồng Tháp only (package defect corrected)
    assert successors(74) == {79} and successors(77) == {79}  # Bình Dương, Bà Rịa–Vũng Tàu → TP HCM


def test_corrected_old_commune_belongs_to_long_an():
    phuong_4_tan_an = LegacyCommune.objects.get(code=27691)
    assert phuong_4_tan_an.province_id == 80
    assert list(phuong_4_tan_an.successors.values_list("province_id", flat=True)) == [80]
    assert LegacyCommune.objects.get(code=30781).province_id == 91


def test_an_old_commune_can_map_to_several_new_ones():
    split = LegacyCommune.objects.get(code=19)
    assert split.lineage.count() == 4
    assert all(row.partial for row in split.lineage.all())


def test_second_load_changes_nothing():
    report = admin_units_load()
    assert not report.changed, report.created | report.updated


def test_reload_repairs_a_changed_row():
    Commune.objects.filter(code=25459).update(name="Sai tên")
    report = admin_units_load()
    assert report.updated["Commune"] == 1
    assert Commune.objects.get(code=25459).name == "Phường Tân Ninh"


def test_regions_in_both_groupings():
    socio = Region.objects.filter(grouping=RegionGrouping.SOCIO_ECONOMIC)
    areas = Region.objects.filter(grouping=RegionGrouping.KHUYEN_CONG_AREA)
    assert socio.count() == 6 and areas.count() == 3
    # Each grouping covers the 34 provinces exactly once.
    for grouping in (socio, areas):
        codes = [code for region in grouping for code in region.provinces.values_list("code", flat=True)]
        assert sorted(codes) == sorted(Province.objects.values_list("code", flat=True))
    south = Region.objects.get(code="phia-nam")
    assert set(south.provinces.values_list("code", flat=True)) == {79, 75, 80, 92, 86, 82, 96, 91}


def test_edited_region_membership_survives_reload():
    south = Region.objects.get(code="phia-nam")
    south.provinces.remove(91)
    admin_units_load()
    assert not south.provinces.filter(code=91).exists()
