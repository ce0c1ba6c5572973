"""PostgreSQL backend whose every transaction carries the row-level-security scope.

The scope (``kc.scope``) is set with ``set_config(..., true)``: local to the transaction,
so it never outlives it on a pooled server connection. That is what keeps the policies
holding behind PgBouncer in transaction pooling and on read replicas, where consecutive
transactions of one Django connection may run on different server connections.

- Inside a transaction (``atomic``), the scope is set once, before its first statement,
  and again after a change of scope (``rls.set_scope`` marks the connection).
- A query outside any transaction (Django's autocommit) is run in a short transaction
  of its own so that it carries the scope too. Only queries that read or write rows
  need it; other statements (DDL, ``VACUUM``, ``CREATE DATABASE``: some cannot run in a
  transaction at all) run as they are.

The scope itself (``khuyencong.rls.get_scope``) is per thread of execution: the
middleware and the token authentication set it for a request; commands and workers start
with ``KC_DB_SCOPE``.
"""

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base

from khuyencong import rls


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kc_scope_pending = True
        self.execute_wrappers.append(_carry_scope)

    def _set_autocommit(self, autocommit):
        super()._set_autocommit(autocommit)
        if not autocommit:
            self.kc_scope_pending = True

    def _commit(self):
        super()._commit()
        self.kc_scope_pending = True

    def _rollback(self):
        super()._rollback()
        self.kc_scope_pending = True


ROW_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "DECLARE", "COPY")


def _carry_scope(execute, sql, params, many, context):
    connection = context["connection"]
    if connection.alias == NO_DB_ALIAS:  # Django's maintenance connection (create/drop database)
        return execute(sql, params, many, context)
    if connection.get_autocommit():
        if not str(sql).lstrip().upper().startswith(ROW_STATEMENTS):
            return execute(sql, params, many, context)
        with transaction.atomic(using=connection.alias):
            _apply(connection)
            return execute(sql, params, many, context)
    _apply(connection)
    return execute(sql, params, many, context)


def _apply(connection):
    if not connection.kc_scope_pending:
        return
    # The raw psycopg cursor: not through the execute wrappers (no recursion) and not
    # logged as an application query.
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        # JIT off beside the scope, local to the transaction too (a role's or session's
        # setting would not survive PgBouncer's transaction pooling): on the portal's short
        # aggregate queries compiling took 680 of 1,113 ms and saved nothing.
        cursor.execute("SELECT set_config(%s, %s, true), set_config('jit', %s, true)",
                       [rls.SETTING, rls.get_scope(), "on" if settings.KC_DB_JIT else "off"])
    connection.kc_scope_pending = False
