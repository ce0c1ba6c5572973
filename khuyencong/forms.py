"""Forms of the project package: one-time codes, personal API tokens, password change;
and what every app's forms share (Bootstrap widgets with bounded inputs, the date input)."""

import logging

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.utils.translation import gettext_lazy as _

from .errors import row_errors
from .limits import MAX_MONEY, MAX_TEXT
from .security import count_hit

logger = logging.getLogger(__name__)


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
    that the record has changed)."""
    raw = (data.get("version") or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


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


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9]*", "autofocus": True}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError(_("Mã chỉ gồm chữ số."))
        return code


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label=_("Mã dự phòng"), max_length=20, min_length=10,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false"}),
        help_text=_("Một trong các mã dự phòng bạn đã in hoặc lưu khi bật xác thực hai lớp (dạng abcde-fghjk)."))


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Tên gợi nhớ"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}),
                           help_text=_("Ví dụ: phần mềm kế toán của Sở."))
    read_only = forms.BooleanField(label=_("Chỉ đọc (không được thay đổi dữ liệu)"), required=False, initial=True,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    days = forms.IntegerField(label=_("Hiệu lực (ngày)"), min_value=1, max_value=365, initial=90,
                              widget=forms.NumberInput(attrs={"class": "form-control"}),
                              help_text=_("Khóa tự hết hạn sau số ngày này (tối đa 365)."))


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change form, with the current password checked through
    ``authenticate`` so that django-axes counts a wrong one as a failed sign-in of this
    user from this address (and refuses the form while that pair is locked out): a stolen
    session cannot be used to guess the password without limit."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        authenticated = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if authenticated is None or authenticated.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, sending at most ``KC_PASSWORD_RESET_PER_ACCOUNT`` mails per
    account and hour: further requests for that account show the same page and send
    nothing, so the limit neither floods a mailbox nor tells whether the address exists."""

    def get_users(self, email):

        for user in super().get_users(email):
            if count_hit(f"password-reset:user:{user.pk}", settings.KC_PASSWORD_RESET_PER_ACCOUNT, 3600):
                logger.warning("password reset mail for user %s withheld: hourly limit reached", user.pk)
                continue
            yield user
