"""Serializers of the notifications API."""

from django.conf import settings
from rest_framework import serializers

from ..choices import EmailMode
from ..models import Notification, Watch


class NotificationSerializer(serializers.ModelSerializer):
    application_code = serializers.CharField(source="application.code", read_only=True)
    summary = serializers.SerializerMethodField(help_text="One line in the caller's language")
    is_read = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The dossier's page")

    class Meta:
        model = Notification
        fields = ["id", "application", "application_code", "event", "action", "to_status", "actor", "reasons",
                  "summary", "created_at", "read_at", "is_read", "email_status", "url"]
        read_only_fields = fields

    def get_summary(self, obj) -> str:
        return obj.summary()

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("applications:application_detail", args=[obj.application_id])


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=1000,
                                help_text="Notices to mark read; omitted: all of the caller's unread notices")


class WatchSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", min_value=1)

    class Meta:
        model = Watch
        fields = ["id", "application", "created_at"]
        read_only_fields = ["id", "created_at"]


class PreferenceSerializer(serializers.Serializer):
    email_mode = serializers.ChoiceField(choices=EmailMode.choices)
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
