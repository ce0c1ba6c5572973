"""Audit trail: who changed which domain record, when, from where, before and after.

How it is captured
------------------
* ``pre_save`` reads the row as it is in the database before an update (one query per
  saved row; loading rows costs nothing, there is no snapshot per loaded instance);
  ``post_save`` writes an ``AuditEntry`` with only the changed fields (all fields on
  create); ``post_delete`` records the loaded values; ``m2m_changed`` records the ids
  of a many-to-many field before and after.
* Who and from where come from a context variable: the ``AuditContextMiddleware``
  sets it for each request (user resolved lazily, so DRF token users count too),
  Celery's ``task_prerun`` sets ``task:<name>``, management commands run as
  ``command:<name>`` (``manage.py`` sets it for every command, ``AuditedCommand`` for the
  project's commands called with ``call_command``); anything else is ``system``.

What it cannot see
------------------
``bulk_create``, ``bulk_update``, ``QuerySet.update()`` and ``QuerySet.delete()`` on
raw querysets send no per-row save signals, so they leave no entry. Where the code
uses them today:
  - ``applications.services``: cost lines are replaced with ``CostLine.objects.bulk_create``
    (the application's own save, with its new totals, is audited; the lines themselves
    are not, one entry per line would duplicate the totals);
  - ``reports.services``: run status/progress/heartbeat use ``QuerySet.update`` (a report
    run's creation is audited; its progress ticks deliberately are not);
  - ``khuyencong.authentication``: the token's ``last_used_at`` touch;
  - ``provinces.services``: the reference geography (not audited by design).
Any audited change added later must go through ``save()``/``delete()``.
"""

import contextvars
import datetime
import decimal
import ipaddress
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models.fields.files import FieldFile

from .scoping import scope_for

# Models audited: whole apps, plus named models of the other apps. Reference tables
# loaded in bulk (geography, activity types) and technical counters are left out.
AUDITED_APPS = {"programs", "applications"}
AUDITED_MODELS = {"provinces.organisation", "provinces.membership", "reports.reportrun", "khuyencong.apitoken"}
NOT_AUDITED = {"applications.applicationcodesequence", "programs.activitytype"}
# Derived or secret columns that would only add noise (or leak) in the trail.
SKIPPED_FIELDS = {"search_text", "sort_key", "key_hash"}

REQUEST_ID_HEADER = "X-Request-ID"


@dataclass
class AuditContext:
    actor: str = "system"
    request: object = None  # the HttpRequest; its user is read when an entry is written
    user_id: int | None = None
    ip: str | None = None
    request_id: str = ""


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("kc_audit_context", default=None)


def current_context() -> AuditContext:
    context = _context.get()
    if context is not None:
        return context
    return AuditContext(actor=_default_actor())


def _default_actor() -> str:
    argv = sys.argv or [""]
    if argv[0].endswith(("manage.py", "django-admin")):
        return command_actor(argv)
    return "system"


@contextmanager
def audit_context(*, actor: str = "system", user=None, ip: str | None = None, request_id: str = "", request=None):
    """Run a block with this actor (a task, a command, a script) recorded on its audit entries."""
    token = _context.set(AuditContext(actor=actor, request=request, user_id=getattr(user, "pk", None), ip=ip,
                                      request_id=request_id or uuid.uuid4().hex))
    try:
        yield
    finally:
        _context.reset(token)


# --- Request context -------------------------------------------------------------------


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or, behind ``KC_TRUSTED_PROXY_COUNT`` reverse proxies, the address the
    outermost trusted proxy put in X-Forwarded-For. Without trusted proxies the header is
    ignored: a client cannot choose its recorded address by sending it."""
    remote = request.META.get("REMOTE_ADDR") or None
    hops = int(getattr(settings, "KC_TRUSTED_PROXY_COUNT", 0) or 0)
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            remote = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None


def _request_id(request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "").strip()
    # Accept a caller's id only when it is short and plain; otherwise make one.
    if given and len(given) <= 64 and all(c.isalnum() or c in "-_." for c in given):
        return given
    return uuid.uuid4().hex


class AuditContextMiddleware:
    """Sets the audit context (request, address, request id) for the request and returns
    the request id in the ``X-Request-ID`` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _request_id(request)
        request.request_id = request_id
        token = _context.set(AuditContext(actor="", request=request, ip=client_ip(request), request_id=request_id))
        try:
            response = self.get_response(request)
        finally:
            _context.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _actor(context: AuditContext):
    """(user id, actor label) of the context; a request's user is looked up at write time."""
    if context.request is not None:
        user = getattr(context.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.pk, user.get_username()
        return None, context.actor or "anonymous"
    return context.user_id, context.actor


# --- Capture ---------------------------------------------------------------------------


def is_audited(model) -> bool:
    label = model._meta.label_lower
    if label in NOT_AUDITED or model._meta.proxy or not model._meta.managed:
        return False
    return model._meta.app_label in AUDITED_APPS or label in AUDITED_MODELS


def _fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in SKIPPED_FIELDS]


def _json_value(value):
    """Money stays an integer, files by name, dates as ISO strings."""
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "<binary>"
    if isinstance(value, (list, dict, str, int, float, bool)) or value is None:
        return value
    return str(value)


def _snapshot(instance) -> dict:
    """Loaded values by attribute name (deferred fields are simply absent)."""
    data = instance.__dict__
    return {f.attname: _json_value(getattr(instance, f.attname)) for f in _fields(type(instance)) if f.attname in data}


def _province_id(instance):
    path = getattr(type(instance), "tenant_province_path", None)
    if not path:
        return None
    parts = path.split("__")
    try:
        obj = instance
        for part in parts[:-1]:
            obj = getattr(obj, part)
            if obj is None:
                return None
        return getattr(obj, f"{parts[-1]}_id")
    except Exception:  # noqa: BLE001 — a parent already gone must not block the write
        return None


def _write(instance, action: str, before: dict, after: dict, model=None):
    # Imported here: this module is imported before Django is set up (manage.py wraps every
    # command in an audit context), when models cannot be imported yet.
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditEntry

    model = model or type(instance)
    context = current_context()
    user_id, actor = _actor(context)
    AuditEntry.objects.create(
        user_id=user_id, actor=actor[:150], ip=context.ip, request_id=context.request_id[:64],
        content_type=ContentType.objects.get_for_model(model), model_label=model._meta.label_lower,
        object_id=str(instance.pk), object_repr=_safe_str(instance)[:255], action=action,
        before=before, after=after, province_id=_province_id(instance),
    )


def _safe_str(instance) -> str:
    try:
        return str(instance)
    except Exception:  # noqa: BLE001
        return f"{type(instance).__name__} #{instance.pk}"


def _on_pre_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if instance._state.adding or instance.pk is None:
        instance._kc_audit_before = None
        return
    wanted = [f.attname for f in _fields(sender)]
    row = sender._base_manager.filter(pk=instance.pk).values(*wanted).first()
    instance._kc_audit_before = {name: _json_value(value) for name, value in (row or {}).items()}


def _on_post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    after_all = {f.attname: _json_value(getattr(instance, f.attname)) for f in _fields(sender)}
    # FileField values are stored by name; a freshly saved file knows its final name now.
    if created:
        _write(instance, "create", {}, after_all)
    else:
        before_all = getattr(instance, "_kc_audit_before", None) or {}
        names = update_fields if update_fields else after_all.keys()
        attnames = {sender._meta.get_field(n).attname for n in names} if update_fields else set(names)
        # "Last modified" stamps change on every save: the entry's own time says it.
        stamps = {f.attname for f in sender._meta.concrete_fields if getattr(f, "auto_now", False)}
        before = {k: before_all.get(k) for k in attnames
                  if k in after_all and k not in stamps and before_all.get(k) != after_all[k]}
        after = {k: after_all[k] for k in before}
        if before:
            _write(instance, "update", before, after)
    instance._kc_audit_before = None


def _on_post_delete(sender, instance, **kwargs):
    # Only loaded values: reading a deferred field now would query a row that is gone.
    before = _snapshot(instance)
    _write(instance, "delete", before, {})


def _m2m_ids(instance, accessor) -> list:
    return sorted(getattr(instance, accessor).values_list("pk", flat=True))


def _make_m2m_handler(field):
    forward = field.model

    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        accessor = field.remote_field.get_accessor_name() if reverse else field.name
        owner = type(instance)
        if not is_audited(owner) or accessor is None:
            return
        if action.startswith("pre_"):
            instance._kc_audit_m2m = getattr(instance, "_kc_audit_m2m", {})
            instance._kc_audit_m2m[accessor] = _m2m_ids(instance, accessor)
            return
        before_ids = getattr(instance, "_kc_audit_m2m", {}).pop(accessor, None)
        after_ids = _m2m_ids(instance, accessor)
        if before_ids is None or before_ids == after_ids:
            return
        _write(instance, "update", {accessor: before_ids}, {accessor: after_ids}, model=owner)

    handler.__name__ = f"audit_m2m_{forward._meta.label_lower}_{field.name}"
    return handler


_m2m_handlers = []


def connect():
    """Connect the signals for every audited model (called from ``AppConfig.ready``)."""
    from django.apps import apps
    from django.db.models import signals

    for model in apps.get_models():
        if not is_audited(model):
            continue
        uid = f"kc_audit_{model._meta.label_lower}"
        signals.pre_save.connect(_on_pre_save, sender=model, dispatch_uid=uid)
        signals.post_save.connect(_on_post_save, sender=model, dispatch_uid=uid)
        signals.post_delete.connect(_on_post_delete, sender=model, dispatch_uid=uid)
        for field in model._meta.local_many_to_many:
            handler = _make_m2m_handler(field)
            _m2m_handlers.append(handler)  # receivers are weak references by default
            signals.m2m_changed.connect(handler, sender=field.remote_field.through,
                                        dispatch_uid=f"{uid}_{field.name}")
    _connect_celery()


def _connect_celery():
    from celery.signals import task_postrun, task_prerun

    tokens = {}

    def prerun(task_id=None, task=None, **kwargs):
        if _context.get() is not None:
            return  # an eager task inside a request or command: keep that actor
        tokens[task_id] = _context.set(AuditContext(actor=f"task:{task.name}"[:150], request_id=task_id or ""))

    def postrun(task_id=None, **kwargs):
        token = tokens.pop(task_id, None)
        if token is not None:
            try:
                _context.reset(token)
            except ValueError:  # reset from another context (eager nesting): just clear
                _context.set(None)

    _m2m_handlers.extend([prerun, postrun])
    task_prerun.connect(prerun, dispatch_uid="kc_audit_task_prerun")
    task_postrun.connect(postrun, dispatch_uid="kc_audit_task_postrun")


def command_actor(argv) -> str:
    """``command:<name>`` for a ``manage.py``/``django-admin`` command line, else ``system``."""
    argv = argv or [""]
    return f"command:{argv[1]}" if len(argv) > 1 else "system"


class AuditedCommand(BaseCommand):
    """Base of the project's management commands: run (also through ``call_command``)
    as ``command:<name>``, unless already inside a context (a command calling another)."""

    def execute(self, *args, **options):
        if _context.get() is not None:
            return super().execute(*args, **options)
        name = type(self).__module__.rsplit(".", 1)[-1]
        with audit_context(actor=f"command:{name}"):
            return super().execute(*args, **options)


def can_browse(user) -> bool:
    scope = scope_for(user)
    return scope.superuser or scope.audit_all or bool(scope.audit_province_ids)
