"""API viewsets of the geography and tenancy resources (read-only)."""

from django.db.models import Count, Prefetch

from khuyencong.api import ScopedReadOnlyViewSet
from provinces.filters import (
    CommuneFilterSet,
    LegacyCommuneFilterSet,
    OrganisationFilterSet,
    ProvinceFilterSet,
    RegionFilterSet,
)
from provinces.models import Commune, CommuneLineage, LegacyCommune, Organisation, Province, Region

from .serializers import (
    CommuneSerializer,
    LegacyCommuneSerializer,
    OrganisationSerializer,
    ProvinceSerializer,
    RegionSerializer,
)


class RegionViewSet(ScopedReadOnlyViewSet):
    queryset = Region.objects.prefetch_related("provinces")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"


class ProvinceViewSet(ScopedReadOnlyViewSet):
    """Provinces by NSO code: ``/api/v1/provinces/80/`` is Tây Ninh."""

    # An aggregate drops Meta.ordering (GROUP BY): order explicitly, in Vietnamese order.
    queryset = Province.objects.annotate(commune_count=Count("communes")).order_by("sort_key")
    serializer_class = ProvinceSerializer
    filterset_class = ProvinceFilterSet
    lookup_value_regex = r"\d{1,3}"


class CommuneViewSet(ScopedReadOnlyViewSet):
    queryset = Commune.objects.all()
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilterSet
    lookup_value_regex = r"\d{1,6}"


class LegacyCommuneViewSet(ScopedReadOnlyViewSet):
    """Pre-July-2025 communes by old code, each with the new communes that succeeded it."""

    queryset = LegacyCommune.objects.select_related("district", "province").prefetch_related(
        Prefetch("lineage", queryset=CommuneLineage.objects.select_related("commune").order_by("commune_id"))
    )
    serializer_class = LegacyCommuneSerializer
    filterset_class = LegacyCommuneFilterSet
    lookup_value_regex = r"\d{1,6}"


class OrganisationViewSet(ScopedReadOnlyViewSet):
    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
