"""What the viewsets of the applications app share: the detail-action options and the
translation of service exceptions."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import exceptions

from khuyencong.errors import DomainConflict

# Sub-resources of one application: the list's filters and pagination do not apply
# (nor appear in the schema).
DETAIL_ACTION = {"filter_backends": [], "pagination_class": None}


class ServiceErrorsMixin:
    """Service exceptions → API statuses: an object the service cannot see is a 404,
    and a refusal keeps the service's reason (the shared handler would drop it)."""

    def handle_exception(self, exc):
        if isinstance(exc, ObjectDoesNotExist):
            exc = exceptions.NotFound()
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        elif isinstance(exc, DomainConflict) and not exc.reasons:
            # Clients read ``errors.reasons`` on every 409; a single-cause conflict lists its message.
            exc = DomainConflict(exc.message, [exc.message])
        return super().handle_exception(exc)
