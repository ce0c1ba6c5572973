"""Admin of programmes, caps, calls, criteria and allocations (scoped for non-superusers)."""

from django.contrib import admin

from khuyencong.admin import ScopedAdmin

from .models import ActivityType, AppraisalCriterion, BudgetAllocation, Call, Programme, SupportRule


@admin.register(ActivityType)
class ActivityTypeAdmin(ScopedAdmin):
    list_display = ["code", "name", "is_green", "first_advance_percent", "is_active"]
    list_editable = ["first_advance_percent"]


@admin.register(Programme)
class ProgrammeAdmin(ScopedAdmin):
    list_display = ["name", "code", "fund_source", "province", "start_year", "end_year", "is_active"]
    list_filter = ["fund_source", "province"]
    search_fields = ["search_text"]


@admin.register(SupportRule)
class SupportRuleAdmin(ScopedAdmin):
    list_display = ["activity_type", "fund_source", "province", "max_percent", "max_amount", "valid_from", "valid_to"]
    list_filter = ["fund_source", "activity_type", "province"]


class CriterionInline(admin.TabularInline):
    model = AppraisalCriterion
    extra = 0


@admin.register(Call)
class CallAdmin(ScopedAdmin):
    list_display = ["name", "programme", "province", "year", "opens_on", "closes_on", "pass_mark"]
    list_filter = ["year", "province"]
    filter_horizontal = ["activity_types"]
    inlines = [CriterionInline]
    search_fields = ["search_text"]


@admin.register(BudgetAllocation)
class BudgetAllocationAdmin(ScopedAdmin):
    list_display = ["programme", "province", "year", "amount", "decision_number"]
    list_filter = ["year", "province"]
