"""FilterSets of the documents (API and pages): issued documents, registers, signers."""

import django_filters
from django.utils.translation import gettext_lazy as _

from khuyencong.filters import IntegerFilter, TenancyFilterSet

from .models import Delegation, DocType, DocumentRegister, OfficialDocument, RegisterMode, Signer


class OfficialDocumentFilterSet(TenancyFilterSet):
    year = IntegerFilter(field_name="year", label=_("Năm"), min_value=2000, max_value=2100)
    organisation = IntegerFilter(field_name="organisation_id", label=_("Cơ quan ban hành (id)"))
    report_run = IntegerFilter(field_name="report_run_id", label=_("Lần lập báo cáo (id)"))

    class Meta:
        model = OfficialDocument
        fields = ["province", "year", "organisation", "report_run"]


class DocumentRegisterFilterSet(TenancyFilterSet):
    doc_type = django_filters.ChoiceFilter(choices=DocType.choices, label=_("Loại văn bản"))
    mode = django_filters.ChoiceFilter(choices=RegisterMode.choices, label=_("Cách cấp số"))
    organisation = IntegerFilter(field_name="organisation_id", label=_("Cơ quan (id)"))

    class Meta:
        model = DocumentRegister
        fields = ["province", "doc_type", "mode", "organisation"]


class SignerFilterSet(TenancyFilterSet):
    delegation = django_filters.ChoiceFilter(choices=Delegation.choices, label=_("Hình thức ký"))
    organisation = IntegerFilter(field_name="organisation_id", label=_("Cơ quan (id)"))
    is_active = django_filters.BooleanFilter(label=_("Đang ký"))

    class Meta:
        model = Signer
        fields = ["province", "delegation", "organisation", "is_active"]
