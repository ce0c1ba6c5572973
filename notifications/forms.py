"""The form of the notification settings page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .choices import EmailMode


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(label=_("Nhận thư điện tử"), choices=EmailMode.choices,
                                   widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Ngôn ngữ của thư"), choices=settings.LANGUAGES)
