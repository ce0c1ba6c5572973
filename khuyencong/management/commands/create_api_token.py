"""Create an API token for a user; the key is printed once and only its hash is kept."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from khuyencong.audit import AuditedCommand
from khuyencong.services import api_token_create


class Command(AuditedCommand):
    help = "Tạo khóa API cho người dùng (in ra một lần duy nhất)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--read-only", action="store_true", help="khóa chỉ đọc")
        parser.add_argument("--days", type=int, help="số ngày hiệu lực")
        parser.add_argument("--name", default="", help="tên gợi nhớ")

    def handle(self, *args, username, read_only, days, name, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"Không có người dùng {username!r} / no such user") from exc
        if days is not None and days <= 0:
            raise CommandError("--days phải lớn hơn 0 / --days must be positive")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        token, key = api_token_create(user=user, read_only=read_only, expires_at=expires_at, name=name)
        self.stderr.write(
            f"Khóa API cho {user.username} ({'chỉ đọc' if read_only else 'đọc và ghi'}"
            f"{', hết hạn ' + timezone.localtime(expires_at).strftime('%d/%m/%Y') if expires_at else ''}). "
            "Lưu lại ngay: khóa chỉ hiện một lần."
        )
        self.stdout.write(key)
