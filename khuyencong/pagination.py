"""API list pagination: page numbers (``page``, ``page_size`` ≤ 500) and, beside them, a
keyset cursor for deep pages and sync clients (``cursor``).

- ``count`` is exact for small results; when the planner expects ``KC_EXACT_COUNT_LIMIT``
  rows or more (PostgreSQL), it is the planner's estimate instead, and a large count that
  had to be made exactly is kept in the cache for ``KC_COUNT_CACHE_SECONDS``, so pages do
  not count hundreds of thousands of rows each time. ``count_kind`` says which (``exact`` |
  ``estimate`` | ``cached``); a list whose count is not exact pages on without a last page
  number (``next`` is given while a page is full).
- Every page carries ``next_cursor``; ``?cursor=<it>`` returns the rows after that page's
  last row by the list's ordering (``?cursor=`` starts at the top). A cursor page costs
  the same at row 25,000 as at row 50, where ``page=500`` must skip every row before it.
"""

import base64
import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .db.keyset import _after


def planner_estimate(queryset) -> int | None:
    """The number of rows PostgreSQL's planner expects ``queryset`` to return (row-level
    security included), or None on other databases."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _count_key(queryset) -> str:
    from . import rls

    sql, params = queryset.order_by().query.sql_with_params()
    digest = hashlib.sha256(repr((queryset.db, sql, params, rls.get_scope())).encode()).hexdigest()
    return f"kc:count:v1:{digest}"


class EstimatingPaginator(Paginator):
    count_kind = "exact"

    @cached_property
    def count(self):
        limit = settings.KC_EXACT_COUNT_LIMIT
        if (not limit or not hasattr(self.object_list, "query")
                or connections[self.object_list.db].vendor != "postgresql"):
            return super().count
        try:
            key = _count_key(self.object_list)
        except EmptyResultSet:  # provably empty (e.g. a filter on no ids): nothing to count
            return 0
        cached = cache.get(key)
        if cached is not None:
            self.count_kind = "cached"
            return cached
        estimate = planner_estimate(self.object_list)
        if estimate is not None and estimate >= limit:
            self.count_kind = "estimate"
            return estimate
        # The planner cannot see through a row-level-security policy (it guesses ~1 % of
        # the rows pass), so a large list may still be counted here: its count is kept
        # for KC_COUNT_CACHE_SECONDS and the next pages say "cached".
        exact = super().count
        if exact >= limit:
            cache.set(key, exact, settings.KC_COUNT_CACHE_SECONDS)
        return exact

    def validate_number(self, number):
        if self.count == 0 or self.count_kind == "exact":
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise InvalidPage(_("Số trang không hợp lệ.")) from exc
        if number < 1:
            raise EmptyPage(_("Số trang không hợp lệ."))
        return number

    def page(self, number):
        number = self.validate_number(number)
        if self.count == 0 or self.count_kind == "exact":
            return super().page(number)
        # An estimate is no bound: read one row more to know whether a next page exists.
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(_("Trang này không có kết quả."))
        page = OpenEndedPage(rows[:self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page


class OpenEndedPage(Page):
    more = False

    def has_next(self):
        return self.more


def encode_cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(token: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError as exc:
        raise ValidationError({"cursor": [_("Con trỏ trang không hợp lệ.")]}) from exc
    if not isinstance(values, list):
        raise ValidationError({"cursor": [_("Con trỏ trang không hợp lệ.")]})
    return values


class PortalPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = EstimatingPaginator
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.keys = self._keyset_keys(queryset)
        self.cursor_mode = self.cursor_query_param in request.query_params and self.keys is not None
        if not self.cursor_mode:
            rows = super().paginate_queryset(queryset, request, view)
            self.last = rows[-1] if rows else None
            return rows
        page_size = self.get_page_size(request)
        token = request.query_params[self.cursor_query_param]
        ordered = queryset
        if token:
            values = decode_cursor(token)
            if len(values) != len(self.keys):
                raise ValidationError({"cursor": [_("Con trỏ trang không hợp lệ.")]})
            ordered = queryset.filter(_after(self.keys, values, self.descending))
        rows = list(ordered[:page_size + 1])
        self.more = len(rows) > page_size
        rows = rows[:page_size]
        self.last = rows[-1] if rows else None
        self.paginator = EstimatingPaginator(queryset, page_size)
        return rows

    def _keyset_keys(self, queryset):
        """The list's ordering as keyset keys, if it can serve a cursor: plain field names,
        all one direction (the last one unique: every list ends its ordering with one)."""
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        if not ordering or not all(isinstance(o, str) for o in ordering):
            return None
        descending = {o.startswith("-") for o in ordering}
        if len(descending) != 1:
            return None
        keys = [o.lstrip("-") for o in ordering]
        for key in keys:
            if key == "pk":
                continue
            try:
                field = queryset.model._meta.get_field(key)
            except FieldDoesNotExist:
                if not any(f.attname == key for f in queryset.model._meta.concrete_fields):
                    return None
                continue
            if (field.is_relation and key == field.name) or field.null:  # by name, a relation orders by its model
                return None
        self.descending = descending.pop()
        return keys

    def next_cursor(self):
        if self.keys is None or self.last is None:
            return None
        if self.cursor_mode and not self.more:
            return None
        if not self.cursor_mode and not self.page.has_next():
            return None
        return encode_cursor([getattr(self.last, "pk" if key == "pk" else key) for key in self.keys])

    def get_next_link(self):
        if not self.cursor_mode:
            return super().get_next_link()
        cursor = self.next_cursor()
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        if self.cursor_mode:
            return Response({"count": self.paginator.count, "count_kind": self.paginator.count_kind,
                             "next": self.get_next_link(), "previous": None, "next_cursor": self.next_cursor(),
                             "results": data})
        return Response({"count": self.page.paginator.count, "count_kind": self.page.paginator.count_kind,
                         "next": self.get_next_link(), "previous": self.get_previous_link(),
                         "next_cursor": self.next_cursor(), "results": data})

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_kind"] = {"type": "string", "enum": ["exact", "estimate", "cached"]}
        schema["properties"]["next_cursor"] = {"type": "string", "nullable": True}
        return schema

    def get_schema_operation_parameters(self, view):
        # The limits are part of the contract: a generated client validates them.
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": self.max_page_size,
                                       "default": self.page_size}
        return parameters
