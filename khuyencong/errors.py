"""Domain errors raised by services; the API maps them to HTTP statuses and the HTML
views to messages. Services raise Django's ValidationError for bad input (400) and
PermissionDenied for a visible object the caller may not act on (403)."""


class DomainConflict(Exception):
    """The request is well-formed but the object's state forbids it (HTTP 409).
    ``reasons`` lists every reason, so the user can fix them all at once."""

    def __init__(self, message: str, reasons=()):
        super().__init__(message)
        self.message = str(message)
        self.reasons = [str(r) for r in reasons]
