"""The documents API: issued documents (read, download the frozen file), the registers
of outgoing documents and the signers (approvers configure them), and issuing a report
(``POST /api/v1/reports/{id}/issue/``, in ``reports.api.viewsets``)."""

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from khuyencong.api import ScopedModelViewSet, ScopedReadOnlyViewSet
from provinces.models import Organisation

from . import registry
from .filters import DocumentRegisterFilterSet, OfficialDocumentFilterSet, SignerFilterSet
from .models import Delegation, DocType, DocumentRegister, OfficialDocument, RegisterMode, Signer


class OfficialDocumentSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="number_text", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    replaces = serializers.PrimaryKeyRelatedField(read_only=True)
    download_url = serializers.SerializerMethodField()
    verification_url = serializers.SerializerMethodField()

    class Meta:
        model = OfficialDocument
        fields = ["id", "kind", "number", "year", "symbol", "subject", "issued_on", "issued_at", "organisation",
                  "organisation_name", "province", "report_run", "signer", "signer_name", "signer_lines", "replaces",
                  "sha256", "size", "verification_code", "download_url", "verification_url"]
        read_only_fields = fields

    def _url(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_download_url(self, doc) -> str:
        return self._url(reverse("official-document-download", kwargs={"pk": doc.pk}))

    def get_verification_url(self, doc) -> str:
        return self._url(reverse("document-verify", kwargs={"code": doc.verification_code}))


class OfficialDocumentViewSet(ScopedReadOnlyViewSet):
    """Issued documents (never changed). ``/documents/{id}/download/`` returns the frozen PDF."""

    queryset = OfficialDocument.objects.select_related("organisation").order_by("-issued_at", "-pk")
    serializer_class = OfficialDocumentSerializer
    filterset_class = OfficialDocumentFilterSet
    updated_field = "issued_at"  # issued documents never change: incremental sync reads the issue time

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        doc = self.get_object()
        try:
            handle = doc.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=doc.file.name.rsplit("/", 1)[-1],
                            content_type="application/pdf")


class DocumentRegisterSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    doc_type = serializers.ChoiceField(choices=DocType.choices)
    mode = serializers.ChoiceField(choices=RegisterMode.choices, required=False)

    class Meta:
        model = DocumentRegister
        fields = ["id", "organisation", "province", "doc_type", "symbol", "mode"]
        read_only_fields = ["id", "province"]
        validators = []  # the service refuses a symbol in use, with its own message


class _OrganisationWrites:
    """Create and change through the registry services (approvers of the organisation)."""

    def _organisation(self, data, instance=None):
        organisation = data.get("organisation") or (instance.organisation if instance else None)
        if organisation is None or not Organisation.objects.visible_to(self.request.user).filter(
                pk=organisation.pk).exists():
            raise serializers.ValidationError({"organisation": ["Cơ quan không hợp lệ. / Unknown organisation."]})
        return organisation

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        obj = self.save_with(body.validated_data, None)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        body = self.get_serializer(instance, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        obj = self.save_with(body.validated_data, instance)
        return Response(self.get_serializer(obj).data)


class DocumentRegisterViewSet(_OrganisationWrites, ScopedModelViewSet):
    """Registers of outgoing documents (sổ văn bản đi): one per organisation and document
    type, with its symbol and numbering mode (``portal`` numbers, ``clerical`` records the
    clerical office's number). Approvers of the organisation create and change them."""

    queryset = DocumentRegister.objects.select_related("organisation").order_by("organisation_id", "doc_type", "pk")
    serializer_class = DocumentRegisterSerializer
    filterset_class = DocumentRegisterFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def save_with(self, data, instance):
        organisation = self._organisation(data, instance)
        return registry.register_save(
            user=self.request.user, organisation=organisation,
            doc_type=data.get("doc_type", instance.doc_type if instance else None),
            symbol=data.get("symbol", instance.symbol if instance else ""),
            mode=data.get("mode", instance.mode if instance else RegisterMode.PORTAL))


class SignerSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    delegation = serializers.ChoiceField(choices=Delegation.choices, required=False, allow_blank=True)
    block = serializers.SerializerMethodField()

    class Meta:
        model = Signer
        fields = ["id", "organisation", "province", "full_name", "title", "delegation", "authority", "is_active",
                  "block"]
        read_only_fields = ["id", "province", "block"]

    def get_block(self, signer) -> list[str]:
        return signer.block_lines()


class SignerViewSet(_OrganisationWrites, ScopedModelViewSet):
    """Who signs an organisation's documents, and how (``delegation``: "" head, ``KT``,
    ``TM``, ``TL``, ``TUQ``, ``Q``; ``authority`` the head's title or the collective).
    Signers are deactivated (``is_active: false``), never deleted."""

    queryset = Signer.objects.select_related("organisation").order_by("organisation_id", "pk")
    serializer_class = SignerSerializer
    filterset_class = SignerFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def save_with(self, data, instance):
        organisation = self._organisation(data, instance)

        def pick(name, default=""):
            return data.get(name, getattr(instance, name) if instance else default)

        return registry.signer_save(user=self.request.user, organisation=organisation, signer=instance,
                                    full_name=pick("full_name"), title=pick("title"),
                                    delegation=pick("delegation"), authority=pick("authority"),
                                    is_active=pick("is_active", True))


class IssueSerializer(serializers.Serializer):
    signer = serializers.IntegerField(required=False, allow_null=True)
    number = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    replaces = serializers.IntegerField(required=False, allow_null=True)
