"""Admin base class applying ``visible_to`` for staff who are not superusers."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from .models import ApiToken, AuditEntry
from .scoping import scope_for


class ScopedAdmin(admin.ModelAdmin):
    """Superusers administer everything; other staff see their scope only, cannot
    change reference data (models without a province), cannot write with a read-only
    role and cannot save a row outside their scope (no moving rows to another province)."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.visible_to(request.user)

    def _is_reference(self) -> bool:
        return getattr(self.model, "tenant_province_path", None) is None

    def _without_scope(self, request) -> bool:
        return not request.user.is_superuser and scope_for(request.user).is_empty

    def _cannot_write(self, request) -> bool:
        if request.user.is_superuser:
            return False
        scope = scope_for(request.user)
        return self._is_reference() or scope.is_empty or scope.read_only

    def has_view_permission(self, request, obj=None):
        if self._without_scope(request):
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if self._cannot_write(request):
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        if self._cannot_write(request):
            return False
        return super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Nothing submitted is hard-deleted; only superusers may remove rows.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The admin's change view runs in a transaction: refusing here undoes the save.
        if not request.user.is_superuser and not self.get_queryset(request).filter(pk=obj.pk).exists():
            raise PermissionDenied


class ServiceOwnedAdmin(ScopedAdmin):
    """Rows whose rules live in services (allocations, caps, calls, councils,
    establishments, applications and their records): read-only here for everyone,
    superusers included, so the admin is no way around the services' checks, ledger
    entries and events. They change through the portal's pages and the API."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceOwnedInline:
    """An inline of a service-owned row: shown, never edited."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "read_only", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only"]
    search_fields = ["user__username", "prefix", "name"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        # Keys are created by create_api_token (or the token page), which shows the key once.
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the signals and never edited or deleted here."""

    list_display = ["created_at", "actor", "ip", "model_label", "object_id", "action", "province_id", "request_id"]
    list_filter = ["action", "model_label"]
    search_fields = ["actor", "object_id", "request_id", "object_repr"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def get_queryset(self, request):
        return AuditEntry.objects.visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = "Quản trị Cổng Khuyến công"
admin.site.site_title = "Cổng Khuyến công"
admin.site.index_title = "Quản trị hệ thống"
