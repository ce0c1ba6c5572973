"""What the forms of the applications app share: service errors onto fields, Bootstrap
widgets, the date input."""


from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.utils.translation import gettext_lazy as _

from khuyencong.limits import MAX_MONEY, MAX_TEXT


def add_service_errors(form, exc: ValidationError, *, aliases=None) -> list[str]:
    """Put a service's ValidationError on the form's fields; keys the form has no field
    for become non-field errors. Returns the messages that were not attached to a field."""
    aliases = aliases or {}
    loose = []
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            key = aliases.get(key, key)
            if key in form.fields:
                for message in errors:
                    form.add_error(key, message)
            else:
                loose.extend(errors)
    else:
        loose.extend(exc.messages)
    for message in loose:
        form.add_error(None, message)
    return loose


EMPTY_LABEL = _("— Chọn —")


class BootstrapMixin:
    """Bootstrap classes on every widget (the templates render fields as they are)."""

    def _style(self):
        self._bound()
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
                # The blank choice reads "— Chọn —" / "— Choose —", not "---------".
                if isinstance(field, forms.ModelChoiceField) and field.empty_label == "---------":
                    field.empty_label = EMPTY_LABEL
            else:
                widget.attrs.setdefault("class", "form-control")


    def _bound(self):
        """Every free-text and number field has an upper bound (khuyencong.limits), as the
        API's serializers do: no 31 MB note, no amount that overflows a column."""
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length is None:
                field.max_length = MAX_TEXT
                field.validators.append(MaxLengthValidator(MAX_TEXT))
                field.widget.attrs.setdefault("maxlength", str(MAX_TEXT))
            elif isinstance(field, forms.IntegerField) and field.max_value is None:
                field.max_value = MAX_MONEY
                field.validators.append(MaxValueValidator(MAX_MONEY))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
