"""Template filters of the reports: table cells by column kind."""

from django import template

from khuyencong.templatetags.kc import format_vnd

register = template.Library()


@register.filter
def zip_cells(columns, row):
    return zip(columns, row, strict=False)


@register.filter
def cell(value, kind):
    if value is None or value == "":
        return "" if value == "" else "—"
    if kind in ("money", "int") and isinstance(value, int):
        return format_vnd(value, symbol=False)
    if kind == "pct" and isinstance(value, int | float):
        return f"{value:.1f}".replace(".", ",")
    return value
