"""Pages of the dossier: the list of applications, the application form (create, edit) and
its attachments (upload, download, remove)."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import PortalViewMixin, error_message
from programs.models import ActivityType, Programme

from .. import permissions, selectors, services, workflow
from ..choices import Status
from ..filters import ApplicationFilterSet
from ..forms import ApplicationForm, AttachmentForm, CostLineFormSet, add_service_errors, posted_version
from ..models import Application, CostLine
from ..permissions import writable_provinces
from .base import ApplicationObjectMixin, FilterFormListView, _Redirect

# --- Applications: list ----------------------------------------------------------------------------


class ApplicationListView(FilterFormListView):
    model = Application
    filterset_class = ApplicationFilterSet
    template_name = "applications/application_list.html"
    partial_template_name = "applications/_application_table.html"
    paginate_by = 25

    def get_base_queryset(self):
        return Application.objects.select_related("province", "activity_type", "programme")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        counts = selectors.duplicate_counts(page)
        for application in page:
            application.duplicate_count = counts.get(application.pk, 0)
        context["applications"] = page
        context["status_choices"] = Status.choices
        context["programmes"] = Programme.objects.visible_to(self.request.user).filter(is_active=True)
        context["activity_types"] = ActivityType.objects.all()
        context["can_create"] = writable_provinces(self.request.user).exists()
        return context


# --- Applications: the form ----------------------------------------------------------------------


class ApplicationFormView(PortalViewMixin, TemplateView):
    template_name = "applications/application_form.html"
    object = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        return None

    def get_province(self):
        provinces = list(writable_provinces(self.request.user))
        if not provinces:
            raise PermissionDenied(_("Bạn không có quyền lập đề án."))
        wanted = self.request.POST.get("province") or self.request.GET.get("province")
        for province in provinces:
            if str(province.pk) == str(wanted):
                return province
        return provinces[0]

    def get_forms(self):
        province = self.object.province if self.object else self.get_province()
        if self.request.method == "POST":
            form = ApplicationForm(self.request.POST, user=self.request.user, province=province)
            formset = CostLineFormSet(self.request.POST, prefix="lines")
        else:
            form = ApplicationForm(initial=self.get_initial(), user=self.request.user, province=province)
            initial = self.get_line_initial()
            formset = CostLineFormSet(initial=initial or None, prefix="lines")
            formset.extra = 0 if initial else 1  # a blank row to start a new dossier
        return form, formset

    def get_initial(self):
        return {}

    def get_line_initial(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, formset = kwargs["form"], kwargs["formset"]
        rows = []
        total = 0
        for line_form in formset.forms:
            amount = None
            if line_form.is_bound and line_form.is_valid() and line_form.cleaned_data:
                cleaned = line_form.cleaned_data
                amount = CostLine.compute_amount(cleaned["quantity"], cleaned["unit_cost"])
            elif not line_form.is_bound and line_form.initial.get("quantity") is not None:
                amount = CostLine.compute_amount(line_form.initial["quantity"], line_form.initial["unit_cost"])
            deleted = line_form.is_bound and formset.can_delete and formset._should_delete_form(line_form)
            if amount is not None and not deleted:
                total += amount
            rows.append((line_form, amount))
        context.update(line_rows=rows, line_total=total, province=form.province, object=self.object)
        if self.object is None:
            provinces = list(writable_provinces(self.request.user))
            context["provinces"] = provinces if len(provinces) > 1 else []
        return context

    def get(self, request, *args, **kwargs):
        form, formset = self.get_forms()
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def post(self, request, *args, **kwargs):
        form, formset = self.get_forms()
        form_ok, formset_ok = form.is_valid(), formset.is_valid()
        if form_ok and formset_ok:
            try:
                application = self.save(form, formset)
                return redirect("applications:application_detail", application.pk)
            except ValidationError as exc:
                loose = add_service_errors(form, exc, rows={"cost_lines": formset.line_forms()})
                if loose:
                    messages.error(request, _("Chưa lưu được đề án: %(e)s") % {"e": " ".join(loose)})
            except DomainConflict as exc:
                error_message(request, exc)
        return self.render_to_response(self.get_context_data(form=form, formset=formset), status=400)


class ApplicationCreateView(ApplicationFormView):
    def save(self, form, formset):
        application = services.application_create(
            user=self.request.user, province=form.province, data=form.service_data(),
            establishments=form.cleaned_data["establishments"], cost_lines=formset.lines())
        messages.success(self.request, _("Đã tạo đề án %(c)s (nháp). Tải lên tài liệu rồi nộp đề án.")
                         % {"c": application.code})
        return application

    def get_initial(self):
        initial = {}
        est = self.request.GET.get("establishment")
        if est and est.isdigit():
            initial["establishments"] = [int(est)]
        # "Draft in this call" on a programme page.
        for name in ("programme", "call"):
            value = self.request.GET.get(name)
            if value and value.isdigit():
                initial[name] = int(value)
        return initial


class ApplicationUpdateView(ApplicationFormView):
    def get_object(self):
        application = get_object_or_404(Application.objects.visible_to(self.request.user)
                                        .select_related("province"), pk=self.kwargs["pk"])
        if not permissions.write_application(self.request.user, application.province_id,
                                             list(application.establishments.all())):
            raise PermissionDenied(_("Bạn không có quyền sửa đề án này."))
        if not workflow.STATES[application.status].editable:
            messages.error(self.request, _("Hồ sơ đã nộp không sửa được; cần được trả lại để bổ sung."))
            raise _Redirect(reverse("applications:application_detail", args=[application.pk]))
        return application

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _Redirect as r:
            return HttpResponseRedirect(r.url)

    def get_initial(self):
        a = self.object
        initial = {name: getattr(a, name) for name in (
            "title", "objectives", "start_date", "end_date", "requested_support", "counterpart_funds",
            "expected_jobs", "expected_trainees", "expected_capacity")}
        initial.update(programme=a.programme_id, call=a.call_id, activity_type=a.activity_type_id,
                       implementing_organisation=a.implementing_organisation_id,
                       establishments=list(a.establishments.values_list("pk", flat=True)))
        return initial

    def get_line_initial(self):
        return [{"item": line.item, "quantity": line.quantity, "unit": line.unit, "unit_cost": line.unit_cost}
                for line in self.object.cost_lines.all()]

    def save(self, form, formset):
        application = services.application_update(
            user=self.request.user, application_id=self.object.pk, data=form.service_data(),
            establishments=form.cleaned_data["establishments"], cost_lines=formset.lines(),
            expected_version=posted_version(self.request.POST))
        messages.success(self.request, _("Đã lưu đề án %(c)s.") % {"c": application.code})
        return application


# --- Attachments --------------------------------------------------------------------------------------


class AttachmentUploadView(ApplicationObjectMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = AttachmentForm(request.POST, request.FILES)
        url = reverse("applications:application_detail", args=[application.pk]) + "#tai-lieu"
        if not form.is_valid():
            errors = [f"{form.fields[k].label if k in form.fields else ''}: {' '.join(v)}".lstrip(": ")
                      for k, v in form.errors.items()]
            messages.error(request, _("Chưa tải lên được: %(e)s") % {"e": " ".join(errors)})
            return HttpResponseRedirect(url)
        try:
            attachment = services.attachment_add(
                user=request.user,
                application_id=application.pk,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
                description=form.cleaned_data["description"] or "",
            )
        except ValidationError as exc:
            messages.error(request, _("Chưa tải lên được: %(e)s") % {"e": " ".join(exc.messages)})
        except DomainConflict as exc:
            error_message(request, exc)
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Đã tải lên “%(n)s” (%(k)s).")
                             % {"n": attachment.original_name, "k": attachment.get_kind_display()})
        return HttpResponseRedirect(url)


class AttachmentMixin(ApplicationObjectMixin):
    def get_attachment(self):
        # Scoped through the application (itself looked up with ``visible_to``): whoever is
        # admitted to the application is admitted to its files, commune officers included.
        application = self.get_application()
        attachment = get_object_or_404(application.attachments.all(), pk=self.kwargs["attachment_pk"])
        return application, attachment


class AttachmentDownloadView(AttachmentMixin, TemplateView):
    """Streams the private file; the storage has no public URL."""

    def get(self, request, *args, **kwargs):
        application, attachment = self.get_attachment()
        permissions.require(permissions.open_dossier(request.user, application))
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("Tệp không còn trên máy chủ.")) from exc
        return FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)


class AttachmentRemoveView(AttachmentMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        application, attachment = self.get_attachment()
        try:
            services.attachment_remove(user=request.user, attachment_id=attachment.pk)
        except DomainConflict as exc:
            error_message(request, exc)
        else:
            messages.success(request, _("Đã gỡ “%(n)s” khỏi hồ sơ.") % {"n": attachment.original_name})
        return HttpResponseRedirect(reverse("applications:application_detail", args=[application.pk]) + "#tai-lieu")


