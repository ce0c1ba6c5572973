"""What the pages of the applications app share: the error message of a conflict, write
scope in the page, the filter-form list, the application lookup (404 outside scope)."""


from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.utils.html import format_html, format_html_join

from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from khuyencong.web import PortalViewMixin, ScopedListView
from provinces.choices import Role
from provinces.models import Province

from .. import selectors
from ..models import (
    Application,
    ConflictDeclaration,
)
from ..services.base import WRITER_ROLES, _can_write_in


def conflict_message(request, exc: DomainConflict) -> None:
    """A DomainConflict as one error message listing every reason."""
    if exc.reasons:
        # Escaped by format_html; the message storage keeps it marked safe.
        messages.error(request, format_html('{}<ul class="mb-0">{}</ul>', exc.message,
                                            format_html_join("", "<li>{}</li>", ((r,) for r in exc.reasons))))
    else:
        messages.error(request, exc.message)


def writable_provinces(user):
    """Provinces where the user may create establishments and applications."""
    scope = scope_for(user)
    if scope.read_only:
        return Province.objects.none()
    if scope.superuser:
        return Province.objects.all()
    ids = {pid for pid, roles in scope.roles_by_province.items() if pid and roles & set(WRITER_ROLES)}
    ids |= set(scope.commune_province_ids)
    return Province.objects.filter(code__in=ids)


def can_write_in(user, province_id, commune_id=None) -> bool:
    return _can_write_in(user, province_id, commune_id)


def dossier_closed_for(application, user) -> bool:
    """A council member without another role sees the dossier of an application under
    appraisal only after declaring no conflict of interest."""
    scope = scope_for(user)
    if scope.superuser or not scope.roles or scope.roles - {Role.COUNCIL_MEMBER}:
        return False
    level = application.appraisal_level
    if level is None or selectors.council_seat(application, user, level) is None:
        return False
    return not ConflictDeclaration.objects.filter(application=application, level=level, user=user,
                                                  has_conflict=False).exists()


# --- Lists ------------------------------------------------------------------------------------------


class FilterFormListView(ScopedListView):
    """A list whose filter form is submitted as it is: empty fields are dropped before
    filtering (``status=`` would otherwise be an invalid choice and empty the list)."""

    def filter_data(self):
        data = self.request.GET.copy()
        for key in list(data.keys()):
            values = [v for v in data.getlist(key) if v.strip()]
            if values:
                data.setlist(key, values)
            else:
                del data[key]
        return data or None

    def get_queryset(self):
        qs = self.get_base_queryset().visible_to(self.request.user)
        self.filterset = self.filterset_class(self.filter_data(), queryset=qs, request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return qs.none()
        return self.filterset.qs if self.filterset.is_bound else qs



class _Redirect(Exception):
    def __init__(self, url):
        self.url = url



def _commune_writer(user, establishments) -> bool:
    scope = scope_for(user)
    return bool(establishments) and not scope.read_only and all(e.commune_id in scope.commune_ids
                                                                for e in establishments)


class ApplicationObjectMixin(PortalViewMixin):
    """Views under ``de-an/<pk>/``: the application must be visible (404 otherwise)."""

    def get_application(self):
        qs = Application.objects.visible_to(self.request.user).select_related("province", "programme", "call",
                                                                              "activity_type")
        return get_object_or_404(qs, pk=self.kwargs["pk"])


