"""Pages of the reports app: dashboards (national, regional, provincial), report runs
with a live progress bar and their downloads, and the exports of the filtered lists."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from applications.filters import ApplicationFilterSet, DisbursementFilterSet, EstablishmentFilterSet
from applications.models import Application, Disbursement, Establishment
from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from khuyencong.web import PortalViewMixin, ScopedDetailView, error_message, wants_partial
from programs.choices import FundSource
from provinces.choices import RegionGrouping
from provinces.models import Province, Region

from . import exports, selectors, services
from .choices import CONTENT_TYPES, ReportFormat, ReportKind, ReportScope
from .forms import DashboardFilterForm, ReportRequestForm
from .models import ReportFile, ReportRun


def _dashboard_provinces(user):
    """Provinces whose dashboard the user may open."""
    scope = scope_for(user)
    if scope.national:
        return Province.objects.all()
    return Province.objects.filter(code__in=scope.province_ids)


class ReportsHomeView(PortalViewMixin, TemplateView):
    """Entry point: the dashboards this user may open, the request form and recent runs."""

    template_name = "reports/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.scope
        context["national"] = scope.national
        if scope.national:
            context["groupings"] = [(label, Region.objects.filter(grouping=value))
                                    for value, label in RegionGrouping.choices]
        context["provinces"] = _dashboard_provinces(self.request.user).order_by("sort_key")
        context["runs"] = (ReportRun.objects.visible_to(self.request.user)
                           .select_related("province", "region", "requested_by")[:20])
        context["request_form"] = request_form_for(self.request.user)
        return context


def request_form_for(user, **initial):
    scope = scope_for(user)
    provinces = Province.objects.all() if scope.national else Province.objects.filter(code__in=scope.province_ids)
    form = ReportRequestForm(initial=initial or None, provinces=provinces)
    if not scope.national:
        form.fields["kind"].choices = [(k, v) for k, v in ReportKind.choices if k != ReportKind.REGIONAL_SUMMARY]
        form.fields["scope"].choices = [(ReportScope.PROVINCE, ReportScope.PROVINCE.label)]
    allowed = scope.superuser or (not scope.read_only and (scope.national or scope.province_ids))
    return form if allowed else None


# --- Dashboards -------------------------------------------------------------------------------------------


class DashboardView(PortalViewMixin, TemplateView):
    replica_reads = True  # published aggregates: a replica's few seconds of lag are fine
    template_name = "reports/dashboard.html"

    def check_access(self):
        if not self.scope.national:
            raise Http404

    @property
    def refresh(self) -> bool:
        return self.request.GET.get("refresh") == "1"

    def filters(self, province_ids=None):
        data = self.request.GET.copy()
        if "year" not in data:
            data["year"] = timezone.localdate().year
        form = DashboardFilterForm(data)
        year = fund = None
        if form.is_valid():
            year = form.cleaned_data.get("year")
            fund = form.cleaned_data.get("fund_source") or None
        self.filter_form = form
        return selectors.Filters(year=year, fund_source=fund, province_ids=province_ids)

    def get_context_data(self, **kwargs):
        self.check_access()
        context = super().get_context_data(**kwargs)
        board = self.build()
        context.update(board=board, filter_form=self.filter_form, fund_choices=FundSource.choices,
                       chart_data=chart_data(board), runs=self.related_runs())
        return context

    def related_runs(self):
        return ReportRun.objects.none()


def chart_data(board) -> dict:
    return {
        "status": {
            "labels": [line.label for line in board.by_status],
            "values": [line.m.count for line in board.by_status],
        },
        "area": board.by_area_chart,
        "activity": {
            "labels": [line.key for line in board.by_activity],
            "approved": [line.m.approved for line in board.by_activity],
            "requested": [line.m.requested for line in board.by_activity],
        },
        "fund": {
            "labels": [line.label for line in board.by_fund],
            "values": [line.m.approved for line in board.by_fund],
        },
        "region": {
            "labels": [line.label for line in board.by_region],
            "approved": [line.m.approved for line in board.by_region],
            "disbursed": [line.m.disbursed for line in board.by_region],
        },
    }


class NationalDashboardView(DashboardView):
    def build(self):
        grouping = self.request.GET.get("grouping")
        if grouping not in RegionGrouping.values:
            grouping = RegionGrouping.KHUYEN_CONG_AREA
        self.grouping = grouping
        filters = self.filters()
        self.request_initial = {"kind": ReportKind.REGIONAL_SUMMARY, "scope": ReportScope.NATIONAL,
                                "year": filters.year}
        return selectors.cached_dashboard(user=self.request.user, filters=filters, title=_("Toàn quốc"),
                                          region_grouping=grouping, refresh=self.refresh)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groupings"] = RegionGrouping.choices
        context["grouping"] = self.grouping
        context["request_form"] = request_form_for(self.request.user, **self.request_initial)
        return context

    def related_runs(self):
        return ReportRun.objects.visible_to(self.request.user).filter(scope=ReportScope.NATIONAL)[:10]


class RegionDashboardView(DashboardView):
    def build(self):
        self.region = get_object_or_404(Region, code=self.kwargs["code"])
        ids = tuple(sorted(self.region.provinces.values_list("code", flat=True)))
        filters = self.filters(province_ids=ids)
        self.request_initial = {"kind": ReportKind.REGIONAL_SUMMARY, "scope": ReportScope.REGION,
                                "region": self.region.code, "year": filters.year}
        return selectors.cached_dashboard(user=self.request.user, filters=filters, title=self.region.name,
                                          refresh=self.refresh)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["region"] = self.region
        context["request_form"] = request_form_for(self.request.user, **self.request_initial)
        return context

    def related_runs(self):
        return ReportRun.objects.visible_to(self.request.user).filter(region=self.region)[:10]


class ProvinceDashboardView(DashboardView):
    def check_access(self):
        self.province = get_object_or_404(_dashboard_provinces(self.request.user), code=self.kwargs["code"])

    def build(self):
        filters = self.filters(province_ids=(self.province.code,))
        self.request_initial = {"kind": ReportKind.PROVINCE_ANNUAL, "scope": ReportScope.PROVINCE,
                                "province": self.province.code, "year": filters.year}
        return selectors.cached_dashboard(user=self.request.user, filters=filters, title=self.province.name,
                                          communes_of=self.province.code, refresh=self.refresh)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["province"] = self.province
        form = request_form_for(self.request.user, **self.request_initial)
        allowed, _reason = services.can_request(self.request.user, scope=ReportScope.PROVINCE,
                                                province_id=self.province.code)
        context["request_form"] = form if allowed else None
        return context

    def related_runs(self):
        return ReportRun.objects.visible_to(self.request.user).filter(province=self.province)[:10]


# --- Report runs ------------------------------------------------------------------------------------------


class RunListView(PortalViewMixin, ListView):
    template_name = "reports/run_list.html"
    paginate_by = 50
    context_object_name = "runs"

    def get_queryset(self):
        return ReportRun.objects.visible_to(self.request.user).select_related("province", "region", "requested_by")


class RunRequestView(PortalViewMixin, View):
    def post(self, request):
        scope = self.scope
        provinces = Province.objects.all() if scope.national else Province.objects.filter(code__in=scope.province_ids)
        form = ReportRequestForm(request.POST, provinces=provinces)
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = reverse("reports:index")
        if not form.is_valid():
            messages.error(request, _("Yêu cầu lập báo cáo không hợp lệ: %s") % "; ".join(
                f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()))
            return redirect(back)
        data = form.cleaned_data
        try:
            run = services.report_run_request(
                user=request.user, kind=data["kind"], scope=data["scope"], year=data["year"],
                quarter=data["quarter"], region=data["region"], province=data["province"], formats=data["formats"])
        except (services.ReportQueueUnavailable, services.ReportRateLimited) as exc:
            messages.error(request, exc.message)
            return redirect(back)
        except PermissionDenied as exc:
            error_message(request, exc, denied=_("Bạn không có quyền yêu cầu báo cáo này."))
            return redirect(back)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        if run.reused:
            messages.info(request, _("Báo cáo giống hệt đang được lập: xem tiến độ của lần lập đó."))
        else:
            messages.success(request, _("Đã gửi yêu cầu lập báo cáo."))
        return redirect("reports:run_detail", pk=run.pk)


class RunDetailView(ScopedDetailView):
    model = ReportRun
    template_name = "reports/run_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return super().get_queryset().select_related("province", "region", "requested_by").prefetch_related("files")

    def get_template_names(self):
        if wants_partial(self.request):
            return ["reports/_run_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        allowed, _reason = services.can_request(self.request.user, scope=run.scope, province_id=run.province_id)
        context["can_retry"] = allowed and run.status == "failed"
        from .documents.views import issue_context

        context.update(issue_context(self.request.user, run))
        return context


class RunRetryView(PortalViewMixin, View):
    def post(self, request, pk):
        get_object_or_404(ReportRun.objects.visible_to(request.user), pk=pk)
        try:
            services.report_run_retry(user=request.user, run_id=pk)
            messages.success(request, _("Đã gửi lại yêu cầu lập báo cáo."))
        except services.ReportQueueUnavailable as exc:
            messages.error(request, exc.message)
        except (PermissionDenied, DomainConflict) as exc:
            error_message(request, exc)
        return redirect("reports:run_detail", pk=pk)


def report_file_response(user, pk, fmt):
    if fmt not in ReportFormat.values:
        raise Http404
    run = get_object_or_404(ReportRun.objects.visible_to(user), pk=pk)
    report_file = get_object_or_404(ReportFile, run=run, format=fmt)
    try:
        handle = report_file.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=report_file.file.name.rsplit("/", 1)[-1],
                        content_type=CONTENT_TYPES[fmt])


class RunDownloadView(PortalViewMixin, View):
    def get(self, request, pk, fmt):
        return report_file_response(request.user, pk, fmt)


# --- Exports of the lists ---------------------------------------------------------------------------------


def filter_data(request):
    """The list's query string without empty fields (as the list pages do)."""
    data = request.GET.copy()
    for key in list(data.keys()):
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    return data or None


class ListExportView(PortalViewMixin, View):
    replica_reads = True
    model = None
    filterset_class = None

    def base_queryset(self):
        return self.model.objects.all()

    def get(self, request, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        qs = self.base_queryset().visible_to(request.user)
        if self.filterset_class is not None:
            filterset = self.filterset_class(filter_data(request), queryset=qs, request=request)
            if filterset.is_bound:
                qs = filterset.qs if filterset.is_valid() else qs.none()
        columns, stem, ordering = exports.LIST_EXPORTS[self.model._meta.label]
        return exports.export_response(qs, columns, fmt, stem, ordering)


class ApplicationExportView(ListExportView):
    model = Application
    filterset_class = ApplicationFilterSet


class EstablishmentExportView(ListExportView):
    model = Establishment
    filterset_class = EstablishmentFilterSet


class DisbursementExportView(ListExportView):
    """Payments (tạm ứng, thanh toán), filtered as the API's payments list
    (``DisbursementFilterSet``: province, programme, year, fund source, kind, dates)."""

    model = Disbursement
    filterset_class = DisbursementFilterSet
