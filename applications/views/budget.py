"""The budget page: the ledger per programme × year (per province for the Agency)."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from khuyencong.errors import DomainConflict
from khuyencong.web import PortalViewMixin
from programs.models import BudgetAllocation, Programme
from provinces.models import Province

from .. import services
from ..forms import AllocationForm, AllocationMoveForm, BudgetFilterForm, add_service_errors
from ..ledger import LEDGER_MONEY, allocation_committed_subquery, ledger

# --- The budget page ----------------------------------------------------------------------------------


class BudgetView(PortalViewMixin, TemplateView):
    """The budget ledger (allocated, committed, disbursed, settled, released, remaining) per
    programme × year for a province; for the Agency per province with national totals.
    Every figure comes from ``applications.ledger.ledger``."""

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
        allocations = {(a.programme_id, a.province_id, a.year): a.pk for a in BudgetAllocation.objects.visible_to(user)
                       .filter(year__in={row["year"] for row in rows}).only("programme_id", "province_id", "year")}
        for row in rows:
            row["allocation_id"] = allocations.get((row["programme_id"], row["province_id"], row["year"]))
        context.update(form=form, groups=groups, totals=totals, national=scope.national, rows=rows,
                       can_allocate=bool(_manageable_programmes(user)))
        return context


# --- Allocations: allocate, raise, lower, move ----------------------------------------------------


def _may_allocate(user, programme) -> bool:
    try:
        services.require_allocate(user, programme)
    except PermissionDenied:
        return False
    return True


def _manageable_programmes(user):
    return [p for p in Programme.objects.visible_to(user).filter(is_active=True).order_by("-start_year", "sort_key")
            if _may_allocate(user, p)]


class AllocationCreateView(PortalViewMixin, TemplateView):
    """Allocate money to a programme in a province for a year (the Agency: national funds
    for any province; a province: its local funds)."""

    template_name = "applications/allocation_form.html"

    def get_form(self):
        user = self.request.user
        programmes = Programme.objects.filter(pk__in=[p.pk for p in _manageable_programmes(user)])
        provinces = (Province.objects.order_by("sort_key") if self.scope.national or self.scope.superuser
                     else Province.objects.filter(code__in=self.scope.staff_province_ids).order_by("sort_key"))
        return AllocationForm(self.request.POST or None, programmes=programmes, provinces=provinces,
                              initial={"year": timezone.localdate().year})

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["programme"].queryset.exists():
            raise PermissionDenied(_("Bạn không giao kinh phí cho chương trình nào."))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                allocation = services.budget_allocation_set(
                    user=request.user, programme=data["programme"], province=data["province"], year=data["year"],
                    amount=data["amount"], decision_number=data["decision_number"], reason=data["reason"])
                messages.success(request, _("Đã giao kinh phí."))
                return redirect("applications:allocation_detail", allocation.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except DomainConflict as exc:
                form.add_error("amount", exc.message)
                status = 409
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
        return self.render_to_response(self.get_context_data(form=form), status=status)


class AllocationDetailView(PortalViewMixin, TemplateView):
    """One allocation: its figures from the ledger, its ledger of changes, and for whoever
    allocates it the forms to raise, lower or move it."""

    template_name = "applications/allocation_detail.html"

    def get_allocation(self):
        qs = (BudgetAllocation.objects.visible_to(self.request.user)
              .select_related("programme", "province")
              .annotate(committed=allocation_committed_subquery()))
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def forms(self, allocation, data=None, which=None):
        may = _may_allocate(self.request.user, allocation.programme)
        if not may:
            return None, None
        targets = Programme.objects.filter(
            pk__in=[p.pk for p in _manageable_programmes(self.request.user)
                    if p.pk != allocation.programme_id and p.fund_source == allocation.programme.fund_source
                    and p.province_id in (None, allocation.province_id)
                    and p.start_year <= allocation.year <= p.end_year])
        change = AllocationForm(data if which == "change" else None, allocation=allocation, prefix="change")
        move = AllocationMoveForm(data if which == "move" else None, targets=targets, prefix="move")
        return change, move

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        allocation = kwargs["allocation"]
        context.update(allocation=allocation, remaining=allocation.amount - allocation.committed,
                       entries=allocation.entries.select_related("actor", "counterpart__programme")
                       .order_by("created_at", "pk"))
        return context

    def get(self, request, *args, **kwargs):
        allocation = self.get_allocation()
        change, move = self.forms(allocation)
        return self.render_to_response(self.get_context_data(allocation=allocation, change_form=change,
                                                             move_form=move))

    def post(self, request, *args, **kwargs):
        allocation = self.get_allocation()
        which = "move" if request.POST.get("op") == "move" else "change"
        change, move = self.forms(allocation, request.POST, which)
        if change is None:
            raise PermissionDenied(_("Bạn không quản lý kinh phí của chương trình này."))
        form = move if which == "move" else change
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "move":
                    services.budget_allocation_move(
                        user=request.user, allocation_id=allocation.pk, target_programme_id=data["target_programme"].pk,
                        amount=data["amount"], reason=data["reason"], decision_number=data["decision_number"])
                    messages.success(request, _("Đã điều chuyển kinh phí."))
                else:
                    services.budget_allocation_set(
                        user=request.user, programme=allocation.programme, province=allocation.province,
                        year=allocation.year, amount=data["amount"], decision_number=data["decision_number"],
                        note=allocation.note, reason=data["reason"])
                    messages.success(request, _("Đã điều chỉnh kinh phí được giao."))
                return redirect("applications:allocation_detail", allocation.pk)
            except ValidationError as exc:
                add_service_errors(form, exc, aliases={"target_programme_id": "target_programme"})
            except DomainConflict as exc:
                form.add_error("amount", exc.message)
                status = 409
        return self.render_to_response(self.get_context_data(allocation=allocation, change_form=change,
                                                             move_form=move), status=status)
