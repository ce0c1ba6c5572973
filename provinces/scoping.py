"""How a user's tenancy scope is built from their memberships (registered with
``khuyencong.scoping`` when the app is ready; everything else calls ``scope_for``)."""

from khuyencong.scoping import Scope

from .choices import AGENCY_ROLES, PROVINCE_STAFF, READ_ONLY_ROLES, Role
from .models import Membership


def build_scope(user) -> Scope:
    """The scope of an active, signed-in ``user`` from their active memberships."""
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
        read_only=not user.is_superuser and bool(roles) and roles <= READ_ONLY_ROLES,
        audit_all=bool(by_province.get(None, set()) & (AGENCY_ROLES | {Role.AUDITOR})),
        audit_province_ids=frozenset(pid for pid, held in by_province.items()
                                     if pid is not None and Role.AUDITOR in held),
        staff_province_ids=frozenset(pid for pid, held in by_province.items()
                                     if pid is not None and held & PROVINCE_STAFF),
        approver_province_ids=frozenset(pid for pid, held in by_province.items()
                                        if pid is not None and Role.PROVINCE_APPROVER in held),
        agency_approver=Role.AGENCY_APPROVER in by_province.get(None, set()),
    )
    return scope
