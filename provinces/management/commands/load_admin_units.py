"""Load the administrative units from the pinned vietnam-provinces package (idempotent)."""

import time

from khuyencong.audit import AuditedCommand
from provinces.models import Commune, LegacyCommune, LegacyDistrict, LegacyProvince, Province
from provinces.services import admin_units_load


class Command(AuditedCommand):
    help = "Nạp 34 tỉnh/thành, 3.321 xã/phường/đặc khu, đơn vị cũ và quan hệ kế thừa (chạy lại không đổi gì)."

    def handle(self, *args, **options):
        started = time.monotonic()
        report = admin_units_load()
        for line in report.corrections:
            self.stdout.write(f"  hiệu chỉnh / correction: {line}")
        for name in report.created:
            created, updated = report.created[name], report.updated.get(name, 0)
            if created or updated:
                self.stdout.write(f"  {name}: +{created} mới, {updated} cập nhật")
        self.stdout.write(self.style.SUCCESS(
            f"Tỉnh/thành: {Province.objects.count()} · xã/phường/đặc khu: {Commune.objects.count()} · "
            f"tỉnh cũ: {LegacyProvince.objects.count()} · huyện cũ: {LegacyDistrict.objects.count()} · "
            f"xã cũ: {LegacyCommune.objects.count()} · "
            f"{'đã cập nhật' if report.changed else 'không có thay đổi'} ({time.monotonic() - started:.1f}s)"
        ))
