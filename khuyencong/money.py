"""Money in forms: a field that accepts an amount as people write it ("300.000.000",
"300 000 000", "300000000 đ"), shows it grouped with dots, and a widget whose input is
grouped as it is typed (static/js/portal.js) with the amount in words beneath, said by
the server (``khuyencong.numwords``) through the tiny ``money_words`` endpoint."""

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .limits import MAX_MONEY
from .numwords import amount_in_words
from .templatetags.kc import format_vnd

_SEPARATORS = re.compile(r"[.\s\u00a0\u202f,_]")
_GROUPED = re.compile(r"-?\d{1,3}(?:[.\s\u00a0\u202f,_]\d{3})+")
_CURRENCY = re.compile(r"(₫|vnđ|vnd|đồng|đ)$", re.I)


def parse_amount(text) -> int | None:
    """'300.000.000' → 300000000; '' → None; raises ValueError for anything else.
    Dots, spaces and commas group thousands (đồng have no subunit)."""
    if text is None:
        return None
    if isinstance(text, int):
        return text
    cleaned = _CURRENCY.sub("", str(text).strip()).strip()
    if not cleaned:
        return None
    # Plain digits, or groups of three after the first (no decimals: "300.000.000,50" is refused).
    if not (re.fullmatch(r"-?\d+", cleaned) or _GROUPED.fullmatch(cleaned)):
        raise ValueError(text)
    return int(_SEPARATORS.sub("", cleaned))


class MoneyInput(forms.TextInput):
    """A text input (a number input cannot show dots) with a numeric keyboard on phones;
    portal.js groups the digits as they are typed and asks for the words beneath."""

    def __init__(self, attrs=None):
        base = {"inputmode": "numeric", "autocomplete": "off", "data-money": "1"}
        super().__init__({**base, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-words-url"] = reverse("money_words")
        return context

    def format_value(self, value):
        try:
            amount = parse_amount(value)
        except ValueError:
            return value  # what the user typed, shown back with its error
        return "" if amount is None else format_vnd(amount, symbol=False)


class MoneyField(forms.IntegerField):
    """Whole đồng, typed with or without thousands separators."""

    widget = MoneyInput
    default_error_messages = {"invalid": _("Nhập số tiền bằng chữ số, ví dụ 300.000.000.")}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_value", MAX_MONEY)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def widget_attrs(self, widget):
        # IntegerField would add min/max/step for a number input; a text input needs none.
        return {}


@login_required
@require_GET
def money_words(request):
    """The amount in words for the hint under a money field (fetched by portal.js and set
    as text, never as HTML): plain text, empty for nothing or nonsense."""
    raw = next((value for key, value in request.GET.items()), "")
    try:
        amount = parse_amount(raw[:40])
    except ValueError:
        return HttpResponse("", content_type="text/plain; charset=utf-8")
    if amount is None or amount < 0 or amount > MAX_MONEY:
        return HttpResponse("", content_type="text/plain; charset=utf-8")
    text = _gettext("Bằng chữ: %(words)s") % {"words": amount_in_words(amount, capitalize=True)}
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
