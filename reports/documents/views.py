"""Pages of the documents: issue a report, the issued documents and their frozen files, the
registers and signers of the organisations an approver leads, and the public verification
page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.security import client_ip, count_hit
from khuyencong.web import PortalViewMixin, error_message

from ..choices import RunStatus
from ..models import ReportRun
from . import issue, registry
from .forms import IssueForm, RegisterForm, SignerForm
from .models import DocType, DocumentRegister, OfficialDocument, RegisterMode, Signer
from .verification import published_facts


def issue_context(user, run) -> dict:
    """What the run's page shows about issuing: the issued document, or the issue form
    for an approver of the issuer."""
    from .report import issuer_of

    document = OfficialDocument.objects.filter(report_run=run).select_related("replaces").first()
    context = {"issued_document": document}
    if document is not None or run.status != RunStatus.SUCCEEDED:
        return context
    organisation = issuer_of(run)
    allowed, _reason = registry.can_manage(user, organisation)
    if not allowed:
        return context
    register = DocumentRegister.objects.filter(organisation=organisation, doc_type=DocType.REPORT).first()
    context.update({"issue_form": IssueForm(organisation=organisation,
                                            clerical=bool(register and register.mode == RegisterMode.CLERICAL)),
                    "issuer": organisation,
                    "issue_symbol": register.symbol if register else registry.report_symbol(organisation)})
    return context


class RunIssueView(PortalViewMixin, View):
    def post(self, request, pk):
        from .report import issuer_of

        run = get_object_or_404(ReportRun.objects.visible_to(request.user), pk=pk)
        form = IssueForm(request.POST, organisation=issuer_of(run), clerical=True)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("reports:run_detail", pk=pk)
        data = form.cleaned_data
        try:
            doc = issue.report_issue(user=request.user, run_id=run.pk,
                                     signer_id=data["signer"].pk if data["signer"] else None,
                                     number=data.get("number"),
                                     replaces_id=data["replaces"].pk if data["replaces"] else None)
        except (PermissionDenied, DomainConflict, ValidationError) as exc:
            error_message(request, exc)
            return redirect("reports:run_detail", pk=pk)
        messages.success(request, _("Đã ban hành báo cáo số %(number)s.") % {"number": doc.number_text})
        return redirect("reports:run_detail", pk=pk)


class DocumentListView(PortalViewMixin, ListView):
    template_name = "reports/documents/list.html"
    paginate_by = 50
    context_object_name = "documents"

    def get_queryset(self):
        return (OfficialDocument.objects.visible_to(self.request.user)
                .select_related("organisation", "replaces", "report_run"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["manages"] = registry.managed_organisations(self.request.user).exists()
        return context


class DocumentDownloadView(PortalViewMixin, View):
    def get(self, request, pk):
        doc = get_object_or_404(OfficialDocument.objects.visible_to(request.user), pk=pk)
        try:
            handle = doc.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=doc.file.name.rsplit("/", 1)[-1],
                            content_type="application/pdf")


class RegistryView(PortalViewMixin, TemplateView):
    """The registers and signers of the organisations the user leads (approvers only)."""

    template_name = "reports/documents/registry.html"

    def organisations(self):
        return list(registry.managed_organisations(self.request.user).order_by("kind", "name"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        blocks = []
        for organisation in self.organisations():
            registers = {r.doc_type: r for r in DocumentRegister.objects.filter(organisation=organisation)}
            rows = []
            for doc_type, label in DocType.choices:
                register = registers.get(doc_type)
                rows.append({"doc_type": doc_type, "label": label, "register": register,
                             "symbol": register.symbol if register else registry.default_symbol(organisation,
                                                                                                doc_type),
                             "mode": register.mode if register else RegisterMode.PORTAL})
            blocks.append({"organisation": organisation, "registers": rows,
                           "signers": Signer.objects.filter(organisation=organisation),
                           "signer_form": SignerForm(prefix=f"s{organisation.pk}")})
        context.update({"blocks": blocks, "modes": RegisterMode.choices,
                        "delegations": SignerForm.base_fields["delegation"].choices})
        if not blocks:
            raise PermissionDenied(_("Chỉ lãnh đạo Sở hoặc lãnh đạo Cục cấu hình sổ văn bản và người ký."))
        return context

    def post(self, request):
        organisation = get_object_or_404(registry.managed_organisations(request.user),
                                         pk=request.POST.get("organisation"))
        what = request.POST.get("what")
        try:
            if what == "register":
                form = RegisterForm(request.POST)
                if not form.is_valid():
                    raise ValidationError({k: list(v) for k, v in form.errors.items()})
                register = registry.register_save(user=request.user, organisation=organisation,
                                                  **form.cleaned_data)
                messages.success(request, _("Đã lưu sổ văn bản %(symbol)s.") % {"symbol": register.symbol})
            elif what == "signer":
                signer = None
                if request.POST.get("signer"):
                    signer = get_object_or_404(Signer, pk=request.POST["signer"], organisation=organisation)
                form = SignerForm(request.POST, prefix=f"s{organisation.pk}" if signer is None else None)
                if not form.is_valid():
                    raise ValidationError({k: list(v) for k, v in form.errors.items()})
                signer = registry.signer_save(user=request.user, organisation=organisation, signer=signer,
                                              **form.cleaned_data)
                messages.success(request, _("Đã lưu người ký %(name)s.") % {"name": signer.full_name})
            else:
                raise Http404
        except (PermissionDenied, ValidationError) as exc:
            error_message(request, exc)
        return redirect("reports:document_registry")


def verify(request, code=None):
    """Public: the published facts of an issued document, found by its code. An unknown
    code says "not found" and nothing else; lookups are counted per address."""
    code = code or request.GET.get("ma", "")
    facts = None
    status = 200
    if code:
        if count_hit(f"kc:verify:{client_ip(request) or '-'}", limit=60, window_seconds=60):
            return render(request, "too_many_requests.html", status=429)
        facts = published_facts(code)
        status = 200 if facts else 404
    return render(request, "reports/documents/verify.html",
                  {"code": code, "facts": facts, "searched": bool(code),
                   "form_action": reverse("document-verify-search")}, status=status)

