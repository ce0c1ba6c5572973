"""API viewset of establishments."""


from applications import services
from applications.filters import EstablishmentFilterSet
from applications.models import Establishment
from khuyencong.api import ScopedModelViewSet

from ..serializers import EstablishmentSerializer


class EstablishmentViewSet(ScopedModelViewSet):
    """Rural industrial establishments. Created and edited through the services
    (tax-code format and national uniqueness, commune inside the province)."""

    queryset = Establishment.objects.select_related("province", "commune")
    serializer_class = EstablishmentSerializer
    filterset_class = EstablishmentFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.establishment_create(user=self.request.user,
                                                            data=dict(serializer.validated_data))
        self.ensure_still_visible(serializer.instance)

    def perform_update(self, serializer):
        serializer.instance = services.establishment_update(user=self.request.user, establishment=serializer.instance,
                                                            data=dict(serializer.validated_data))
        self.ensure_still_visible(serializer.instance)
