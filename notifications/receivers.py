"""Receivers of the applications app's signals (connected in ``apps.py``)."""

from . import services


def on_transition_recorded(sender, event, **kwargs):
    # Inside the transition's transaction: the notices commit or roll back with it.
    services.notify_transition(event=event)
