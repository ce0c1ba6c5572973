"""Admin of the fieldwork app."""

from django.contrib import admin

from .models import FieldVisit


@admin.register(FieldVisit)
class FieldVisitAdmin(admin.ModelAdmin):
    list_display = ["visited_on", "commune", "establishment", "created_by"]
    raw_id_fields = ["commune", "establishment", "application", "created_by"]
