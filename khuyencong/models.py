"""Shared model building blocks and the API token model."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import scope_for
from .text import normalize_search, strip_division_prefix, vietnamese_sort_key


class NamedQuerySetMixin:
    """Diacritic-insensitive search over the stored ``search_text`` column."""

    def search(self, query: str | None):
        return self.filter(search_q(query))


# What separates words in a normalised search column (codes have dashes, titles brackets).
WORD_START = r"(^|[ ./,(-])"
REGEX_SPECIAL = set("\\.^$|?*+()[]{}-")


def search_q(query: str | None, column: str = "search_text") -> models.Q:
    """Word-level search over a normalised column: every term must appear; a term of
    three characters or more anywhere (``LIKE '%term%'``), a shorter one only at the start
    of a word (a regular expression), so "may ep" finds "Máy ép" without every row that
    merely contains "ep". On PostgreSQL a trigram GIN index on the column serves both
    forms (migrations add it; SQLite runs the same filters without one)."""
    q = models.Q()
    for term in normalize_search(query).split():
        if len(term) >= 3:
            q &= models.Q(**{f"{column}__contains": term})
        else:
            escaped = "".join("\\" + ch if ch in REGEX_SPECIAL else ch for ch in term)
            q &= models.Q(**{f"{column}__regex": WORD_START + escaped})
    return q


class NamedModel(models.Model):
    """A model with a human name, searchable without diacritics and sortable in Vietnamese order."""

    name = models.CharField(_("tên"), max_length=255)
    search_text = models.CharField(_("chuỗi tìm kiếm"), max_length=600, editable=False, db_index=True, default="")
    sort_key = models.CharField(_("khóa sắp xếp"), max_length=1200, editable=False, db_index=True, default="")

    class Meta:
        abstract = True

    def search_source(self) -> str:
        """The text that search matches; models add codes and other names here."""
        return self.name

    def refresh_name_keys(self) -> None:
        self.search_text = normalize_search(self.search_source())[:600]
        self.sort_key = vietnamese_sort_key(strip_division_prefix(self.name))[:1200]

    def save(self, *args, **kwargs):
        self.refresh_name_keys()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        unexpired = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        return self.filter(revoked_at__isnull=True).filter(unexpired)


class ApiToken(models.Model):
    """A REST client's key. Only its SHA-256 is stored; the key is shown once at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("người dùng"))
    name = models.CharField(_("tên gợi nhớ"), max_length=100, blank=True)
    prefix = models.CharField(_("tiền tố"), max_length=12, db_index=True)
    key_hash = models.CharField(_("băm của khóa"), max_length=64, unique=True)
    read_only = models.BooleanField(_("chỉ đọc"), default=False)
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("khóa API")
        verbose_name_plural = _("khóa API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate_key() -> str:
        return "kc_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class AuditAction(models.TextChoices):
    CREATE = "create", _("Tạo mới")
    UPDATE = "update", _("Sửa đổi")
    DELETE = "delete", _("Xóa")


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Auditors and Agency staff only: Agency roles and Agency auditors see every entry,
        a province auditor the entries of their provinces; everyone else nothing."""
        scope = scope_for(user)
        if scope.superuser or scope.audit_all:
            return self.all()
        if not scope.audit_province_ids:
            return self.none()
        return self.filter(province_id__in=scope.audit_province_ids)



class AuditEntry(models.Model):
    """One create, change or delete of a domain record: who, when, from where, which
    request, and the changed values before and after. Written by the signals in
    ``khuyencong.audit``; never edited through the app (read-only admin, read-only API,
    and on PostgreSQL a trigger refusing UPDATE and DELETE). Scoped by its own
    ``visible_to`` (auditors and Agency staff only); the province column also gives the
    table a row-level security policy on PostgreSQL."""

    tenant_province_path = "province"

    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    # No database constraint and no cascade: the trail outlives the users and the
    # units it names, and must never block (or be touched by) their deletion.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                             blank=True, related_name="+", verbose_name=_("người dùng"))
    actor = models.CharField(_("người/tác vụ thực hiện"), max_length=150)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    request_id = models.CharField(_("mã yêu cầu"), max_length=64, blank=True, db_index=True)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.DO_NOTHING, db_constraint=False,
                                     related_name="+", verbose_name=_("loại dữ liệu"))
    model_label = models.CharField(_("bảng dữ liệu"), max_length=100, db_index=True)
    object_id = models.CharField(_("mã bản ghi"), max_length=64, db_index=True)
    object_repr = models.CharField(_("bản ghi"), max_length=255, blank=True)
    action = models.CharField(_("thao tác"), max_length=10, choices=AuditAction.choices)
    before = models.JSONField(_("giá trị trước"), default=dict, blank=True)
    after = models.JSONField(_("giá trị sau"), default=dict, blank=True)
    province = models.ForeignKey("provinces.Province", on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                                 blank=True, related_name="+", verbose_name=_("tỉnh/thành phố"))

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["model_label", "object_id"], name="audit_model_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.model_label}#{self.object_id}"


class RecoveryCode(models.Model):
    """A one-time backup code for two-factor sign-in when the phone is lost. Only a keyed
    hash is stored (HMAC with the secret key: a copy of the database alone cannot be
    brute-forced); the codes are shown once, when made. Used codes stay, marked used."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes",
                             verbose_name=_("người dùng"))
    code_hash = models.CharField(_("băm của mã"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    used_at = models.DateTimeField(_("dùng lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã dự phòng")
        verbose_name_plural = _("mã dự phòng")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.user} #{self.pk}"

    @staticmethod
    def hash_code(code: str) -> str:
        import hmac

        normalised = "".join(ch for ch in code.lower() if ch.isalnum())
        return hmac.new(settings.SECRET_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()
