"""The register of outgoing documents (sổ văn bản đi), the signers of each organisation and
the issued documents: numbered, dated, signed, frozen."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from khuyencong.scoping import ScopedQuerySet
from provinces.models import Organisation, Province


class DocType(models.TextChoices):
    REPORT = "report", _("Báo cáo")
    DECISION = "decision", _("Quyết định")
    MINUTES = "minutes", _("Biên bản")


DOC_TYPE_TITLES = {DocType.REPORT: "BÁO CÁO", DocType.DECISION: "QUYẾT ĐỊNH", DocType.MINUTES: "BIÊN BẢN"}
DOC_TYPE_PREFIX = {DocType.REPORT: "BC", DocType.DECISION: "QĐ", DocType.MINUTES: "BB"}


class RegisterMode(models.TextChoices):
    PORTAL = "portal", _("Cổng cấp số tự động")
    CLERICAL = "clerical", _("Ghi số do văn thư cấp")


class Delegation(models.TextChoices):
    """How a signer signs (Decree 30/2020, Appendix I, part II)."""

    HEAD = "", _("Người đứng đầu ký trực tiếp")
    KT = "KT", _("KT. — ký thay người đứng đầu (cấp phó)")
    TM = "TM", _("TM. — thay mặt tập thể")
    TL = "TL", _("TL. — thừa lệnh")
    TUQ = "TUQ", _("TUQ. — thừa ủy quyền")
    Q = "Q", _("Q. — quyền người đứng đầu")


class OrganisationOwnedQuerySet(ScopedQuerySet):
    """Rows of an organisation: its province's staff see them; the Agency's rows (no
    province) are seen by the Agency only."""


class DocumentRegister(models.Model):
    """One series of outgoing documents of an organisation: a document type with its symbol
    ("BC-SCT"), numbered from 1 each year, either by the portal or by the clerical office."""

    tenant_province_path = "province"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="document_registers",
                                     verbose_name=_("cơ quan ban hành"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    doc_type = models.CharField(_("loại văn bản"), max_length=12, choices=DocType.choices)
    symbol = models.CharField(_("ký hiệu"), max_length=30,
                              help_text=_("Phần sau số, ví dụ BC-SCT, QĐ-SCT, BC-KC."))
    mode = models.CharField(_("cách cấp số"), max_length=10, choices=RegisterMode.choices, default=RegisterMode.PORTAL)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    objects = OrganisationOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sổ văn bản đi")
        verbose_name_plural = _("sổ văn bản đi")
        ordering = ["organisation", "doc_type"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "doc_type"], name="uniq_register_org_type"),
            models.UniqueConstraint(fields=["organisation", "symbol"], name="uniq_register_org_symbol"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} — {self.organisation}"


class RegisterYear(models.Model):
    """The last number given in a register in one year: the row issuing locks (SELECT … FOR
    UPDATE), so parallel issues take consecutive numbers, with no gap and no duplicate."""

    tenant_province_path = "register__province"

    register = models.ForeignKey(DocumentRegister, on_delete=models.PROTECT, related_name="years",
                                 verbose_name=_("sổ văn bản"))
    year = models.PositiveSmallIntegerField(_("năm"))
    last_number = models.PositiveIntegerField(_("số cuối đã cấp"), default=0)

    class Meta:
        verbose_name = _("năm của sổ văn bản")
        verbose_name_plural = _("năm của sổ văn bản")
        constraints = [models.UniqueConstraint(fields=["register", "year"], name="uniq_register_year")]

    def __str__(self) -> str:
        return f"{self.register.symbol} {self.year}: {self.last_number}"


class Signer(models.Model):
    """Who signs an organisation's documents, and how (head, deputy "KT.", "TM.", "TL.",
    "TUQ.", acting "Q."), with the name printed under the signature."""

    tenant_province_path = "province"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="signers",
                                     verbose_name=_("cơ quan"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    full_name = models.CharField(_("họ và tên"), max_length=120)
    title = models.CharField(_("chức vụ"), max_length=120, blank=True,
                             help_text=_("Chức vụ của người ký, ví dụ PHÓ GIÁM ĐỐC; để trống khi ký quyền (Q.)."))
    delegation = models.CharField(_("hình thức ký"), max_length=4, choices=Delegation.choices, blank=True,
                                  default=Delegation.HEAD)
    authority = models.CharField(_("ký thay / thay mặt cho"), max_length=120, blank=True,
                                 help_text=_("Chức vụ người đứng đầu hoặc tập thể, ví dụ GIÁM ĐỐC, ỦY BAN NHÂN DÂN."))
    is_active = models.BooleanField(_("đang ký"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    objects = OrganisationOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("người ký")
        verbose_name_plural = _("người ký")
        ordering = ["organisation", "delegation", "full_name"]

    def __str__(self) -> str:
        return f"{' / '.join(self.block_lines())} — {self.full_name}"

    def block_lines(self) -> list[str]:
        """The upper-case lines above the signature: "KT. GIÁM ĐỐC" / "PHÓ GIÁM ĐỐC"."""
        title, authority = self.title.upper().strip(), self.authority.upper().strip()
        if not self.delegation:
            return [title]
        if self.delegation == Delegation.Q:
            return [f"Q. {authority or title}"]
        return [f"{self.delegation}. {authority}", *([title] if title else [])]


class DocumentKind(models.TextChoices):
    REPORT = "report", _("Báo cáo")


class OfficialDocumentQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        # As the report runs: a province sees its own documents and the Agency's national
        # regional summaries (published figures).
        from reports.choices import ReportKind, ReportScope

        q = Q(report_run__scope=ReportScope.NATIONAL, report_run__kind=ReportKind.REGIONAL_SUMMARY)
        if scope.province_ids:
            q |= Q(province_id__in=scope.province_ids)
        return q


def document_file_path(instance, filename):
    return f"documents/{instance.organisation_id}/{instance.year}/{filename}"


class OfficialDocument(models.Model):
    """An issued document: its number in a register, issue date, signer, the frozen file and
    its SHA-256. Never regenerated; a correction is a new document naming this one."""

    tenant_province_path = "province"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="documents",
                                     verbose_name=_("cơ quan ban hành"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("tỉnh/thành phố"))
    register = models.ForeignKey(DocumentRegister, on_delete=models.PROTECT, related_name="documents",
                                 verbose_name=_("sổ văn bản"))
    kind = models.CharField(_("loại"), max_length=24, choices=DocumentKind.choices)
    report_run = models.ForeignKey("reports.ReportRun", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="documents", verbose_name=_("lần lập báo cáo"))
    year = models.PositiveSmallIntegerField(_("năm"))
    number = models.PositiveIntegerField(_("số"))
    symbol = models.CharField(_("ký hiệu"), max_length=30)
    subject = models.CharField(_("trích yếu"), max_length=500)
    issued_on = models.DateField(_("ngày ban hành"))
    issued_at = models.DateTimeField(_("ban hành lúc"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("người ban hành"))
    signer = models.ForeignKey(Signer, on_delete=models.PROTECT, related_name="documents",
                               verbose_name=_("người ký"))
    signer_name = models.CharField(_("họ tên người ký"), max_length=120)
    signer_lines = models.JSONField(_("thẩm quyền ký"), default=list)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by", verbose_name=_("thay thế văn bản"))
    file = models.FileField(_("tệp đã ban hành"), upload_to=document_file_path, max_length=255)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    verification_code = models.CharField(_("mã xác minh"), max_length=16, unique=True)

    objects = OfficialDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản đã ban hành")
        verbose_name_plural = _("văn bản đã ban hành")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["register", "year", "number"], name="uniq_document_number"),
            models.UniqueConstraint(fields=["report_run"], name="uniq_document_report_run"),
        ]

    def __str__(self) -> str:
        return f"{self.number_text} — {self.subject}"

    @property
    def number_text(self) -> str:
        return f"{self.number:02d}/{self.symbol}"
