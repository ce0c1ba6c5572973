"""Admin of the notifications app (read-mostly: notices are written by the workflow)."""

from django.contrib import admin

from .models import Notification, NotificationPreference, Reminder, Watch


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "application", "action", "read_at", "email_status", "email_attempts"]
    list_filter = ["email_status", "action"]
    raw_id_fields = ["recipient", "application", "event", "actor"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin):
    list_display = ["user", "application", "created_at"]
    raw_id_fields = ["user", "application"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "language", "updated_at"]
    raw_id_fields = ["user"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["on", "user", "waiting", "late", "sent_at"]
    raw_id_fields = ["user"]
    date_hierarchy = "on"
