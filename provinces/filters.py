"""FilterSets of the geography and tenancy app (one per model, shared by API and HTML)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from khuyencong.filters import (
    IntegerFilter,
    PortalFilterSet,
    ProvinceCodeFilter,
    SearchFilter,
    TenancyFilterSet,
)

from .choices import CommuneKind, OrganisationKind, ProvinceKind, RegionGrouping
from .models import Commune, LegacyCommune, Organisation, Province, Region


class RegionFilterSet(PortalFilterSet):
    grouping = django_filters.ChoiceFilter(choices=RegionGrouping.choices, label=_("Cách phân vùng"))
    q = SearchFilter()

    class Meta:
        model = Region
        fields = ["grouping"]


class ProvinceFilterSet(PortalFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProvinceKind.choices, label=_("Loại"))
    region = django_filters.CharFilter(field_name="regions__code", label=_("Vùng (mã)"))
    q = SearchFilter()

    class Meta:
        model = Province
        fields = ["kind"]


class CommuneFilterSet(TenancyFilterSet):
    kind = django_filters.ChoiceFilter(choices=CommuneKind.choices, label=_("Loại"))
    q = SearchFilter()

    class Meta:
        model = Commune
        fields = ["province", "kind"]


class LegacyCommuneFilterSet(TenancyFilterSet):
    province = ProvinceCodeFilter(label=_("Tỉnh cũ (mã)"))  # the former province
    district = IntegerFilter(field_name="district_id", label=_("Huyện cũ (mã)"), min_value=0)
    successor = IntegerFilter(field_name="lineage__commune_id", label=_("Xã mới (mã)"),
                                            min_value=0, distinct=True)
    q = SearchFilter()

    class Meta:
        model = LegacyCommune
        fields = ["province", "district"]


class OrganisationFilterSet(TenancyFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, label=_("Loại"))
    q = SearchFilter()

    class Meta:
        model = Organisation
        fields = ["province", "kind"]
