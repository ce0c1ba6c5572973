"""Tenancy scope of a user, and the one queryset entry point ``visible_to(user)``.

A user's scope is read once per request from their memberships. Models declare
where their province (and commune) sit; ``ScopedQuerySet.visible_to`` turns the
scope into a filter. Everything that reads tenant data goes through it.
"""

from dataclasses import dataclass, field

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

    @property
    def is_empty(self) -> bool:
        return not (self.national or self.province_ids or self.commune_ids)

    @property
    def read_only(self) -> bool:
        from provinces.choices import READ_ONLY_ROLES

        return not self.superuser and bool(self.roles) and self.roles <= READ_ONLY_ROLES

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


def scope_for(user) -> Scope:
    """The scope of ``user``, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_kc_scope", None)
    if cached is not None:
        return cached
    from provinces.choices import AGENCY_ROLES, Role
    from provinces.models import Membership

    national = user.is_superuser
    provinces, communes, commune_provinces, roles = set(), set(), set(), set()
    by_province: dict = {}
    rows = Membership.objects.filter(user=user, is_active=True).values_list(
        "role", "organisation__province_id", "organisation__commune_id"
    )
    for role, province_id, commune_id in rows:
        roles.add(role)
        if province_id is None:
            # An Agency membership: every Agency role (and an Agency auditor) sees all.
            if role in AGENCY_ROLES or role in (Role.AUDITOR, Role.COUNCIL_MEMBER):
                national = True
            by_province.setdefault(None, set()).add(role)
        elif role == Role.COMMUNE_OFFICER and commune_id is not None:
            communes.add(commune_id)
            commune_provinces.add(province_id)
            by_province.setdefault(province_id, set()).add(role)
        else:
            provinces.add(province_id)
            by_province.setdefault(province_id, set()).add(role)
    scope = Scope(
        national=national,
        province_ids=frozenset(provinces),
        commune_ids=frozenset(communes),
        commune_province_ids=frozenset(commune_provinces),
        roles=frozenset(roles),
        roles_by_province=by_province,
        superuser=user.is_superuser,
    )
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

    def visible_to(self, user):
        scope = scope_for(user)
        if scope.national:
            return self.all()
        if scope.is_empty:
            return self.none()
        q = self.scope_q(scope)
        if q is None:
            return self.all()
        return self.filter(q)
