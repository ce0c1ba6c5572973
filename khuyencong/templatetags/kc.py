"""Template filters: money in đồng ("1.250.000.000 ₫"), dates as dd/mm/yyyy."""

from django import template
from django.utils import timezone

register = template.Library()


def format_vnd(value, symbol: bool = True) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{text} ₫" if symbol else f"{sign}{text}"


@register.filter
def vnd(value):
    """1250000000 → "1.250.000.000 ₫"."""
    return format_vnd(value)


@register.filter
def number(value):
    """Integer with dot thousands, no currency."""
    return format_vnd(value, symbol=False)


@register.filter
def dmy(value):
    """A date or datetime as dd/mm/yyyy (local time for datetimes)."""
    if not value:
        return "—"
    if hasattr(value, "hour"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


@register.simple_tag(takes_context=True)
def querystring_with(context, **kwargs):
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()
