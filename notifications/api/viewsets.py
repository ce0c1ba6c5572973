"""Viewsets of the notifications API. Each caller sees only their own notices and watches,
and of those only the ones whose dossier they can still see (``visible_to``)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from applications.models import Application
from khuyencong.api import ScopedReadOnlyViewSet, ScopedViewSetMixin

from .. import services
from ..filters import NotificationFilterSet
from ..models import Notification, Watch
from .serializers import MarkReadSerializer, NotificationSerializer, PreferenceSerializer, WatchSerializer


class NotificationViewSet(ScopedReadOnlyViewSet):
    """The caller's notices, newest first. ``POST read/`` marks some or all read;
    ``GET``/``PUT preferences/`` reads or sets how the caller is e-mailed."""

    queryset = Notification.objects.select_related("application", "actor")
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet

    @extend_schema(request=MarkReadSerializer, responses={200: {"type": "object", "properties": {
        "marked": {"type": "integer"}, "unread": {"type": "integer"}}}})
    @action(detail=False, methods=["post"])
    def read(self, request):
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(user=request.user, ids=body.validated_data.get("ids"))
        unread = Notification.objects.visible_to(request.user).filter(read_at__isnull=True).count()
        return Response({"marked": marked, "unread": unread})

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    @action(detail=False, methods=["get", "put"], pagination_class=None, filterset_class=None)
    def preferences(self, request):
        if request.method == "PUT":
            body = PreferenceSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.preference_set(user=request.user, **body.validated_data)
        pref = services.preference_for(request.user)
        return Response(PreferenceSerializer({"email_mode": pref.email_mode, "language": pref.language}).data)


class WatchViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                   viewsets.ReadOnlyModelViewSet):
    """The dossiers the caller watches. ``POST {"application": id}`` watches one (a dossier
    outside the caller's scope is a 404); ``DELETE`` stops watching."""

    queryset = Watch.objects.select_related("application")
    serializer_class = WatchSerializer

    def create(self, request, *args, **kwargs):
        body = WatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.watch_set(user=request.user, application_id=body.validated_data["application_id"],
                               watching=True)
        except Application.DoesNotExist:
            raise Http404 from None
        watch = Watch.objects.get(user=request.user, application_id=body.validated_data["application_id"])
        return Response(WatchSerializer(watch).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.watch_set(user=self.request.user, application_id=instance.application_id, watching=False)
