"""Tenancy scope of a user, and the one queryset entry point ``visible_to(user, action)``.

A user's scope is read once per request from their memberships (the builder is
``provinces.scoping.build_scope``). Models declare
where their province (and commune) sit; ``ScopedQuerySet.visible_to`` turns the
scope into a filter. Everything that reads tenant data goes through it.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import models


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything (national), some provinces, some communes."""

    national: bool = False
    province_ids: frozenset = field(default_factory=frozenset)
    commune_ids: frozenset = field(default_factory=frozenset)
    # Provinces of the communes above: a commune officer reads some province-wide
    # records (the Sở, the province's programmes) without seeing the whole province.
    commune_province_ids: frozenset = field(default_factory=frozenset)
    roles: frozenset = field(default_factory=frozenset)
    # Roles by province id (None for Agency memberships) so checks can ask
    # "is this user an approver *in this province*".
    roles_by_province: dict = field(default_factory=dict, compare=False, hash=False)
    superuser: bool = False
    read_only: bool = False  # only read-only roles (auditors)
    # Who reads the audit trail: every entry (Agency staff, an Agency auditor), or the
    # entries of the provinces where they are auditors.
    audit_all: bool = False
    audit_province_ids: frozenset = field(default_factory=frozenset)
    # Where the user is on the staff of the province's Department (writes, records), where
    # they approve for the province, and whether they approve for the Agency.
    staff_province_ids: frozenset = field(default_factory=frozenset)
    approver_province_ids: frozenset = field(default_factory=frozenset)
    agency_approver: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.national or self.province_ids or self.commune_ids)


    def has_role(self, *roles, province_id=None) -> bool:
        """True when the user holds one of ``roles``; with ``province_id``, held for that province.

        Agency memberships (province None) count for every province.
        """
        if province_id is None:
            return bool(self.roles & set(roles))
        wanted = set(roles)
        return bool(self.roles_by_province.get(province_id, set()) & wanted) or bool(
            self.roles_by_province.get(None, set()) & wanted
        )


EMPTY_SCOPE = Scope()
# What a caller does with rows (``visible_to(user, action=...)``).
ACTIONS = ("view", "edit", "record", "decide")

# Who builds a user's scope from their memberships: tenancy lives in ``provinces``, which
# registers its builder when the apps are ready, so this module imports no app.
_builder = None


def set_scope_builder(builder) -> None:
    global _builder
    _builder = builder


def scope_for(user) -> Scope:
    """The scope of ``user``, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_kc_scope", None)
    if cached is not None:
        return cached
    if _builder is None:
        raise ImproperlyConfigured("No scope builder: is the provinces app installed?")
    scope = _builder(user)
    user._kc_scope = scope
    return scope


class ScopedQuerySet(models.QuerySet):
    """QuerySet with the tenancy filter. Models set ``tenant_province_path`` and
    optionally ``tenant_commune_path`` (lookups from the model); models without a
    province (reference data) set ``tenant_province_path = None`` and are visible
    to every user with a role.
    """

    def scope_q(self, scope: Scope) -> models.Q | None:
        """The filter for a non-national scope; None means reference data (no filter)."""
        model = self.model
        province_path = getattr(model, "tenant_province_path", None)
        if province_path is None:
            return None
        q = models.Q(**{f"{province_path}__in": scope.province_ids}) if scope.province_ids else models.Q(pk__in=[])
        commune_path = getattr(model, "tenant_commune_path", None)
        if scope.commune_ids and commune_path:
            q |= models.Q(**{f"{commune_path}__in": scope.commune_ids})
        null_visible = getattr(model, "tenant_null_province_visible", False)
        if null_visible:
            q |= models.Q(**{f"{province_path}__isnull": True})
        return q

    def action_q(self, scope: Scope, action: str) -> models.Q:
        """Among the rows the scope sees, those it may ``action``: by default the staff of
        the row's province (and a commune officer on their commune's rows) write them.
        Models with other rules (who records, who decides) override this."""
        model = self.model
        province_path = getattr(model, "tenant_province_path", None)
        if province_path is None:
            return models.Q(pk__in=[])  # reference data is managed by superusers only
        q = models.Q(**{f"{province_path}__in": scope.staff_province_ids})
        commune_path = getattr(model, "tenant_commune_path", None)
        if scope.commune_ids and commune_path:
            q |= models.Q(**{f"{commune_path}__in": scope.commune_ids})
        return q

    def visible_to(self, user, action: str = "view"):
        """The rows ``user`` may see (``action="view"``), or among them those they may
        ``edit``, ``record`` on or ``decide``. Outside the result is outside the caller's
        reach: a 404 for a page or an endpoint, never a 403 that confirms the row exists."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
        scope = scope_for(user)
        if scope.national:
            qs = self.all()
        elif scope.is_empty:
            return self.none()
        else:
            q = self.scope_q(scope)
            qs = self.all() if q is None else self.filter(q)
        if action == "view" or scope.superuser:
            return qs
        if scope.read_only:
            return qs.none()
        return qs.filter(self.action_q(scope, action))
