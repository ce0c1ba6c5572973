"""Records after the decision (contract, payment, progress report, inspection, change
request) and the implementation sections of the application page."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import error_message

from .. import permissions, selectors, services, workflow
from ..choices import ChangeStatus
from ..forms import (
    AcceptanceForm,
    ChangeDecisionForm,
    ChangeRequestForm,
    CompletionForm,
    ContractForm,
    DisbursementForm,
    InspectionForm,
    ProgressReportForm,
    SettlementForm,
    StartImplementationForm,
    add_service_errors,
)
from ..models import Acceptance, Application, ChangeRequest, Settlement
from ..workflow import Record
from .base import ApplicationObjectMixin

# --- After the decision: records of implementation and the steps that need them ----------------

@dataclass(frozen=True)
class RecordPage:
    """A record added from the application page: its form, the record of the workflow
    (whose per-state table says when it may be added) and the service."""

    title: str
    form_class: type
    record: str
    service: str  # name of the function in ``services``
    anchor: str
    saved: str


RECORD_PAGES = {
    "hop-dong": RecordPage(_lazy("Ghi nhận hợp đồng"), ContractForm, Record.CONTRACT,
                           "contract_add", "hop-dong", _lazy("Đã ghi nhận hợp đồng.")),
    # The page records advances and payments; it opens where payments may be recorded.
    "thanh-toan": RecordPage(_lazy("Ghi khoản tạm ứng / thanh toán"), DisbursementForm, Record.PAYMENT,
                             "disbursement_add", "thanh-toan", _lazy("Đã ghi khoản chi.")),
    "tien-do": RecordPage(_lazy("Báo cáo tiến độ"), ProgressReportForm, Record.PROGRESS_REPORT,
                          "progress_report_add", "tien-do", _lazy("Đã ghi báo cáo tiến độ.")),
    "kiem-tra": RecordPage(_lazy("Kiểm tra thực địa"), InspectionForm, Record.INSPECTION, "inspection_add",
                           "kiem-tra", _lazy("Đã ghi kết quả kiểm tra.")),
    "dieu-chinh": RecordPage(_lazy("Đề nghị điều chỉnh"), ChangeRequestForm, Record.CHANGE_REQUEST,
                             "change_request_create", "dieu-chinh", _lazy("Đã gửi đề nghị điều chỉnh.")),
}

# The form and service of each record a step makes first (the workflow's ``record_first``):
# the page records it, then performs the step, in one transaction.
STEP_FORMS = {
    Record.CONTRACT: (StartImplementationForm, "implementation_start"),
    Record.COMPLETION_REPORT: (CompletionForm, "application_complete"),
    Record.ACCEPTANCE: (AcceptanceForm, "acceptance_record"),
    Record.SETTLEMENT: (SettlementForm, "application_settle"),
}


def implementation_context(application, user) -> dict:
    """The sections "Hợp đồng" … "Quyết toán" of an approved (or later) application."""
    if not workflow.STATES[application.status].committed and application.approved_amount is None:
        return {"show_implementation": False}
    can_record = bool(permissions.record(user, application))
    disbursements = list(application.disbursements.order_by("paid_on", "pk"))
    paid = sum(d.amount for d in disbursements)
    approved = application.approved_amount or 0
    change_requests = list(application.change_requests.select_related("requested_by", "decided_by"))
    contracts = list(application.contracts.select_related("beneficiary", "implementing_organisation"))
    progress_reports = list(application.progress_reports.order_by("-period_end", "-pk"))
    for contract in contracts:  # the schedule as the page shows it: what, how much, due yet
        contract.schedule_rows = [
            (selectors.instalment_label(i), selectors.instalment_amount(i, contract.value),
             selectors.instalment_due(i, application, len(progress_reports)))
            for i in contract.payment_schedule]
    # The same rule the disbursement service applies (selectors.payable_now).
    payable = selectors.payable_now(application, disbursements=disbursements, contracts=contracts,
                                    progress_reports=progress_reports)
    context = {
        "show_implementation": True,
        "contracts": contracts,
        "disbursements": disbursements,
        "disbursed_total": paid,
        "disbursable": max(approved - paid, 0),
        "payable": payable,
        "first_advance_limit": selectors.first_advance_limit(application, disbursements, progress_reports),
        "progress_reports": progress_reports,
        "inspections": list(application.inspections.order_by("-inspected_on", "-pk")),
        "change_requests": change_requests,
        "pending_changes": sum(1 for c in change_requests if c.status == ChangeStatus.PENDING),
        "can_decide_changes": (workflow.may_record(application.status, Record.CHANGE_REQUEST)
                               and bool(permissions.decide(user, application))),
        "decision_form": ChangeDecisionForm(),
        "acceptance": Acceptance.objects.filter(application=application).select_related("minutes").first(),
        "settlement": Settlement.objects.filter(application=application).select_related("final_payment").first(),
        "record_links": {slug.replace("-", "_"): can_record and workflow.may_record(application.status, page.record)
                         for slug, page in RECORD_PAGES.items()},
    }
    if context["settlement"] is not None:
        context["released"] = approved - context["settlement"].settled_amount
        # Settled: what was not spent went back to the budget; nothing remains to be paid.
        context["disbursable"] = 0
        context["payable"] = None
    return context


class RecordView(ApplicationObjectMixin, TemplateView):
    """GET: the form of one record (contract, payment, progress report, inspection, change
    request). POST: the service; bad input is shown on the form, nothing is saved."""

    template_name = "applications/record_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.page = RECORD_PAGES.get(kwargs["record"])
        if self.page is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, application, form, status=200):
        context = self.get_context_data(application=application, form=form, page=self.page,
                                        **implementation_context(application, self.request.user))
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        permissions.require(permissions.record(request.user, application))
        return self.render_form(application, self.page.form_class(application=application))

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = self.page.form_class(request.POST, request.FILES, application=application)
        if not form.is_valid():
            return self.render_form(application, form, status=400)
        service = getattr(services, self.page.service)
        try:
            service(user=request.user, application_id=application.pk, **form.service_arguments())
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_form(application, form, status=400)
        except DomainConflict as exc:
            error_message(request, exc)
            return self.render_form(application, form, status=409)
        except PermissionDenied as exc:
            error_message(request, exc)
            return self.render_form(application, form, status=403)
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        messages.success(request, str(self.page.saved))
        return HttpResponseRedirect(reverse("applications:application_detail", args=[application.pk])
                                    + f"#{self.page.anchor}")


class ChangeDecisionView(ApplicationObjectMixin, TemplateView):
    """POST: approve (``approve=1``) or refuse a pending change request."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        change = get_object_or_404(ChangeRequest, pk=kwargs["change_pk"], application=application)
        form = ChangeDecisionForm(request.POST)
        form.is_valid()
        approve = request.POST.get("approve") == "1"
        url = reverse("applications:application_detail", args=[application.pk]) + "#dieu-chinh"
        try:
            services.change_request_decide(user=request.user, change_request_id=change.pk, approve=approve,
                                           note=form.cleaned_data.get("note", ""))
        except (ValidationError, DomainConflict, PermissionDenied) as exc:
            error_message(request, exc)
        except ChangeRequest.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Đã chấp thuận điều chỉnh.") if approve
                             else _("Đã không chấp thuận điều chỉnh."))
        return HttpResponseRedirect(url)


