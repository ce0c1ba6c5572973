"""Forms of the project package: one-time codes, personal API tokens, password change."""

import logging

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


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
        from django.conf import settings

        from .security import count_hit

        for user in super().get_users(email):
            if count_hit(f"password-reset:user:{user.pk}", settings.KC_PASSWORD_RESET_PER_ACCOUNT, 3600):
                logger.warning("password reset mail for user %s withheld: hourly limit reached", user.pk)
                continue
            yield user
