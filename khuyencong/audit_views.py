"""The audit trail for auditors and the Agency: the page /nhat-ky/, its CSV export and
the read-only API ``/api/v1/audit-entries/``. Every read goes through
``AuditEntry.objects.visible_to(user)``; nothing here writes."""

import json

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView
from rest_framework import permissions, serializers, viewsets

from .audit import can_browse
from .audit_display import changes_text, kind_choices, readable
from .db.keyset import keyset_values
from .filters import AuditEntryFilter
from .models import AuditEntry
from .spreadsheets import streaming_csv_response
from .web import wants_partial

CSV_CHUNK = 2000


def _filtered(request):
    qs = AuditEntry.objects.visible_to(request.user).select_related("province")
    filterset = AuditEntryFilter(request.GET or None, queryset=qs, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, qs.none()
    return filterset, (filterset.qs if filterset.is_bound else qs)


class AuditAccessMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_browse(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AuditEntryListView(AuditAccessMixin, ListView):
    template_name = "khuyencong/audit_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset, qs = _filtered(self.request)
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        visible = AuditEntry.objects.visible_to(self.request.user)
        context["kinds"] = kind_choices(visible.order_by("model_label").values_list("model_label", flat=True)
                                        .distinct())
        context["people"] = (visible.exclude(user_id=None).order_by("actor").values_list("actor", flat=True)
                             .distinct())
        context["rows"] = readable(context["object_list"], self.request.user)
        return context

    def get_template_names(self):
        return ["khuyencong/_audit_table.html"] if wants_partial(self.request) else [self.template_name]


class AuditEntryCsvView(AuditAccessMixin, View):
    """The filtered trail as CSV, streamed in constant memory."""

    replica_reads = True

    def header(self):
        return [gettext("Thời điểm"), gettext("Người thực hiện"), gettext("Mã người dùng"), gettext("Địa chỉ IP"),
                gettext("Mã yêu cầu"), gettext("Loại bản ghi"), gettext("Mã bản ghi"), gettext("Bản ghi"),
                gettext("Mã đề án"), gettext("Tên đề án"), gettext("Thao tác"), gettext("Tỉnh/thành phố"),
                gettext("Nội dung thay đổi"), gettext("Trước (dữ liệu gốc)"), gettext("Sau (dữ liệu gốc)")]

    def get(self, request):
        filterset, qs = _filtered(request)

        fields = ["id", "created_at", "actor", "user_id", "ip", "request_id", "model_label", "object_id",
                  "object_repr", "action", "province_id", "before", "after"]

        def entries():
            batch = []
            for values in keyset_values(qs, fields, ("-created_at", "-id"), chunk=CSV_CHUNK):
                batch.append(AuditEntry(**dict(zip(fields, values, strict=True))))
                if len(batch) == CSV_CHUNK:
                    yield from readable(batch, request.user)
                    batch = []
            yield from readable(batch, request.user)

        provinces = {}

        def province_name(entry):
            if entry.province_id is None:
                return ""
            if entry.province_id not in provinces:
                from django.apps import apps

                province = apps.get_model("provinces", "Province").objects.filter(pk=entry.province_id).first()
                provinces[entry.province_id] = province.name if province else str(entry.province_id)
            return provinces[entry.province_id]

        def rows():
            for row in entries():
                e = row.entry
                yield [timezone.localtime(e.created_at).strftime("%d/%m/%Y %H:%M:%S"), row.person, e.user_id or "",
                       e.ip or "", e.request_id, row.kind, e.object_id, e.object_repr,
                       row.dossier.code if row.dossier else "", row.dossier.title if row.dossier else "",
                       e.get_action_display(), province_name(e), changes_text(row),
                       json.dumps(e.before, ensure_ascii=False), json.dumps(e.after, ensure_ascii=False)]

        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        scope = request.GET.get("dossier", "").strip()
        scope = "".join(c if c.isalnum() or c in "-_" else "-" for c in scope)[:32]
        name = f"nhat-ky-{scope}-{stamp}.csv" if scope and filterset.is_valid() else f"nhat-ky-{stamp}.csv"
        return streaming_csv_response(self.header(), rows(), name)


# --- API ---------------------------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True, allow_null=True,
                                        help_text="NSO code of the province, null for national records")
    before = serializers.JSONField(read_only=True)
    after = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEntry
        fields = ["id", "created_at", "user", "actor", "ip", "request_id", "model_label", "object_id", "object_repr",
                  "action", "before", "after", "province"]
        read_only_fields = fields


class CanBrowseAudit(permissions.BasePermission):
    message = _("Chỉ kiểm toán viên và Cục được xem nhật ký thay đổi.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and can_browse(request.user))


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, read-only: auditors (their provinces; Agency auditors all) and
    Agency staff (all). Nobody writes here: entries are made by the signals."""

    # The model for the schema and the list's filters; every request reads ``get_queryset``.
    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    permission_classes = [CanBrowseAudit]

    def get_queryset(self):
        return AuditEntry.objects.visible_to(self.request.user)
