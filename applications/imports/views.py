"""Pages of imports: the upload form with the templates, a job's progress and preview
(htmx polls it while the worker reads or writes), confirming, and the downloads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import PortalViewMixin, error_message, wants_partial
from provinces.models import Province

from ..models import ImportJob, ImportKind, RowOutcome
from . import services
from .template import error_rows_workbook, template_workbook, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportIndexView(PortalViewMixin, TemplateView):
    """Upload a file (establishments or past schemes) and see the recent jobs."""

    template_name = "applications/imports/index.html"

    def kinds(self):
        user = self.request.user
        return [(value, label, services.importable_provinces(user, value)) for value, label in ImportKind.choices]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kinds = self.kinds()
        if not any(provinces for _v, _l, provinces in kinds):
            raise PermissionDenied(_("Bạn không được nhập dữ liệu."))
        context["kinds"] = kinds
        context["provinces"] = sorted({p for _v, _l, ps in kinds for p in ps}, key=lambda p: p.sort_key)
        context["jobs"] = (ImportJob.objects.visible_to(self.request.user).select_related("province", "created_by")
                           [:20])
        return context

    def post(self, request, *args, **kwargs):
        kind = request.POST.get("kind", "")
        province = Province.objects.filter(pk=request.POST.get("province") or 0).first() if (
            request.POST.get("province", "").isdigit()) else None
        try:
            if province is None:
                raise ValidationError({"province": _("Chọn tỉnh/thành phố của dữ liệu.")})
            job = services.import_job_create(user=request.user, kind=kind, province=province,
                                             upload=request.FILES.get("file"))
        except (ValidationError, PermissionDenied) as exc:
            error_message(request, exc)
            return self.render_to_response(self.get_context_data(), status=400)
        return redirect("applications:import_detail", job.pk)


class ImportTemplateView(PortalViewMixin, View):
    def get(self, request, kind, province):
        if kind not in ImportKind.values:
            raise Http404
        province = get_object_or_404(Province, pk=province)
        if not services.can_import(request.user, kind=kind, province_id=province.pk)[0]:
            raise Http404
        content = workbook_bytes(template_workbook(kind, province))
        return _xlsx_response(content, f"mau-nhap-{kind}-{province.code:02d}.xlsx")


class JobMixin(PortalViewMixin):
    def get_job(self) -> ImportJob:
        return get_object_or_404(ImportJob.objects.visible_to(self.request.user).select_related("province"),
                                 pk=self.kwargs["pk"])


FILTERS = {"error": RowOutcome.ERROR, "created": RowOutcome.CREATED, "updated": RowOutcome.UPDATED,
           "unchanged": RowOutcome.UNCHANGED}


class ImportDetailView(JobMixin, TemplateView):
    template_name = "applications/imports/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.get_job()
        context["job"] = job
        context["progress"] = services.write_progress(job)
        context["outcomes"] = [(value, label, job.counts.get(value, 0)) for value, label in RowOutcome.choices]
        show = self.request.GET.get("show") or ("error" if job.error_count else "")
        rows = job.rows.order_by("number")
        if show in FILTERS:
            rows = rows.filter(outcome=FILTERS[show])
        page = Paginator(rows, 50).get_page(self.request.GET.get("page"))
        context.update(show=show, page_obj=page, rows=page.object_list,
                       can_confirm=job.can_confirm and services.can_import(self.request.user, kind=job.kind,
                                                                          province_id=job.province_id)[0])
        return context

    def get_template_names(self):
        if wants_partial(self.request):
            return ["applications/imports/_job_status.html"]
        return [self.template_name]


class ImportConfirmView(JobMixin, View):
    def post(self, request, pk):
        job = self.get_job()
        try:
            services.import_job_confirm(user=request.user, job=job)
            messages.success(request, _("Đã xác nhận; đang ghi dữ liệu vào sổ."))
        except (DomainConflict, PermissionDenied) as exc:
            error_message(request, exc)
        return redirect("applications:import_detail", job.pk)


class ImportErrorsView(JobMixin, View):
    def get(self, request, pk):
        job = self.get_job()
        content = workbook_bytes(error_rows_workbook(job))
        return _xlsx_response(content, f"dong-loi-{job.pk}.xlsx")
