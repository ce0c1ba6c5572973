"""Admin of programmes, caps, calls, criteria and allocations: read-only (scoped for
non-superusers). They change through their services, from the portal's pages and the
API, which check the rules (an allocation never below what is committed) and keep the
allocation's ledger of changes; only the reference activity types are edited here."""

from django.contrib import admin

from khuyencong.admin import ScopedAdmin, ServiceOwnedAdmin, ServiceOwnedInline

from .models import (
    ActivityType,
    AppraisalCriterion,
    BudgetAllocation,
    BudgetAllocationEntry,
    Call,
    Programme,
    SupportRule,
)


@admin.register(ActivityType)
class ActivityTypeAdmin(ScopedAdmin):
    list_display = ["code", "name", "is_green", "first_advance_percent", "is_active"]
    list_editable = ["first_advance_percent"]


@admin.register(Programme)
class ProgrammeAdmin(ServiceOwnedAdmin):
    list_display = ["name", "code", "fund_source", "province", "start_year", "end_year", "is_active"]
    list_filter = ["fund_source", "province"]
    search_fields = ["search_text"]


@admin.register(SupportRule)
class SupportRuleAdmin(ServiceOwnedAdmin):
    list_display = ["activity_type", "fund_source", "province", "max_percent", "max_amount", "valid_from", "valid_to"]
    list_filter = ["fund_source", "activity_type", "province"]


class CriterionInline(ServiceOwnedInline, admin.TabularInline):
    model = AppraisalCriterion
    extra = 0


@admin.register(Call)
class CallAdmin(ServiceOwnedAdmin):
    list_display = ["name", "programme", "province", "year", "opens_on", "closes_on", "pass_mark"]
    list_filter = ["year", "province"]
    filter_horizontal = ["activity_types"]
    inlines = [CriterionInline]
    search_fields = ["search_text"]


@admin.register(BudgetAllocation)
class BudgetAllocationAdmin(ServiceOwnedAdmin):
    list_display = ["programme", "province", "year", "amount", "decision_number"]
    list_filter = ["year", "province"]


class AllocationEntryInline(ServiceOwnedInline, admin.TabularInline):
    model = BudgetAllocationEntry
    fk_name = "allocation"
    fields = readonly_fields = ["created_at", "kind", "amount_before", "amount_after", "reason", "decision_number",
                                "counterpart", "actor"]


BudgetAllocationAdmin.inlines = [AllocationEntryInline]


@admin.register(BudgetAllocationEntry)
class BudgetAllocationEntryAdmin(ServiceOwnedAdmin):
    list_display = ["created_at", "allocation", "kind", "amount_before", "amount_after", "reason", "actor"]
    list_filter = ["kind", "province"]
