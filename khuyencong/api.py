"""Base API classes: scoping, error shape and query-count discipline live here once."""

from django.utils.translation import gettext as _
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound

from .db.router import allow_replica_reads
from .scoping import scope_for


class ScopedViewSetMixin:
    """Applies ``visible_to(request.user)`` to the view's queryset; every object
    outside the caller's scope is a 404. After a write, the saved object must still be
    visible (no moving rows to another province)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Authenticated now (tokens too): safe methods may read from a replica unless the
        # caller has just written.
        allow_replica_reads(request)

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    @property
    def scope(self):
        return scope_for(self.request.user)

    def ensure_still_visible(self, instance):
        if not type(instance).objects.visible_to(self.request.user).filter(pk=instance.pk).exists():
            raise NotFound(_("Đối tượng nằm ngoài phạm vi của bạn."))


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve, scoped."""


class ScopedModelViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):
    """List, retrieve, create and update, scoped. Nothing is deleted through the API:
    records are cancelled or deactivated by their services."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
