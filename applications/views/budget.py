"""The budget page: the ledger per programme × year (per province for the Agency)."""


from django.views.generic import TemplateView

from khuyencong.web import PortalViewMixin
from programs.models import Programme
from provinces.models import Province

from ..forms import BudgetFilterForm
from ..ledger import LEDGER_MONEY, ledger

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
        context.update(form=form, groups=groups, totals=totals, national=scope.national, rows=rows)
        return context
