"""Admin of the registry and applications. Everything here is read-only: establishments,
applications, councils and their records change only through the services (workflow,
registry, appraisal), which check the rules and record events."""

from django.contrib import admin

from khuyencong.admin import ServiceOwnedAdmin, ServiceOwnedInline

from .models import (
    Application,
    ApplicationEvent,
    AppraisalCouncil,
    Attachment,
    ConflictDeclaration,
    CostLine,
    CouncilMember,
    Establishment,
    Score,
)


@admin.register(Establishment)
class EstablishmentAdmin(ServiceOwnedAdmin):
    list_display = ["name", "tax_code", "legal_form", "province", "commune", "is_active"]
    list_filter = ["legal_form", "province", "woman_owned", "ethnic_minority", "difficult_area", "craft_village"]
    search_fields = ["search_text", "tax_code"]
    raw_id_fields = ["commune", "created_by"]
    list_select_related = ["province", "commune"]


class CostLineInline(ServiceOwnedInline, admin.TabularInline):
    model = CostLine
    extra = 0
    can_delete = False
    readonly_fields = ["item", "quantity", "unit", "unit_cost", "amount"]


class EventInline(ServiceOwnedInline, admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "action", "from_status", "to_status", "actor", "reason", "payload"]


@admin.register(Application)
class ApplicationAdmin(ServiceOwnedAdmin):
    list_display = ["code", "title", "province", "fund_source", "activity_type", "status", "requested_support",
                    "approved_amount"]
    list_filter = ["status", "fund_source", "activity_type", "year", "province"]
    search_fields = ["search_text", "code"]
    list_select_related = ["province", "activity_type"]
    inlines = [CostLineInline, EventInline]


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ServiceOwnedAdmin):
    list_display = ["application", "action", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["application", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(ServiceOwnedAdmin):
    list_display = ["original_name", "application", "kind", "size", "uploaded_at", "removed_at"]
    exclude = ["file"]


class CouncilMemberInline(ServiceOwnedInline, admin.TabularInline):
    model = CouncilMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(AppraisalCouncil)
class AppraisalCouncilAdmin(ServiceOwnedAdmin):
    list_display = ["name", "level", "province", "call", "application"]
    list_filter = ["level", "province"]
    raw_id_fields = ["application"]
    inlines = [CouncilMemberInline]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ServiceOwnedAdmin):
    list_display = ["application", "level", "user", "has_conflict", "declared_at"]


@admin.register(Score)
class ScoreAdmin(ServiceOwnedAdmin):
    list_display = ["application", "level", "user", "criterion", "score", "updated_at"]
