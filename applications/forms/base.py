"""What the forms of the applications app share: service errors onto fields, Bootstrap
widgets, the date input."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator

from khuyencong.errors import row_errors
from khuyencong.limits import MAX_MONEY, MAX_TEXT


def add_service_errors(form, exc: ValidationError, *, aliases=None, rows=None) -> list[str]:
    """Put a service's ValidationError on the form's fields, and the errors of a list field's
    rows (``khuyencong.errors.item_errors``) on the forms of ``rows`` (``{field: [row forms]}``,
    in the order the rows were given); keys the form has no field for become non-field errors.
    Returns the messages that were not attached to a field."""
    aliases, rows = aliases or {}, rows or {}
    loose = []
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            by_row = row_errors(exc.error_dict[key]) if key in rows else None
            if by_row is not None:
                for index, columns in by_row.items():
                    row_form = rows[key][index]
                    for column, column_messages in columns.items():
                        for message in column_messages:
                            row_form.add_error(column if column in row_form.fields else None, message)
                continue
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


def posted_version(data) -> int | None:
    """The ``version`` a page posts back in its hidden input, typed for the service: None when
    absent; anything that is not a version number counts as stale (the service then answers
    that the dossier has changed)."""
    raw = (data.get("version") or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


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
