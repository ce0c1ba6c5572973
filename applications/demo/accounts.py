"""The demo accounts: organisations and one account per role for Tây Ninh, TP Hồ Chí Minh and
the Agency, sharing the demo password. Idempotent."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from khuyencong.security import DEMO_PASSWORD
from provinces.choices import Role
from provinces.models import Commune, Province
from provinces.services import agency_get_or_create, member_add, province_centre_get_or_create

# (province code, username prefix, commune code for the commune officer)
DEMO_PROVINCES = [(80, "tayninh", 25459), (79, "hcm", 26824)]
DEPARTMENT_DEMO_ROLES = [Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER, Role.COUNCIL_MEMBER, Role.AUDITOR]
AGENCY_DEMO_ROLES = [Role.AGENCY_OFFICER, Role.AGENCY_APPROVER, Role.COUNCIL_MEMBER, Role.AUDITOR]
# Council members per province: a council of three is the smallest that can appraise.
COUNCIL_SIZE = 3


@dataclass
class DemoAccount:
    username: str
    role: str
    where: str


def _short(role: str) -> str:
    return {
        Role.PROVINCE_OFFICER: "canbo",
        Role.PROVINCE_APPROVER: "lanhdao",
        Role.COUNCIL_MEMBER: "hoidong",
        Role.COMMUNE_OFFICER: "xa",
        Role.AGENCY_OFFICER: "chuyenvien",
        Role.AGENCY_APPROVER: "lanhdao",
        Role.AUDITOR: "kiemtoan",
    }[role]


def _hash_demo_passwords(usernames, password: str) -> None:
    """Hash the shared demo password once for all new demo accounts (hashing is slow
    on purpose; twenty-odd hashes would dominate the quick start)."""
    hashed = make_password(password)
    get_user_model().objects.filter(username__in=usernames, password__startswith="!").update(password=hashed)


def seed_accounts(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    accounts = []
    existing = set(get_user_model().objects.values_list("username", flat=True))
    agency = agency_get_or_create()
    for role in AGENCY_DEMO_ROLES:
        count = COUNCIL_SIZE if role == Role.COUNCIL_MEMBER else 1
        for i in range(1, count + 1):
            suffix = str(i) if count > 1 else ""
            username = f"cuc_{_short(role)}{suffix}"
            member_add(username=username, role=role, password=None,
                       organisation=agency, email=f"{username}@khuyencong.example")
            accounts.append(DemoAccount(username, role, agency.name))
    for code, prefix, commune_code in DEMO_PROVINCES:
        province = Province.objects.get(code=code)
        province_centre_get_or_create(province=province)
        for role in DEPARTMENT_DEMO_ROLES:
            count = COUNCIL_SIZE if role == Role.COUNCIL_MEMBER else 1
            for i in range(1, count + 1):
                suffix = str(i) if count > 1 else ""
                username = f"{prefix}_{_short(role)}{suffix}"
                member_add(username=username, role=role, province=province,
                           password=None, email=f"{username}@khuyencong.example")
                accounts.append(DemoAccount(username, role, province.name))
        commune = Commune.objects.get(code=commune_code)
        username = f"{prefix}_{_short(Role.COMMUNE_OFFICER)}"
        member_add(username=username, role=Role.COMMUNE_OFFICER, province=province, commune=commune,
                   password=None, email=f"{username}@khuyencong.example")
        accounts.append(DemoAccount(username, Role.COMMUNE_OFFICER, f"{commune.name}, {province.name}"))
    new_users = [a.username for a in accounts if a.username not in existing]
    _hash_demo_passwords(new_users, password)
    return accounts
