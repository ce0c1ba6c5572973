"""What the pages of the applications app share: the error message of a conflict, write
scope in the page, the filter-form list, the application lookup (404 outside scope)."""


from django.shortcuts import get_object_or_404

from khuyencong.web import PortalViewMixin, ScopedListView

from ..models import Application

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


class ApplicationObjectMixin(PortalViewMixin):
    """Views under ``de-an/<pk>/``: the application must be visible (404 otherwise)."""

    def get_application(self):
        qs = Application.objects.visible_to(self.request.user).select_related("province", "programme", "call",
                                                                              "activity_type")
        return get_object_or_404(qs, pk=self.kwargs["pk"])


