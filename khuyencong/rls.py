"""Row-level security on PostgreSQL: defence in depth under the application-level
``visible_to`` scoping. **PostgreSQL only**; on SQLite (the quick start) every function
here does nothing and the application-level scoping is the only guard.

How it works:
- Every province-owned table gets a policy (created after each ``migrate`` by a
  ``post_migrate`` handler, idempotently) that shows a row only when the setting
  ``kc.scope`` is ``all`` or lists the row's province. The records of an application carry
  its province in a column of their own (kept equal to the parent's by a composite
  foreign key), so their policy is the same column test; the few small tables still owned
  only through a parent follow the parent's policy with a subquery. Rows with no
  province — national programmes, the Agency — are visible to all.
- Just-in-time compilation is off in every transaction of the portal (set beside the
  scope): on these short aggregate queries compiling costs far more than it saves.
- The application connects as a login role that is a member of ``kc_app`` (or
  ``SET ROLE``s to it via ``DATABASE_ROLE`` when no pooler sits between), which owns
  nothing and so cannot bypass the policies. Migrations run as the owner, which the
  policies do not restrict.
- The scope is a per-thread value (:func:`get_scope`): set for each web request (session
  users in the middleware, token users when the token is authenticated), put back
  after the response, ``all`` for management commands and Celery workers
  (``KC_DB_SCOPE=all``) and empty — nothing visible — anywhere else. The PostgreSQL
  backend ``khuyencong.db.postgresql`` sets it with ``set_config(..., true)`` into every
  transaction (a statement outside one gets a transaction of its own), never into the
  session: behind PgBouncer in transaction pooling, or on a replica, no server
  connection carries one caller's scope into another's transaction.
- A streamed response is read after the middleware has put the scope back; it reads its
  rows in a transaction of its own under the scope captured when it was made
  (:func:`carry_scope`).

The database's scope is coarser than the application's on purpose: a commune
officer's database scope is their province; the finer commune filter stays in
``visible_to``.
"""

import logging
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, connections, transaction

from .db import router
from .scoping import scope_for

log = logging.getLogger(__name__)

APP_ROLE = "kc_app"
SETTING = "kc.scope"
TENANT_APPS = ("provinces", "programs", "applications", "reports", "khuyencong", "notifications", "fieldwork")
# Tables with a path to a province that deliberately have no policy, and why. A new
# province-owned table must either get a policy (declare ``tenant_province_path``) or
# be listed here: tests/test_rls.py fails otherwise.
EXEMPT_TABLES = {
    "provinces_commune": "reference data: the communes are public",
    "applications_application_establishments": "id pairs only; a policy here would recurse with the "
                                                "application's commune rule",
    "programs_call_activity_types": "id pairs only (call × activity type)",
    "applications_contract_documents": "id pairs only",
    "applications_disbursement_documents": "id pairs only",
    "applications_progressreport_documents": "id pairs only",
    "applications_inspection_documents": "id pairs only",
    "provinces_region_provinces": "reference data",
}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def scope_value(user) -> str:
    """``all``, a comma-separated list of province codes, or '' (nothing)."""

    scope = scope_for(user)
    if scope.national:
        return "all"
    provinces = set(scope.province_ids) | set(scope.commune_province_ids)
    return ",".join(str(code) for code in sorted(provinces))


_scope: ContextVar[str | None] = ContextVar("kc_db_scope", default=None)


def get_scope() -> str:
    """The database scope of this thread of execution: what the request (or command, or
    worker) may see. Set into every transaction by ``khuyencong.db.postgresql``."""
    value = _scope.get()
    return os.environ.get("KC_DB_SCOPE", "") if value is None else value


def set_scope(value: str) -> None:
    """Change the scope; every open connection applies it before its next statement."""
    _scope.set(value)
    if is_postgres():
        for conn in connections.all(initialized_only=True):
            if hasattr(conn, "kc_scope_pending"):
                conn.kc_scope_pending = True


def carry_scope(rows: Iterable) -> Iterable:
    """Make a lazy iterable of rows read under the database scope in force *now*.

    A streamed response is produced after the view has returned, when the middleware has
    already cleared the scope, so a queryset read then would see nothing under row-level
    security. The returned generator reads ``rows`` inside a transaction of its own and
    sets the captured scope locally to that transaction (``set_config(..., true)``), so it
    ends with the transaction and never leaks to the next user of a pooled connection.
    The transaction also lets ``QuerySet.iterator()`` use a server-side cursor, which
    streams in chunks in constant memory, even behind a transaction-pooling PgBouncer."""
    if not is_postgres():
        return rows

    return _rows_in_scope(rows, get_scope(), router.replica_reads_enabled())


def _rows_in_scope(rows: Iterable, scope: str, replica: bool) -> Iterator:

    previous = get_scope()
    set_scope(scope)
    try:
        # The view may have chosen a replica for its reads: the rows come from there too.
        with router.replica_reads(replica), transaction.atomic(using=router.read_alias()):
            yield from rows
    finally:
        set_scope(previous)


def apply_for_user(user) -> None:
    """Set the database scope of ``user``. Their memberships (which say what the scope
    is) sit in tables the policies filter, so they are read in a brief ``all`` window
    inside this trusted function before the real scope is set."""
    if not is_postgres():
        return
    if user is not None and getattr(user, "is_authenticated", False):
        set_scope("all")
        try:
            value = scope_value(user)
        except Exception:
            set_scope("")
            raise
    else:
        value = ""
    set_scope(value)


def reset_scope() -> None:
    """Back to the process's default scope (``all`` for commands and workers, nothing for
    web servers)."""
    set_scope(os.environ.get("KC_DB_SCOPE", ""))


class RowLevelSecurityMiddleware:
    """Sets the database scope of the signed-in user for the request, and clears it after."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_postgres():
            apply_for_user(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            if is_postgres():
                try:
                    reset_scope()
                except Exception:  # noqa: BLE001 - a dead connection must not mask the response
                    log.warning("could not reset the database scope", exc_info=True)


# --- Policies -------------------------------------------------------------------------------


def _scope_condition(column: str, nullable: bool) -> str:
    # string_to_array('', ',') is '{}': an empty scope matches no province.
    condition = (f"(current_setting('{SETTING}', true) = 'all' OR {column}::text = ANY("
                 f"string_to_array(coalesce(current_setting('{SETTING}', true), ''), ',')))")
    return f"({column} IS NULL OR {condition})" if nullable else condition


def _has_own_province(model) -> bool:
    try:
        field = model._meta.get_field("province")
    except FieldDoesNotExist:
        return False
    return field.concrete and field.is_relation and field.related_model._meta.db_table == "provinces_province"


def policy_condition(model) -> str | None:
    """The USING / WITH CHECK expression for a model's table, from its tenant path."""
    path = getattr(model, "tenant_province_path", None)
    if not path:
        return None
    parts = path.split("__")
    if parts == ["province"] or _has_own_province(model):
        # Records of a parent that carry the parent's province (denormalised, kept equal
        # by a constraint) get the plain column test: a subquery policy would force a full
        # scan of the child table on every query.
        field = model._meta.get_field("province")
        return _scope_condition(field.column, field.null)
    # Owned through a parent: the parent's policy decides (its table is itself filtered).
    field = model._meta.get_field(parts[0])
    parent = field.related_model
    parent_table = parent._meta.db_table
    parent_pk = parent._meta.pk.column
    expression = f"{field.column} IN (SELECT {parent_pk} FROM {parent_table})"
    return f"({field.column} IS NULL OR {expression})" if field.null else f"({expression})"


def tenant_models():
    for app_label in TENANT_APPS:
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models():
            if getattr(model, "tenant_province_path", None):
                yield model


def install_policies(using_connection=None, verbosity: int = 1) -> int:
    """Create the role, grants and one policy per province-owned table. Idempotent."""
    conn = using_connection or connection
    if conn.vendor != "postgresql":
        return 0
    count = 0
    with conn.cursor() as cursor:
        # The role is cluster-wide; parallel migrations (several test databases) may race.
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"
        )
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        existing = set(conn.introspection.table_names(cursor))
        for model in tenant_models():
            table = model._meta.db_table
            condition = policy_condition(model)
            if table not in existing or condition is None:
                continue
            cursor.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            cursor.execute(f'DROP POLICY IF EXISTS kc_tenant ON "{table}"')
            cursor.execute(f'CREATE POLICY kc_tenant ON "{table}" FOR ALL TO PUBLIC USING {condition} '
                           f"WITH CHECK {condition}")
            count += 1
    if verbosity >= 2:
        log.info("row-level security: %s policies", count)
    return count


def on_post_migrate(sender, using="default", verbosity=1, **kwargs):

    # Once per migrate run is enough: hook on the last tenant app.
    if sender.label != "reports":
        return
    install_policies(connections[using], verbosity)
