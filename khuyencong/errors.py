"""Domain errors raised by services; the API maps them to HTTP statuses and the HTML
views to messages. Services raise Django's ValidationError for bad input (400) and
PermissionDenied for a visible object the caller may not act on (403)."""

from django.core.exceptions import ValidationError


class DomainConflict(Exception):
    """The request is well-formed but the object's state forbids it (HTTP 409).
    ``reasons`` lists every reason, so the user can fix them all at once."""

    def __init__(self, message: str, reasons=()):
        super().__init__(message)
        self.message = str(message)
        self.reasons = [str(r) for r in reasons]


def item_errors(field: str, errors: dict, *, keyed: bool = False) -> ValidationError:
    """The errors of the rows of a list field (cost lines, instalments) as structured data:
    ``errors`` maps a row's position (0-based) to ``{column: message}``. The API answers them
    aligned with the input, like a nested serializer (``{"cost_lines": [{}, {"amount": [...]}]}``);
    a page puts each on its formset row (``row_errors``). Never text to be parsed back.
    ``keyed``: the rows are the entries of a mapping (scores by criterion), answered by key."""
    # Escaped: Django formats a message with its params whenever it is read.
    return ValidationError({field: [ValidationError(str(message).replace("%", "%%"), code="row",
                                                    params={"row": row, "column": column, "keyed": keyed})
                                    for row, columns in sorted(errors.items())
                                    for column, message in columns.items()]})


def is_keyed(errors) -> bool:
    return any((getattr(error, "params", None) or {}).get("keyed") for error in errors)


def row_errors(errors) -> dict | None:
    """``{row: {column: [messages]}}`` when ``errors`` (a field's list of ValidationErrors)
    came from ``item_errors``; None for ordinary field errors."""
    rows = {}
    for error in errors:
        params = getattr(error, "params", None) or {}
        if getattr(error, "code", None) != "row" or "row" not in params:
            return None
        rows.setdefault(params["row"], {}).setdefault(params["column"], []).append(next(iter(error)))
    return rows or None
