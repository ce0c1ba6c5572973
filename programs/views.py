"""Pages of the programmes app: the programmes a user works under, and a programme with
its open calls (criteria, documents required), the caps in force today and the money
left. Everyone with a role reads them before drafting."""

from django.utils import timezone

from khuyencong.web import ScopedDetailView, ScopedListView

from .filters import ProgrammeFilterSet
from .models import Programme
from .selectors import calls_of, programme_budget, rules_in_force


def home_province_id(scope) -> int | None:
    """The one province a user works in (a commune officer: their commune's), else None."""
    provinces = set(scope.province_ids) | set(scope.commune_province_ids)
    return next(iter(provinces)) if len(provinces) == 1 and not scope.national else None


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
        )
        return context
