"""API permission: a role is needed; read-only tokens and read-only roles cannot write."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .models import ApiToken
from .scoping import scope_for


class PortalPermission(permissions.BasePermission):
    message = _("Tài khoản chưa được phân công vai trò nào trong hệ thống.")

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        scope = scope_for(user)
        if scope.is_empty:
            self.message = _("Tài khoản chưa được phân công vai trò nào trong hệ thống.")
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = _("Khóa API chỉ đọc không được phép thay đổi dữ liệu.")
            return False
        if scope.read_only:
            self.message = _("Vai trò chỉ đọc không được phép thay đổi dữ liệu.")
            return False
        return True
