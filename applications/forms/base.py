"""What the forms of the applications app share: service errors onto fields, Bootstrap
widgets, the date input."""


from django import forms
from django.core.exceptions import ValidationError


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


class BootstrapMixin:
    """Bootstrap classes on every widget (the templates render fields as they are)."""

    def _style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
