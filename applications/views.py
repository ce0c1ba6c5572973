"""The officer workspace: tasks, establishments, applications (dossier, attachments,
actions) and the council member's scoring page. Views parse input and call the
services; every read goes through ``visible_to``."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.scoping import scope_for
from khuyencong.web import PortalViewMixin, ScopedDetailView, ScopedListView, wants_partial
from programs.models import ActivityType, AppraisalCriterion, Programme
from programs.selectors import LEDGER_MONEY, budget_position, ledger, support_rule_for
from provinces.choices import Role
from provinces.models import Commune, Province

from . import selectors, services, workflow
from .choices import EDITABLE_STATES, ChangeStatus, CouncilLevel, DisbursementKind, Status
from .filters import ApplicationFilterSet, EstablishmentFilterSet
from .forms import (
    AcceptanceForm,
    ApplicationForm,
    AttachmentForm,
    BudgetFilterForm,
    ChangeDecisionForm,
    ChangeRequestForm,
    CompletionForm,
    ConflictForm,
    ContractForm,
    CostLineFormSet,
    DisbursementForm,
    EstablishmentForm,
    InspectionForm,
    ProgressReportForm,
    ScoreForm,
    SettlementForm,
    StartImplementationForm,
    TransitionForm,
    add_service_errors,
)
from .models import (
    Acceptance,
    Application,
    AppraisalCouncil,
    Attachment,
    ChangeRequest,
    ConflictDeclaration,
    CostLine,
    CouncilMember,
    Establishment,
    Score,
    Settlement,
)

APPRAISAL_STATES = frozenset({Status.UNDER_APPRAISAL, Status.UNDER_NATIONAL_APPRAISAL})


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
    ids = {pid for pid, roles in scope.roles_by_province.items() if pid and roles & set(services.WRITER_ROLES)}
    ids |= set(scope.commune_province_ids)
    return Province.objects.filter(code__in=ids)


def can_write_in(user, province_id, commune_id=None) -> bool:
    return services._can_write_in(user, province_id, commune_id)


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


# --- Tasks ---------------------------------------------------------------------------------------


@dataclass
class Task:
    application: Application
    actions: list = field(default_factory=list)  # Transition objects
    council: str = ""  # "declare" | "score"

    @property
    def url(self):
        if self.council:
            return reverse("applications:scoring", args=[self.application.pk])
        return reverse("applications:application_detail", args=[self.application.pk])


def tasks_for(user) -> list[Task]:
    """What the user can move on now, and the appraisals waiting for their declaration or scores."""
    scope = scope_for(user)
    tasks: dict = {}
    if not scope.read_only:
        statuses = set()
        for action, transition in workflow.TRANSITIONS.items():
            if action == "cancel":
                continue
            for step in transition.steps:
                if scope.superuser or scope.roles & step.roles:
                    statuses |= step.sources
        candidates = (Application.objects.visible_to(user).filter(status__in=statuses)
                      .select_related("province", "activity_type").order_by("status_changed_at"))
        for application in candidates[:500]:
            actions = [workflow.TRANSITIONS[a] for a in workflow.allowed_actions(scope, application) if a != "cancel"]
            if actions:
                tasks[application.pk] = Task(application=application, actions=actions)
    for application, kind in council_tasks(user):
        task = tasks.setdefault(application.pk, Task(application=application))
        task.council = kind
    return sorted(tasks.values(), key=lambda t: (not t.application.is_overdue, t.application.status_changed_at))


def council_tasks(user):
    """(application, "declare" | "score") for the appraisals where the user sits on the
    council (``selectors.council_for``: the application's own council, else its call's)
    and has not declared, or declared no conflict and not scored every criterion.
    A fixed number of queries however many appraisals are open."""
    if not CouncilMember.objects.filter(user=user).exists():
        return []
    appraised = list(
        Application.objects.visible_to(user).filter(status__in=APPRAISAL_STATES)
        .filter(Q(councils__members__user=user) | Q(call__councils__members__user=user)).distinct()
        .select_related("province", "activity_type").order_by("status_changed_at")[:500])
    if not appraised:
        return []
    ids = [a.pk for a in appraised]
    call_ids = {a.call_id for a in appraised if a.call_id}
    councils = list(AppraisalCouncil.objects.filter(Q(application_id__in=ids)
                                                    | Q(call_id__in=call_ids, application__isnull=True))
                    .order_by("-created_at", "-pk").values("pk", "level", "application_id", "call_id"))
    my_councils = set(CouncilMember.objects.filter(user=user, council_id__in=[c["pk"] for c in councils])
                      .values_list("council_id", flat=True))
    declared = {(d["application_id"], d["level"]): d["has_conflict"] for d in ConflictDeclaration.objects.filter(
        user=user, application_id__in=ids).values("application_id", "level", "has_conflict")}
    scored = {(r["application_id"], r["level"]): r["n"] for r in Score.objects.filter(
        user=user, application_id__in=ids).values("application_id", "level").annotate(n=Count("criterion", distinct=True))}
    criteria = dict(AppraisalCriterion.objects.filter(call_id__in=call_ids).values("call_id")
                    .annotate(n=Count("pk")).values_list("call_id", "n"))
    result = []
    for application in appraised:
        level = application.appraisal_level
        council = next((c for c in councils if c["application_id"] == application.pk and c["level"] == level), None)
        if council is None and application.call_id:
            council = next((c for c in councils if c["application_id"] is None and c["call_id"] == application.call_id
                            and c["level"] == level), None)
        if council is None or council["pk"] not in my_councils:
            continue
        key = (application.pk, level)
        if key not in declared:
            result.append((application, "declare"))
        elif not declared[key] and scored.get(key, 0) < criteria.get(application.call_id, 0):
            result.append((application, "score"))
    return result


class TaskListView(PortalViewMixin, TemplateView):
    template_name = "applications/task_list.html"

    def get_template_names(self):
        if wants_partial(self.request) and self.request.GET.get("panel"):
            return ["applications/_task_panel.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tasks = tasks_for(self.request.user)
        context["tasks"] = tasks
        context["overdue_count"] = sum(1 for t in tasks if t.application.is_overdue)
        return context


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


# --- Establishments --------------------------------------------------------------------------------


class EstablishmentListView(FilterFormListView):
    model = Establishment
    filterset_class = EstablishmentFilterSet
    template_name = "applications/establishment_list.html"
    partial_template_name = "applications/_establishment_table.html"
    paginate_by = 25

    def get_base_queryset(self):
        return Establishment.objects.select_related("province", "commune")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = writable_provinces(self.request.user).exists()
        scope = scope_for(self.request.user)
        if len(scope.province_ids) == 1 and not scope.national:
            context["communes"] = Commune.objects.filter(province_id__in=scope.province_ids).order_by("sort_key")
        return context


class EstablishmentDetailView(ScopedDetailView):
    model = Establishment
    template_name = "applications/establishment_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("province", "commune", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        est = self.object
        context["location_problem"] = selectors.location_problem(est)
        context["history"] = selectors.establishment_history(est, self.request.user)
        context["can_edit"] = can_write_in(self.request.user, est.province_id, est.commune_id)
        return context


class EstablishmentFormView(PortalViewMixin, TemplateView):
    template_name = "applications/establishment_form.html"
    object = None

    def get_object(self):
        return None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_provinces(self):
        provinces = writable_provinces(self.request.user)
        if self.object is not None:
            provinces = Province.objects.filter(pk=self.object.province_id)
        return list(provinces)

    def get_form(self):
        provinces = self.get_provinces()
        if not provinces:
            raise PermissionDenied(_("Bạn không có quyền ghi dữ liệu cơ sở."))
        data = self.request.POST if self.request.method == "POST" else None
        form = EstablishmentForm(data, instance=self.object, provinces=provinces)
        scope = scope_for(self.request.user)
        if scope.commune_ids and not scope.province_ids and not scope.superuser:
            field = form.fields["commune"]
            field.queryset = field.queryset.filter(code__in=scope.commune_ids)
        return form

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                if self.object is None:
                    est = services.establishment_create(user=request.user, data=form.service_data())
                    messages.success(request, _("Đã thêm cơ sở “%(n)s”.") % {"n": est.name})
                else:
                    est = services.establishment_update(user=request.user, establishment=self.object,
                                                        data=form.service_data())
                    messages.success(request, _("Đã lưu cơ sở “%(n)s”.") % {"n": est.name})
                return redirect("applications:establishment_detail", est.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EstablishmentCreateView(EstablishmentFormView):
    pass


class EstablishmentUpdateView(EstablishmentFormView):
    def get_object(self):
        obj = get_object_or_404(Establishment.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        if not can_write_in(self.request.user, obj.province_id, obj.commune_id):
            raise PermissionDenied(_("Bạn không có quyền sửa cơ sở này."))
        return obj


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
                amount = CostLine.compute_amount(line_form.cleaned_data["quantity"], line_form.cleaned_data["unit_cost"])
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
                loose = add_service_errors(form, exc)
                if loose:
                    messages.error(request, _("Chưa lưu được đề án: %(e)s") % {"e": " ".join(loose)})
            except DomainConflict as exc:
                conflict_message(request, exc)
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
        return initial


class ApplicationUpdateView(ApplicationFormView):
    def get_object(self):
        application = get_object_or_404(Application.objects.visible_to(self.request.user)
                                        .select_related("province"), pk=self.kwargs["pk"])
        if not (can_write_in(self.request.user, application.province_id)
                or _commune_writer(self.request.user, list(application.establishments.all()))):
            raise PermissionDenied(_("Bạn không có quyền sửa đề án này."))
        if application.status not in EDITABLE_STATES:
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
            expected_version=self.request.POST.get("version") or None)
        messages.success(self.request, _("Đã lưu đề án %(c)s.") % {"c": application.code})
        return application


class _Redirect(Exception):
    def __init__(self, url):
        self.url = url


# --- Applications: the page --------------------------------------------------------------------------


@dataclass
class ActionButton:
    transition: workflow.Transition
    enabled: bool
    reasons: list
    needs_input: bool

    @property
    def action(self):
        return self.transition.action


def action_buttons(application, user, *, eligibility=None, sheet=None) -> list[ActionButton]:
    """The actions of the table that apply in the current state, each enabled or with why not."""
    scope = scope_for(user)
    allowed = set(workflow.allowed_actions(scope, application))
    buttons = []
    for action, transition in workflow.TRANSITIONS.items():
        if transition.step_for(application.status, application.fund_source) is None:
            continue
        reasons = []
        if action not in allowed:
            if action == "cancel":
                continue  # not offered to those who cannot cancel: it is not a step they wait for
            reasons.append(_("Vai trò của bạn không được thực hiện bước này."))
        elif action == "submit" and eligibility:
            reasons.extend(eligibility)
        elif action in ("approve", "endorse") and sheet is not None and not sheet.passed:
            reasons.extend(sheet.problems())
        elif "council_ready" in transition.guards:
            reasons.extend(services.GUARDS["council_ready"](application, user, {}))
        needs_input = (transition.requires_reason or transition.requires_decision or transition.requires_amount
                       or action in STEP_FORMS)
        buttons.append(ActionButton(transition=transition, enabled=not reasons, reasons=reasons,
                                    needs_input=needs_input))
    return buttons


class ApplicationDetailView(ScopedDetailView):
    model = Application
    template_name = "applications/application_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related(
            "province", "programme", "call", "activity_type", "implementing_organisation", "created_by")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if dossier_closed_for(self.object, request.user):
            return redirect("applications:scoring", self.object.pk)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(application_context(self.object, self.request.user))
        context["attachment_form"] = AttachmentForm(only_other=context["can_add_other"])
        return context


def application_context(application, user) -> dict:
    context = {
        "application": application,
        "establishments": list(application.establishments.select_related("commune", "province")),
        "cost_lines": list(application.cost_lines.all()),
        "attachments": list(application.attachments.filter(removed_at__isnull=True).select_related("uploaded_by")),
        "removed_attachments": list(application.attachments.filter(removed_at__isnull=False)),
        "events": _labelled(application.events.select_related("actor").order_by("-created_at", "-pk")),
        "editable": application.status in EDITABLE_STATES and services._can_write_in(user, application.province_id),
    }
    context["can_edit"] = context["editable"] or (
        application.status in EDITABLE_STATES and _commune_writer(user, context["establishments"]))
    # After submission only "other" documents may be added (minutes, corrections…).
    context["can_add_other"] = (not context["can_edit"] and application.status not in workflow.TERMINAL_STATES
                                and services._can_write_in(user, application.province_id))
    eligibility = None
    if application.status in EDITABLE_STATES:
        eligibility = selectors.eligibility_problems(application)
        context["eligibility_problems"] = eligibility
        context["eligibility_checked"] = True
    if application.status != Status.DRAFT or application.created_by_id != user.pk:
        context["duplicates"] = list(selectors.duplicates_for(application))
        context["show_duplicates"] = True
    # Score sheets of every appraisal the dossier has been through, the current one first.
    started = {e.action for e in context["events"]}
    levels = []
    if application.appraisal_level:
        levels.append(application.appraisal_level)
    if "start_national_appraisal" in started and CouncilLevel.NATIONAL not in levels:
        levels.append(CouncilLevel.NATIONAL)
    if "start_appraisal" in started and CouncilLevel.PROVINCIAL not in levels:
        levels.append(CouncilLevel.PROVINCIAL)
    sheet = None
    context["sheets"] = []
    for level in levels:
        level_sheet = selectors.score_sheet(application, level)
        if level == application.appraisal_level:
            sheet = level_sheet
        context["sheets"].append({
            "level": level, "label": CouncilLevel(level).label, "sheet": level_sheet,
            "rows": [(m, [m.scores.get(c.pk) for c in level_sheet.criteria]) for m in level_sheet.members]})
    if application.appraisal_level and selectors.council_seat(application, user, application.appraisal_level):
        context["my_seat"] = True
    context["actions"] = action_buttons(application, user, eligibility=eligibility, sheet=sheet)
    context["version"] = application.version
    context.update(implementation_context(application, user))
    return context


EVENT_LABELS = {
    "create": _lazy("Lập đề án"), "update": _lazy("Sửa hồ sơ"), "attachment_add": _lazy("Tải lên tài liệu"),
    "attachment_remove": _lazy("Gỡ tài liệu"), "conflict_declared": _lazy("Khai báo xung đột lợi ích"),
    "scores_submitted": _lazy("Chấm điểm"), "council_create": _lazy("Thành lập hội đồng"),
    "contract_add": _lazy("Ghi nhận hợp đồng"), "disbursement_add": _lazy("Ghi khoản chi"),
    "progress_report_add": _lazy("Báo cáo tiến độ"), "inspection_add": _lazy("Kiểm tra thực địa"),
    "change_request_create": _lazy("Đề nghị điều chỉnh"), "change_request_decide": _lazy("Quyết định điều chỉnh"),
    "acceptance_record": _lazy("Biên bản nghiệm thu"), "settlement_record": _lazy("Ghi nhận quyết toán"),
}


def _labelled(events) -> list:
    events = list(events)
    for event in events:
        transition = workflow.TRANSITIONS.get(event.action)
        event.label = transition.label if transition else EVENT_LABELS.get(event.action, event.action)
    return events


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


class TransitionView(ApplicationObjectMixin, TemplateView):
    """GET: the small form of an action that needs inputs. POST: perform the action."""

    template_name = "applications/transition_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.transition = workflow.TRANSITIONS.get(kwargs["action"])
        if self.transition is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, application, data=None, files=None):
        step = STEP_FORMS.get(self.transition.action)
        if step is not None:
            return step[0](data, files, application=application)
        form = TransitionForm(data, transition=self.transition)
        if data is None and "approved_amount" in form.fields:
            form.fields["approved_amount"].initial = application.requested_support
        return form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = kwargs["application"]
        context["transition"] = self.transition
        if self.transition.action in STEP_FORMS:
            context.update(implementation_context(application, self.request.user))
        if self.transition.requires_amount:
            today = timezone.localdate()
            rule = support_rule_for(province_id=application.province_id, fund_source=application.fund_source,
                                    activity_type_id=application.activity_type_id, on=today)
            context["rule"] = rule
            context["cap"] = rule.cap_for(application.total_cost) if rule else None
            context["budget"] = budget_position(programme_id=application.programme_id,
                                                province_id=application.province_id, year=application.year)
            level = application.appraisal_level
            if level:
                context["sheet"] = selectors.score_sheet(application, level)
        return context

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        return self.render_to_response(self.get_context_data(application=application,
                                                             form=self.get_form(application)))

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        if self.transition.action in STEP_FORMS:
            return self.post_step(request, application)
        form = self.get_form(application, request.POST)
        detail = redirect("applications:application_detail", application.pk)
        if not form.is_valid():
            if not form.needs_input:
                messages.error(request, _("Dữ liệu không hợp lệ."))
                return detail
            return self.render_to_response(self.get_context_data(application=application, form=form), status=400)
        data = form.cleaned_data
        try:
            services.application_transition(
                user=request.user, application_id=application.pk, action=self.transition.action,
                reason=data.get("reason") or "", decision_number=data.get("decision_number") or "",
                decision_date=data.get("decision_date"), approved_amount=data.get("approved_amount"),
                expected_version=request.POST.get("version") or None)
        except ValidationError as exc:
            loose = add_service_errors(form, exc)
            if not form.needs_input:
                messages.error(request, " ".join(loose) or _("Dữ liệu không hợp lệ."))
                return detail
            return self.render_to_response(self.get_context_data(application=application, form=form), status=400)
        except DomainConflict as exc:
            conflict_message(request, exc)
            if form.needs_input:
                return self.render_to_response(self.get_context_data(application=application, form=form),
                                               status=409)
            return detail
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
            return detail
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        application.refresh_from_db()
        messages.success(request, _("Đã thực hiện “%(a)s”. Trạng thái: %(s)s.")
                         % {"a": self.transition.label, "s": application.get_status_display()})
        return detail


    def post_step(self, request, application):
        """A step that records something (contract, completion report, acceptance,
        settlement) and performs the action through its service."""
        form = self.get_form(application, request.POST, request.FILES)

        def again(status):
            return self.render_to_response(self.get_context_data(application=application, form=form), status=status)

        if not form.is_valid():
            return again(400)
        service = getattr(services, STEP_FORMS[self.transition.action][1])
        arguments = form.service_arguments()
        if self.transition.action == "start_implementation":
            blank = not any(v for k, v in arguments.items() if k != "beneficiary")
            # With a contract already recorded, the start may add none.
            arguments = {"contracts": [] if blank and application.contracts.exists() else [arguments]}
        try:
            service(user=request.user, application_id=application.pk, **arguments)
        except ValidationError as exc:
            if self.transition.action == "start_implementation" and hasattr(exc, "error_dict"):
                # implementation_start reports a contract's problems as "#1: field: message".
                exc = _contract_errors(exc)
            add_service_errors(form, exc)
            return again(400)
        except DomainConflict as exc:
            conflict_message(request, exc)
            return again(409)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
            return again(403)
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        application.refresh_from_db()
        if self.transition.action == "accept" and application.status != Status.ACCEPTED:
            messages.warning(request, _("Đã ghi biên bản nghiệm thu: không đạt. Đề án vẫn ở trạng thái “%(s)s”.")
                             % {"s": application.get_status_display()})
        else:
            messages.success(request, _("Đã thực hiện “%(a)s”. Trạng thái: %(s)s.")
                             % {"a": self.transition.label, "s": application.get_status_display()})
        return redirect("applications:application_detail", application.pk)


def _contract_errors(exc: ValidationError) -> ValidationError:
    """Field errors of the single contract of the start page, from implementation_start's
    ``{"contracts": ["#1: number: Cần số hợp đồng.; value: …"]}``."""
    fields = {}
    for message in exc.message_dict.get("contracts", []):
        body = message.split(": ", 1)[1] if message.startswith("#") else message
        for part in body.split("; "):
            key, _sep, text = part.partition(": ")
            if text:
                fields.setdefault(key, []).append(text)
            else:
                fields.setdefault("__all__", []).append(part)
    for key, messages_ in exc.message_dict.items():
        if key != "contracts":
            fields.setdefault(key, []).extend(messages_)
    return ValidationError(fields) if fields else exc


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
            attachment = services.attachment_add(user=request.user, application_id=application.pk,
                                                 kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"],
                                                 description=form.cleaned_data["description"] or "")
        except ValidationError as exc:
            messages.error(request, _("Chưa tải lên được: %(e)s") % {"e": " ".join(exc.messages)})
        except DomainConflict as exc:
            conflict_message(request, exc)
        except Application.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Đã tải lên “%(n)s” (%(k)s).")
                             % {"n": attachment.original_name, "k": attachment.get_kind_display()})
        return HttpResponseRedirect(url)


class AttachmentMixin(ApplicationObjectMixin):
    def get_attachment(self):
        application = self.get_application()
        attachment = get_object_or_404(Attachment.objects.visible_to(self.request.user),
                                       pk=self.kwargs["attachment_pk"], application=application)
        return application, attachment


class AttachmentDownloadView(AttachmentMixin, TemplateView):
    """Streams the private file; the storage has no public URL."""

    def get(self, request, *args, **kwargs):
        application, attachment = self.get_attachment()
        if dossier_closed_for(application, request.user):
            raise PermissionDenied(_("Khai báo không có xung đột lợi ích trước khi xem hồ sơ."))
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
            conflict_message(request, exc)
        else:
            messages.success(request, _("Đã gỡ “%(n)s” khỏi hồ sơ.") % {"n": attachment.original_name})
        return HttpResponseRedirect(reverse("applications:application_detail", args=[application.pk]) + "#tai-lieu")


# --- Council member's scoring -----------------------------------------------------------------------------


class ScoringView(ApplicationObjectMixin, TemplateView):
    """Declare a conflict of interest first; the dossier and the score form open after
    declaring no conflict."""

    template_name = "applications/scoring.html"

    def setup_state(self):
        application = self.get_application()
        level = application.appraisal_level
        if level is None:
            messages.info(self.request, _("Đề án không ở bước thẩm định."))
            raise _Redirect(reverse("applications:application_detail", args=[application.pk]))
        seat = selectors.council_seat(application, self.request.user, level)
        if seat is None:
            raise PermissionDenied(_("Bạn không phải thành viên hội đồng thẩm định đề án này."))
        declaration = ConflictDeclaration.objects.filter(application=application, level=level,
                                                         user=self.request.user).first()
        return application, level, seat, declaration

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except _Redirect as r:
            return HttpResponseRedirect(r.url)

    def build(self, application, level, seat, declaration, *, conflict_form=None, score_form=None):
        context = {"application": application, "level_label": CouncilLevel(level).label, "seat": seat,
                   "declaration": declaration}
        if declaration is None:
            context["conflict_form"] = conflict_form or ConflictForm()
            return context
        if declaration.has_conflict:
            return context
        sheet = selectors.score_sheet(application, level)
        mine = next((m for m in sheet.members if m.member.user_id == self.request.user.pk), None)
        context["mine"] = mine
        context["score_form"] = score_form or ScoreForm(criteria=sheet.criteria, existing=mine.scores if mine else {})
        context["dossier"] = application_context(application, self.request.user)
        return context

    def get(self, request, *args, **kwargs):
        state = self.setup_state()
        return self.render_to_response(self.build(*state))

    def post(self, request, *args, **kwargs):
        application, level, seat, declaration = self.setup_state()
        url = reverse("applications:scoring", args=[application.pk])
        if "declare" in request.POST:
            form = ConflictForm(request.POST)
            if form.is_valid():
                try:
                    services.conflict_declare(user=request.user, application_id=application.pk,
                                              has_conflict=form.cleaned_data["has_conflict"],
                                              note=form.cleaned_data["note"])
                except ValidationError as exc:
                    add_service_errors(form, exc)
                except DomainConflict as exc:
                    conflict_message(request, exc)
                    return HttpResponseRedirect(url)
                else:
                    messages.success(request, _("Đã ghi nhận khai báo xung đột lợi ích."))
                    return HttpResponseRedirect(url)
            return self.render_to_response(self.build(application, level, seat, declaration, conflict_form=form),
                                           status=400)
        if declaration is None or declaration.has_conflict:
            return HttpResponseRedirect(url)
        sheet = selectors.score_sheet(application, level)
        form = ScoreForm(request.POST, criteria=sheet.criteria)
        if form.is_valid():
            try:
                services.scores_submit(user=request.user, application_id=application.pk, scores=form.scores())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except (DomainConflict, PermissionDenied) as exc:
                if isinstance(exc, DomainConflict):
                    conflict_message(request, exc)
                else:
                    messages.error(request, str(exc))
                return HttpResponseRedirect(url)
            else:
                messages.success(request, _("Đã lưu điểm thẩm định."))
                return HttpResponseRedirect(url)
        return self.render_to_response(self.build(application, level, seat, declaration, score_form=form),
                                       status=400)



# --- After the decision: records of implementation and the steps that need them ----------------

# States in which the page shows the implementation sections (the scheme was approved).
IMPLEMENTATION_STATES = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED,
                                   Status.ACCEPTED, Status.SETTLED})


@dataclass(frozen=True)
class RecordPage:
    """A record added from the application page: its form, the states it needs and the service."""

    title: str
    form_class: type
    states: frozenset
    service: str  # name of the function in ``services``
    anchor: str
    saved: str


RECORD_PAGES = {
    "hop-dong": RecordPage(_lazy("Ghi nhận hợp đồng"), ContractForm, frozenset({Status.APPROVED, Status.IN_PROGRESS}),
                           "contract_add", "hop-dong", _lazy("Đã ghi nhận hợp đồng.")),
    "thanh-toan": RecordPage(_lazy("Ghi khoản tạm ứng / thanh toán"), DisbursementForm,
                             frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.ACCEPTED}),
                             "disbursement_add", "thanh-toan", _lazy("Đã ghi khoản chi.")),
    "tien-do": RecordPage(_lazy("Báo cáo tiến độ"), ProgressReportForm,
                          frozenset({Status.IN_PROGRESS, Status.SUSPENDED}), "progress_report_add", "tien-do",
                          _lazy("Đã ghi báo cáo tiến độ.")),
    "kiem-tra": RecordPage(_lazy("Kiểm tra thực địa"), InspectionForm,
                           frozenset({Status.IN_PROGRESS, Status.SUSPENDED, Status.COMPLETED}), "inspection_add",
                           "kiem-tra", _lazy("Đã ghi kết quả kiểm tra.")),
    "dieu-chinh": RecordPage(_lazy("Đề nghị điều chỉnh"), ChangeRequestForm, services.CHANGE_STATES,
                             "change_request_create", "dieu-chinh", _lazy("Đã gửi đề nghị điều chỉnh.")),
}

# Actions whose page records something first, then performs the step (in one transaction).
STEP_FORMS = {
    "start_implementation": (StartImplementationForm, "implementation_start"),
    "complete": (CompletionForm, "application_complete"),
    "accept": (AcceptanceForm, "acceptance_record"),
    "settle": (SettlementForm, "application_settle"),
}


def _allowed(check, *args) -> bool:
    try:
        check(*args)
    except PermissionDenied:
        return False
    return True


def implementation_context(application, user) -> dict:
    """The sections "Hợp đồng" … "Quyết toán" of an approved (or later) application."""
    if application.status not in IMPLEMENTATION_STATES and application.approved_amount is None:
        return {"show_implementation": False}
    can_record = _allowed(services._require_recorder, user, application)
    disbursements = list(application.disbursements.order_by("paid_on", "pk"))
    paid = sum(d.amount for d in disbursements)
    approved = application.approved_amount or 0
    change_requests = list(application.change_requests.select_related("requested_by", "decided_by"))
    context = {
        "show_implementation": True,
        "contracts": list(application.contracts.select_related("beneficiary", "implementing_organisation")),
        "disbursements": disbursements,
        "disbursed_total": paid,
        "disbursable": max(approved - paid, 0),
        # The share limits only the first advance.
        "first_advance_limit": (None if any(d.kind == DisbursementKind.ADVANCE for d in disbursements)
                                else approved * application.activity_type.first_advance_percent // 100),
        "progress_reports": list(application.progress_reports.order_by("-period_end", "-pk")),
        "inspections": list(application.inspections.order_by("-inspected_on", "-pk")),
        "change_requests": change_requests,
        "pending_changes": sum(1 for c in change_requests if c.status == ChangeStatus.PENDING),
        "can_decide_changes": (application.status in services.CHANGE_STATES
                               and _allowed(services._require_decider, user, application)),
        "decision_form": ChangeDecisionForm(),
        "acceptance": Acceptance.objects.filter(application=application).select_related("minutes").first(),
        "settlement": Settlement.objects.filter(application=application).select_related("final_payment").first(),
        "record_links": {slug.replace("-", "_"): can_record and application.status in page.states
                         for slug, page in RECORD_PAGES.items()},
    }
    if context["settlement"] is not None:
        context["released"] = approved - context["settlement"].settled_amount
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
        if not _allowed(services._require_recorder, request.user, application):
            raise PermissionDenied(_("Chỉ cán bộ Sở Công Thương của tỉnh/thành có đề án được ghi nhận việc thực hiện."))
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
            conflict_message(request, exc)
            return self.render_form(application, form, status=409)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
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
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms)
                           if hasattr(exc, "error_dict") else " ".join(exc.messages))
        except DomainConflict as exc:
            conflict_message(request, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
        except ChangeRequest.DoesNotExist as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Đã chấp thuận điều chỉnh.") if approve else _("Đã không chấp thuận điều chỉnh."))
        return HttpResponseRedirect(url)


# --- The budget page ----------------------------------------------------------------------------------


class BudgetView(PortalViewMixin, TemplateView):
    """The budget ledger (allocated, committed, disbursed, settled, released, remaining) per
    programme × year for a province; for the Agency per province with national totals.
    Every figure comes from ``programs.selectors.ledger``."""

    template_name = "applications/budget.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        scope = self.scope
        programmes = Programme.objects.visible_to(user).order_by("-start_year", "sort_key", "pk")
        provinces = list(Province.objects.order_by("sort_key", "code")) if scope.national else []
        form = BudgetFilterForm(self.request.GET or None, programmes=programmes, provinces=provinces)
        params = form.cleaned_data if form.is_bound and form.is_valid() else {}
        data = ledger(user=user, year=params.get("year"), programme=params.get("programme"),
                      province=params.get("province"))
        rows = data["rows"]
        if params.get("fund_source"):
            rows = [row for row in rows if row["fund_source"] == params["fund_source"]]
        totals = {name: sum(row[name] for row in rows) for name in LEDGER_MONEY}
        groups = []
        if scope.national:
            # Per province (Vietnamese order), each with its subtotal.
            by_province = {}
            for row in sorted(rows, key=lambda r: (r["province_name"], -r["year"], r["programme_code"])):
                by_province.setdefault(row["province_id"], []).append(row)
            for province_rows in by_province.values():
                groups.append({"name": province_rows[0]["province_name"], "rows": province_rows,
                               "totals": {n: sum(r[n] for r in province_rows) for n in LEDGER_MONEY}})
        else:
            groups.append({"name": "", "rows": rows, "totals": totals})
        context.update(form=form, groups=groups, totals=totals, national=scope.national, rows=rows)
        return context
