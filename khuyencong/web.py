"""Base classes of the HTML views: login, scoping, filtering and htmx partials in one place."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from .errors import DomainConflict
from .scoping import scope_for


def error_message(request, exc: Exception, *, denied: str = "") -> None:
    """The one way a service exception becomes a message on the page: a conflict lists
    every reason, a refusal says why (``denied`` when the service gave no reason), invalid
    input lists its messages. What the page answers (status, form, redirect) is the view's."""
    if isinstance(exc, DomainConflict):
        if exc.reasons:
            # Escaped by format_html; the message storage keeps it marked safe.
            messages.error(request, format_html('{}<ul class="mb-0">{}</ul>', exc.message,
                                                format_html_join("", "<li>{}</li>", ((r,) for r in exc.reasons))))
        else:
            messages.error(request, exc.message)
    elif isinstance(exc, PermissionDenied):
        messages.error(request, str(exc) or denied or _("Bạn không có quyền thực hiện thao tác này."))
    elif isinstance(exc, ValidationError):
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms)
                       if hasattr(exc, "error_dict") else " ".join(exc.messages))
    else:
        raise TypeError(f"not a service exception: {exc!r}")


def wants_partial(request) -> bool:
    """An htmx request for a fragment. htmx also sends ``HX-Request`` when it restores
    a pushed URL after a history-cache miss; that request needs the whole page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


class PortalViewMixin(LoginRequiredMixin):
    """A signed-in user with at least one role."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and scope_for(request.user).is_empty:
            raise PermissionDenied
        response = super().dispatch(request, *args, **kwargs)
        # The same URL answers with a page or a fragment: caches (and the browser's
        # back button) must not serve one for the other.
        patch_vary_headers(response, ["HX-Request"])
        return response

    @property
    def scope(self):
        return scope_for(self.request.user)


class ScopedListView(PortalViewMixin, ListView):
    """A list filtered by the model's FilterSet, scoped by ``visible_to``; an htmx
    request gets only the ``partial_template_name`` (the table)."""

    filterset_class = None
    paginate_by = 50
    partial_template_name = None

    def get_base_queryset(self):
        return self.model.objects.all()

    def get_queryset(self):
        qs = self.get_base_queryset().visible_to(self.request.user)
        self.filterset = self.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return qs.none()
        return self.filterset.qs if self.filterset.is_bound else qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        return context

    def get_template_names(self):
        if wants_partial(self.request) and self.partial_template_name:
            return [self.partial_template_name]
        return super().get_template_names()


class ScopedDetailView(PortalViewMixin, DetailView):
    """A detail page; an object outside the user's scope is a 404."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)
