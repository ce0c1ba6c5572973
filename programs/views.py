"""Pages of the programmes app: the programmes a user works under, and a programme with
its open calls (criteria, documents required), the caps in force today and the money
left. Everyone with a role reads them before drafting."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from khuyencong.errors import DomainConflict
from khuyencong.forms import add_service_errors
from khuyencong.scoping import scope_for
from khuyencong.web import PortalViewMixin, ScopedDetailView, ScopedListView, error_message
from provinces.choices import AGENCY_ROLES
from provinces.models import Province

from .choices import FundSource
from .filters import ProgrammeFilterSet, SupportRuleFilterSet
from .forms import CallForm, CriterionFormSet, SupportRuleForm
from .models import Call, Programme, SupportRule
from .selectors import calls_of, programme_budget, rules_in_force
from .services import (
    call_copy,
    call_create,
    call_has_dossiers,
    call_update,
    require_approver,
    require_call_manage,
    support_rule_create,
)


def home_province_id(scope) -> int | None:
    """The one province a user works in (a commune officer: their commune's), else None."""
    provinces = set(scope.province_ids) | set(scope.commune_province_ids)
    return next(iter(provinces)) if len(provinces) == 1 and not scope.national else None


def _may(check, user, *args) -> bool:
    try:
        check(user, *args)
    except PermissionDenied:
        return False
    return True


class ProgrammeListView(ScopedListView):
    model = Programme
    filterset_class = ProgrammeFilterSet
    template_name = "programs/programme_list.html"
    partial_template_name = "programs/_programme_table.html"
    paginate_by = 50

    def get_base_queryset(self):
        return Programme.objects.select_related("province").order_by("province_id", "-start_year", "sort_key", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context


class ProgrammeDetailView(ScopedDetailView):
    model = Programme
    template_name = "programs/programme_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("province")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme, user = self.object, self.request.user
        today = timezone.localdate()
        # A local programme's caps are its province's; a national programme's caps as they
        # apply in the reader's province (the province's own rule wins), or the national ones.
        province_id = programme.province_id or home_province_id(self.scope)
        budget = programme_budget(user=user, programme=programme, year=today.year)
        context.update(
            today=today, rule_province_id=province_id,
            calls=calls_of(programme, user, on=today, province_id=None if self.scope.national else province_id),
            rules=rules_in_force(province_id=province_id, fund_source=programme.fund_source, on=today),
            budget_rows=budget["rows"], budget_totals=budget["totals"],
            can_manage_calls=_may(require_call_manage, user, programme),
        )
        return context


# --- Calls: set up, change, copy -----------------------------------------------------------------


class CallFormView(PortalViewMixin, TemplateView):
    """Set up or change a call with its criteria (province approver: local programmes;
    the Agency: national ones)."""

    template_name = "programs/call_form.html"
    call = None

    def get_programme(self):
        return get_object_or_404(Programme.objects.visible_to(self.request.user), pk=self.kwargs["programme_pk"])

    def setup_objects(self):
        self.programme = self.get_programme()
        try:
            require_call_manage(self.request.user, self.programme)
        except PermissionDenied:
            raise PermissionDenied(_("Bạn không quản lý đợt tiếp nhận của chương trình này.")) from None

    def initial(self):
        today = timezone.localdate()
        return {"year": today.year, "opens_on": today, "name": _("Đợt tiếp nhận đề án năm %(y)s") % {"y": today.year}}

    def criteria_initial(self):
        return []

    def forms(self):
        data = self.request.POST if self.request.method == "POST" else None
        form = CallForm(data, programme=self.programme, initial=None if data else self.initial())
        formset = CriterionFormSet(data, prefix="criteria", initial=None if data else self.criteria_initial())
        if data is None:
            formset.extra = 2  # blank rows to add criteria (unchanged blank rows are ignored)
        return form, formset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(programme=self.programme, call=self.call,
                       locked=self.call is not None and call_has_dossiers(self.call))
        return context

    def get(self, request, *args, **kwargs):
        self.setup_objects()
        form, formset = self.forms()
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def post(self, request, *args, **kwargs):
        self.setup_objects()
        form, formset = self.forms()
        status = 400
        if form.is_valid() and formset.is_valid():
            try:
                call = self.save(form, formset)
                return redirect(f"{reverse('programs:programme_detail', args=[call.programme_id])}#call-{call.pk}")
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
                # The criteria's errors belong to the criteria table; the rest to the call's fields.
                formset._non_form_errors = formset.error_class(errors.pop("criteria", []))
                if errors:
                    add_service_errors(form, ValidationError({k or "__all__": v for k, v in errors.items()}))
            except DomainConflict as exc:
                form.add_error(None, exc.message)
                status = 409
        return self.render_to_response(self.get_context_data(form=form, formset=formset), status=status)


class CallCreateView(CallFormView):
    def save(self, form, formset):
        call = call_create(user=self.request.user, activity_types=list(form.cleaned_data["activity_types"]),
                           criteria=formset.criteria(), **form.service_fields())
        messages.success(self.request, _("Đã lập đợt tiếp nhận “%(n)s”.") % {"n": call.name})
        return call


class CallUpdateView(CallFormView):
    def get_programme(self):
        self.call = get_object_or_404(Call.objects.visible_to(self.request.user).select_related("programme"),
                                      pk=self.kwargs["pk"])
        return self.call.programme

    def initial(self):
        c = self.call
        return {"name": c.name, "province": c.province_id, "year": c.year, "opens_on": c.opens_on,
                "closes_on": c.closes_on, "pass_mark": c.pass_mark, "description": c.description,
                "activity_types": list(c.activity_types.values_list("code", flat=True)),
                "required_documents": list(c.required_documents)}

    def criteria_initial(self):
        return [{"name": c.name, "weight": c.weight, "max_score": c.max_score}
                for c in self.call.criteria.order_by("position", "pk")]

    def save(self, form, formset):
        call = call_update(user=self.request.user, call_id=self.call.pk,
                           activity_types=list(form.cleaned_data["activity_types"]), criteria=formset.criteria(),
                           **form.service_fields())
        messages.success(self.request, _("Đã lưu đợt tiếp nhận “%(n)s”.") % {"n": call.name})
        return call


class CallCopyView(PortalViewMixin, View):
    """Copy a call (its rules frozen by its dossiers) into a new one to change."""

    http_method_names = ["post"]

    def post(self, request, pk):
        source = get_object_or_404(Call.objects.visible_to(request.user), pk=pk)
        try:
            call = call_copy(user=request.user, call_id=source.pk)
        except (ValidationError, PermissionDenied, DomainConflict) as exc:
            error_message(request, exc)
            return redirect("programs:call_update", source.pk)
        messages.success(request, _("Đã sao chép thành đợt mới; hãy sửa ngày và tiêu chí."))
        return redirect("programs:call_update", call.pk)


# --- Support rules: versions from a date -------------------------------------------------------


class SupportRuleListView(ScopedListView):
    """Every version of the caps the user works under, newest first per key, with whether
    each is in force today; approvers add versions."""

    model = SupportRule
    filterset_class = SupportRuleFilterSet
    template_name = "programs/support_rule_list.html"
    paginate_by = 100

    def get_base_queryset(self):
        return SupportRule.objects.select_related("activity_type", "province").order_by(
            "activity_type__position", "fund_source", "province_id", "-valid_from", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        context["can_add"] = bool(_rule_provinces(self.request.user)[0].exists() or _rule_provinces(
            self.request.user)[1])
        return context


def _rule_provinces(user):
    """(provinces whose caps the user sets, whether they set national caps)."""
    scope = scope_for(user)
    national = scope.superuser or bool(scope.roles & AGENCY_ROLES and not scope.read_only)
    if scope.superuser:
        return Province.objects.order_by("sort_key"), True
    codes = [code for code in scope.approver_province_ids if _may(require_approver, user, code)]
    return Province.objects.filter(code__in=codes).order_by("sort_key"), national


class SupportRuleCreateView(PortalViewMixin, TemplateView):
    template_name = "programs/support_rule_form.html"

    def get_form(self):
        provinces, national = _rule_provinces(self.request.user)
        if not national and not provinces.exists():
            raise PermissionDenied(_("Bạn không quản lý định mức hỗ trợ."))
        initial = {"valid_from": timezone.localdate()}
        if provinces.count() == 1 and not national:
            initial["province"] = provinces.first().pk
            initial["fund_source"] = FundSource.LOCAL
        return SupportRuleForm(self.request.POST or None, provinces=provinces, national=national, initial=initial)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                rule = support_rule_create(user=request.user, **data)
                messages.success(request, _("Đã thêm phiên bản định mức %(r)s.") % {"r": rule})
                return redirect("programs:support_rule_list")
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return self.render_to_response(self.get_context_data(form=form), status=400)
