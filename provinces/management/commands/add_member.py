"""Give a user a role in the Agency, a province or a commune (creates the user if missing)."""

from django.core.management.base import CommandError

from khuyencong.audit import AuditedCommand
from provinces.choices import Role
from provinces.models import Commune, Province
from provinces.services import member_add


class Command(AuditedCommand):
    help = "Thêm người dùng vào Cục, một tỉnh hoặc một xã với một vai trò (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--agency", action="store_true", help="thành viên của Cục")
        where.add_argument("--province", help="mã tỉnh/thành (NSO), ví dụ 80")
        parser.add_argument("--commune", help="mã xã/phường (NSO), cho cán bộ xã")
        parser.add_argument("--password")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, agency, province, commune, password, email, **options):
        province_obj = commune_obj = None
        if province:
            try:
                province_obj = Province.objects.get(code=int(province))
            except (ValueError, Province.DoesNotExist) as exc:
                raise CommandError(f"Không có tỉnh/thành mã {province!r} / no province with that code") from exc
        if commune:
            if agency:
                raise CommandError("--commune chỉ dùng cùng --province / --commune needs --province")
            try:
                commune_obj = Commune.objects.get(code=int(commune))
            except (ValueError, Commune.DoesNotExist) as exc:
                raise CommandError(f"Không có xã/phường mã {commune!r} / no commune with that code") from exc
        if role == Role.COMMUNE_OFFICER and commune_obj is None:
            raise CommandError("Vai trò commune_officer cần --commune / commune_officer needs --commune")
        if agency and role in (Role.PROVINCE_OFFICER, Role.PROVINCE_APPROVER, Role.COMMUNE_OFFICER):
            raise CommandError(f"Vai trò {role} không thuộc Cục / {role} is not an Agency role")
        if not agency and role in (Role.AGENCY_OFFICER, Role.AGENCY_APPROVER):
            raise CommandError(f"Vai trò {role} chỉ dành cho Cục (--agency) / {role} needs --agency")
        try:
            user, membership, user_created, membership_created = member_add(
                username=username, role=role, province=province_obj, commune=commune_obj, password=password,
                email=email,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"{'Đã tạo' if user_created else 'Đã có'} người dùng {user.username}; "
            f"{'đã thêm' if membership_created else 'đã có'}: {membership}"
        ))
