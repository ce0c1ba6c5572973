"""Structured logs: every record carries the request id, the user, their province scope
and the Celery task id, and a task's records carry the id of the request that queued it.

The fields come from context variables (the audit context of a request, the task context
set here), read without touching the database: a log call must never query."""

import contextvars
import logging

from django.utils.functional import SimpleLazyObject, empty

from .audit import _context

REQUEST_ID_HEADER = "kc_request_id"  # Celery message header carrying the request id into tasks

_task: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kc_log_task", default=None)


def _loaded_user(request):
    """The request's user if something already loaded it, else None (never queries)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return user


def _scope_label(user) -> str:
    scope = getattr(user, "_kc_scope", None)  # cached by khuyencong.scoping.scope_for
    if scope is None:
        return ""
    if scope.national:
        return "all"
    return ",".join(str(code) for code in sorted(set(scope.province_ids) | set(scope.commune_province_ids)))


def current_request_id() -> str:

    context = _context.get()
    if context is not None and context.request is not None:
        return context.request_id
    task = _task.get()
    if task is not None:
        return task.get("request_id") or ""
    return context.request_id if context is not None else ""


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``user``, ``scope`` and ``task_id`` to every record."""

    def filter(self, record):

        request_id = user_label = scope = task_id = ""
        context = _context.get()
        request = context.request if context is not None else None
        # Django logs a 4xx/5xx response after the middleware chain has returned (the audit
        # context is gone then), with the request on the record.
        request = request if request is not None else getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            request_id = getattr(request, "request_id", "") or (context.request_id if context else "")
            user = _loaded_user(request)
            if user is not None and getattr(user, "is_authenticated", False):
                user_label = user.get_username()
                scope = _scope_label(user)
        task = _task.get()
        if task is not None:
            task_id = task["task_id"]
            request_id = request_id or task.get("request_id") or ""
            user_label = user_label or task.get("actor", "")
            scope = scope or "all"  # workers see every province (row-level security scope "all")
        record.request_id = request_id
        record.user = user_label
        record.scope = scope
        record.task_id = task_id
        return True


def connect_celery():
    """Carry the request id into the messages a request queues, and set the task context
    while a task runs."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    tokens = {}

    def publish(headers=None, **kwargs):
        request_id = current_request_id()
        if headers is not None and request_id:
            headers.setdefault(REQUEST_ID_HEADER, request_id)

    def prerun(task_id=None, task=None, **kwargs):
        request = getattr(task, "request", None)
        carried = getattr(request, REQUEST_ID_HEADER, None) or (getattr(request, "headers", None) or {}).get(
            REQUEST_ID_HEADER)
        tokens[task_id] = _task.set({"task_id": task_id or "", "request_id": carried or current_request_id(),
                                     "actor": f"task:{getattr(task, 'name', '')}"})

    def postrun(task_id=None, **kwargs):
        token = tokens.pop(task_id, None)
        if token is not None:
            try:
                _task.reset(token)
            except ValueError:  # reset from another context (should not happen with the solo/prefork pools)
                _task.set(None)

    before_task_publish.connect(publish, dispatch_uid="kc_logs_publish", weak=False)
    task_prerun.connect(prerun, dispatch_uid="kc_logs_prerun", weak=False)
    task_postrun.connect(postrun, dispatch_uid="kc_logs_postrun", weak=False)
