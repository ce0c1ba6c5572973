"""Warns when the quick start is about to serve beyond this machine with DEBUG on while
accounts still have the published demo password (``make run HOST=0.0.0.0``)."""

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand

from khuyencong.security import DEMO_PASSWORD


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def accounts_with_demo_password() -> list[str]:
    # Demo accounts share one hash: check each distinct hash once (hashing is slow on purpose).
    by_hash: dict[str, list[str]] = {}
    for username, password in get_user_model().objects.filter(is_active=True).values_list("username", "password"):
        by_hash.setdefault(password, []).append(username)
    found = []
    for hashed, usernames in by_hash.items():
        if hashed and not hashed.startswith("!") and check_password(DEMO_PASSWORD, hashed):
            found += usernames
    return sorted(found)


class Command(BaseCommand):
    help = ("Cảnh báo khi máy chủ thử nghiệm (DEBUG) mở ra ngoài máy này mà tài khoản mẫu vẫn dùng mật khẩu mẫu. / "
            "Warns when the development server listens beyond this machine with DEBUG on and demo passwords.")

    def add_arguments(self, parser):
        parser.add_argument("host", help="the address the server will listen on")

    def handle(self, *args, host, **options):
        if is_loopback(host) or not settings.DEBUG:
            return
        exposed = accounts_with_demo_password()
        if not exposed:
            return
        shown = ", ".join(exposed[:6]) + (" …" if len(exposed) > 6 else "")
        self.stderr.write(self.style.WARNING(
            f"CẢNH BÁO: máy chủ nghe trên {host} (mọi máy trong mạng truy cập được) với DEBUG bật, và "
            f"{len(exposed)} tài khoản vẫn dùng mật khẩu mẫu công khai ({shown}). Chỉ dùng trên mạng tin cậy; đổi "
            f"mật khẩu hoặc chạy với HOST=127.0.0.1.\n"
            f"WARNING: serving on {host} (reachable from the network) with DEBUG on, and {len(exposed)} accounts "
            f"still have the published demo password. Use a trusted network only; change the passwords or run "
            f"with HOST=127.0.0.1."))
