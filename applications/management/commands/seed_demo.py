"""Seed demo organisations, accounts (printed with their password) and data. Idempotent."""

from django.core.management.base import CommandError
from django.db import transaction

from applications import demo
from khuyencong.audit import AuditedCommand
from khuyencong.security import DEMO_PASSWORD
from provinces.choices import Role
from provinces.models import Province


class Command(AuditedCommand):
    help = "Tạo dữ liệu và tài khoản mẫu (chạy lại không tạo trùng)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args, password, **options):
        if not Province.objects.filter(code__in=[c for c, _p, _x in demo.DEMO_PROVINCES]).exists():
            raise CommandError("Chưa nạp địa giới: chạy `python manage.py load_admin_units` trước.")
        with transaction.atomic():
            accounts = demo.seed_accounts(password=password)
            extra = demo.seed_data()
        self.stdout.write(self.style.SUCCESS(f"Tài khoản mẫu / demo accounts (mật khẩu / password: {password})"))
        for account in accounts:
            self.stdout.write(f"  {account.username:<22} {Role(account.role).label:<34} {account.where}")
        for line in extra:
            self.stdout.write(f"  {line}")
