"""Reading a long ordered query in chunks by keyset ("seek") pagination: each chunk
starts after the last row of the previous one, so memory stays constant and no cursor
lives across transactions (safe behind PgBouncer in transaction pooling, where
server-side cursors are off)."""

from collections.abc import Iterator, Sequence

from django.db.models import Q, QuerySet


def _after(keys: Sequence[str], last: Sequence, descending: bool) -> Q:
    op = "lt" if descending else "gt"
    condition = Q()
    for i, key in enumerate(keys):
        step = Q(**{f"{key}__{op}": last[i]})
        for previous, value in zip(keys[:i], last[:i], strict=True):
            step &= Q(**{previous: value})
        condition |= step
    # Redundant bound on the first key: lets an index on it serve the OR above.
    return Q(**{f"{keys[0]}__{'lte' if descending else 'gte'}": last[0]}) & condition


def keyset_values(queryset: QuerySet, fields: Sequence[str], ordering: Sequence[str],
                  chunk: int = 2000) -> Iterator[tuple]:
    """Yield ``values_list(*fields)`` rows of ``queryset`` in ``ordering``: field names, all
    ascending or all descending, whose last one is unique (end with the primary key);
    none of them may be null."""
    descending = ordering[0].startswith("-")
    if any(o.startswith("-") != descending for o in ordering):
        raise ValueError("keyset ordering must go one way")
    keys = [o.lstrip("-") for o in ordering]
    extra = [k for k in keys if k not in fields]
    columns = list(fields) + extra
    positions = [columns.index(k) for k in keys]
    ordered = queryset.order_by(*ordering)
    last = None
    while True:
        page = ordered if last is None else ordered.filter(_after(keys, last, descending))
        rows = list(page.values_list(*columns)[:chunk])
        for row in rows:
            yield row[:len(fields)] if extra else row
        if len(rows) < chunk:
            return
        last = [rows[-1][p] for p in positions]
