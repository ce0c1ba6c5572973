"""App config of the notifications app: connects to the applications app's signals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Thông báo")

    def ready(self):
        from applications.signals import transition_recorded

        from . import receivers

        transition_recorded.connect(receivers.on_transition_recorded, dispatch_uid="notifications-transition")
