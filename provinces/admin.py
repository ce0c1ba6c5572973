"""Admin of geography and tenancy; staff who are not superusers see only their scope."""

from django.contrib import admin

from khuyencong.admin import ScopedAdmin

from .models import (
    Commune,
    CommuneLineage,
    LegacyCommune,
    LegacyDistrict,
    LegacyProvince,
    Membership,
    Organisation,
    Province,
    ProvincePolicy,
    Region,
)


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ["name", "code", "grouping", "position"]
    list_filter = ["grouping"]
    filter_horizontal = ["provinces"]
    search_fields = ["search_text", "code"]


@admin.register(Province)
class ProvinceAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind", "regions"]
    search_fields = ["search_text"]


@admin.register(Commune)
class CommuneAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["search_text"]
    list_select_related = ["province"]


@admin.register(LegacyProvince)
class LegacyProvinceAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["search_text"]


@admin.register(LegacyDistrict)
class LegacyDistrictAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "province"]
    list_filter = ["province"]
    search_fields = ["search_text"]
    list_select_related = ["province"]


class LineageInline(admin.TabularInline):
    model = CommuneLineage
    extra = 0
    raw_id_fields = ["commune"]


@admin.register(LegacyCommune)
class LegacyCommuneAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "district", "province"]
    list_filter = ["province"]
    search_fields = ["search_text"]
    list_select_related = ["district", "province"]
    inlines = [LineageInline]


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdmin):
    list_display = ["name", "kind", "province", "commune"]
    list_filter = ["kind", "province"]
    search_fields = ["search_text"]
    raw_id_fields = ["commune"]
    list_select_related = ["province", "commune"]


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "organisation__search_text"]
    raw_id_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]


@admin.register(ProvincePolicy)
class ProvincePolicyAdmin(admin.ModelAdmin):
    list_display = ["province", "progress_report_months", "completion_grace_days", "settlement_days",
                    "escalation_days", "separation_of_duties", "updated_at"]
    list_filter = ["separation_of_duties"]

    def save_model(self, request, obj, form, change):
        from django.core.cache import cache

        from .services import POLICY_CACHE_KEY

        super().save_model(request, obj, form, change)
        cache.delete(POLICY_CACHE_KEY)
