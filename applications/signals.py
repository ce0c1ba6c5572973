"""Signals the applications app sends, so that apps above it (notifications) take part in
a change without this app importing them.

``transition_recorded`` is sent by ``application_transition`` inside its transaction, after
the ``ApplicationEvent`` is written, with ``event``; a receiver that raises undoes the
transition (what it writes commits or rolls back with the change)."""

from django.dispatch import Signal

transition_recorded = Signal()
