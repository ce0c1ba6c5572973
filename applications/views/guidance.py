"""The rules that apply to a dossier as the officer types it: the cap in force for the
chosen programme's fund, activity type, total cost and beneficiaries, and the documents
the chosen call requires (an htmx fragment of the application form)."""

from django.utils import timezone
from django.views.generic import TemplateView

from khuyencong.money import parse_amount
from khuyencong.web import PortalViewMixin
from programs.models import ActivityType, Call, Programme
from programs.selectors import support_rule_for

from ..forms import CostLineFormSet
from ..models import CostLine
from ..permissions import writable_provinces


def _id(value) -> int | None:
    """A chosen id from the form (a select's value); anything else is "not chosen yet"."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


def _amount(value) -> int | None:
    """An amount as the money field shows it ("300.000.000"); what does not parse is simply
    not known yet (the form reports it when saved)."""
    try:
        return parse_amount(value)
    except ValueError:
        return None


def _line_total(data) -> int:
    """Σ quantity × unit cost of the lines that parse (the rest are the form's business)."""
    formset = CostLineFormSet(data, prefix="lines")
    if not formset.management_form.is_valid():
        return 0
    total = 0
    for form in formset.forms:
        if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE"):
            total += CostLine.compute_amount(form.cleaned_data["quantity"], form.cleaned_data["unit_cost"])
    return total


class ApplicationGuidanceView(PortalViewMixin, TemplateView):
    """``GET`` with the application form's fields → the cap and required documents."""

    template_name = "applications/_guidance.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data, user = self.request.GET, self.request.user
        provinces = {str(p.pk): p for p in writable_provinces(user)}
        province = provinces.get(data.get("province")) or next(iter(provinces.values()), None)
        today = timezone.localdate()
        programme = call = activity_type = rule = None
        if province is not None:
            programme = (Programme.objects.visible_to(user).filter(pk=_id(data.get("programme")) or 0).first())
            if programme is not None and programme.province_id not in (None, province.pk):
                programme = None
            call = Call.objects.visible_to(user).filter(pk=_id(data.get("call")) or 0, province=province).first()
            activity_type = ActivityType.objects.filter(pk=data.get("activity_type") or "").first()
        if programme is not None and activity_type is not None:
            rule = support_rule_for(province_id=province.pk, fund_source=programme.fund_source,
                                    activity_type_id=activity_type.pk, on=today)
        total = _line_total(data)
        establishments = len([v for v in data.getlist("establishments") if v.isdigit()]) or 1
        cap = rule.cap_for(total, establishments) if rule is not None else None
        requested = _amount(data.get("requested_support"))
        context.update(programme=programme, call=call, activity_type=activity_type, rule=rule, today=today,
                       total=total, cap=cap, requested=requested, establishments=establishments,
                       over_cap=cap is not None and requested is not None and requested > cap,
                       call_mismatch=call is not None and programme is not None and call.programme_id != programme.pk,
                       type_not_in_call=(call is not None and activity_type is not None
                                         and not call.activity_types.filter(pk=activity_type.pk).exists()))
        return context
