"""Pages of the notifications app: the bell's count (polled by htmx), the list with filters,
opening a notice (marks it read, goes to the dossier), marking read, watching a dossier and
the settings. Every read goes through ``visible_to``; writes through ``services``."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from applications.models import Application
from khuyencong.web import PortalViewMixin, ScopedListView

from . import services
from .filters import NotificationFilterSet
from .forms import PreferenceForm
from .models import Notification


def unread_count(user) -> int:
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()


@method_decorator(never_cache, name="dispatch")
class BellView(PortalViewMixin, View):
    """The bell with the unread count (the fragment htmx swaps in every few seconds)."""

    def get(self, request):
        return render(request, "notifications/_bell.html", {"unread": unread_count(request.user),
                                                            "poll": settings.KC_NOTIFICATION_POLL_SECONDS})


class NotificationListView(ScopedListView):
    model = Notification
    filterset_class = NotificationFilterSet
    template_name = "notifications/notification_list.html"
    partial_template_name = "notifications/_notification_table.html"
    paginate_by = 30

    def get_base_queryset(self):
        return Notification.objects.select_related("application", "actor", "event")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread"] = unread_count(self.request.user)
        return context


class NotificationOpenView(PortalViewMixin, View):
    """Marks the notice read and goes to its dossier."""

    def get(self, request, pk):
        notice = Notification.objects.visible_to(request.user).filter(pk=pk).first()
        if notice is None:
            raise Http404
        services.notifications_mark_read(user=request.user, ids=[pk])
        return redirect("applications:application_detail", pk=notice.application_id)


def _back(request, default):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


class MarkReadView(PortalViewMixin, View):
    """POST ``ids`` (or nothing: every notice) to mark them read."""

    def post(self, request):
        try:
            ids = services.validate_ids(request.POST.getlist("ids")) if "all" not in request.POST else None
        except Exception:  # noqa: BLE001 - bad ids change nothing
            messages.error(request, _("Danh sách mã thông báo không hợp lệ."))
            return _back(request, reverse("notifications:list"))
        count = services.notifications_mark_read(user=request.user, ids=ids)
        messages.success(request, _("Đã đánh dấu %(n)s thông báo là đã đọc.") % {"n": count})
        return _back(request, reverse("notifications:list"))


class WatchView(PortalViewMixin, View):
    """POST ``watch=1`` or ``watch=0`` for a dossier the user can see (404 otherwise)."""

    def post(self, request, pk):
        watching = request.POST.get("watch") == "1"
        try:
            services.watch_set(user=request.user, application_id=pk, watching=watching)
        except Application.DoesNotExist:
            raise Http404 from None
        messages.success(request, _("Đã theo dõi đề án: bạn sẽ nhận thông báo về mọi bước của đề án.") if watching
                         else _("Đã bỏ theo dõi đề án."))
        return redirect("applications:application_detail", pk=pk)


class PreferenceView(PortalViewMixin, View):
    template_name = "notifications/preferences.html"

    def get(self, request):
        pref = services.preference_for(request.user)
        form = PreferenceForm(initial={"email_mode": pref.email_mode, "language": pref.language})
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = PreferenceForm(request.POST)
        if form.is_valid():
            services.preference_set(user=request.user, **form.cleaned_data)
            messages.success(request, _("Đã lưu cài đặt thông báo."))
            return redirect("notifications:preferences")
        return render(request, self.template_name, {"form": form}, status=400)
