"""Choices of the programmes app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundSource(models.TextChoices):
    NATIONAL = "national", _("Khuyến công quốc gia")
    LOCAL = "local", _("Khuyến công địa phương")
