"""REST API of the notifications app: ``/api/v1/notifications/`` and ``/api/v1/watches/``."""
