"""Bounds on what a user may type, shared by forms, serializers and services: generous for
any real scheme, small enough that no figure overflows a database column (BIGINT) or a
page."""

# Đồng: 10^15 is a million billion, far above the whole programme's budget and well inside
# BIGINT even when summed over every scheme of the country.
MAX_MONEY = 10**15
MAX_QUANTITY = 10**9
# Characters of free text (a note, a narrative, findings).
MAX_TEXT = 10_000
