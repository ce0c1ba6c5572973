"""The establishment serializer."""


from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from applications import selectors
from applications.models import Establishment
from khuyencong.limits import MAX_TEXT
from provinces.models import Commune, LegacyCommune, Province

# --- Establishments ---------------------------------------------------------------------


class EstablishmentSerializer(serializers.ModelSerializer):
    province = serializers.PrimaryKeyRelatedField(queryset=Province.objects.all(), required=False,
                                                  help_text=_("Mã tỉnh/thành (NSO); mặc định là tỉnh của xã."))
    commune = serializers.PrimaryKeyRelatedField(queryset=Commune.objects.all(), help_text=_("Mã xã/phường (NSO)."))
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    legacy_commune = serializers.PrimaryKeyRelatedField(
        queryset=LegacyCommune.objects.all(), required=False, allow_null=True,
        help_text=_("Mã xã/phường cũ (trước 01/7/2025), nếu có; xã/phường mới phải là đơn vị kế thừa của nó "
                    "(xem /api/v1/legacy-communes/{mã}/)."))
    # Checked by the service (format, then uniqueness across the country).
    tax_code = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    location_eligible = serializers.SerializerMethodField()
    location_problem = serializers.SerializerMethodField()

    class Meta:
        model = Establishment
        fields = ["id", "name", "legal_form", "tax_code", "province", "commune", "commune_name", "legacy_commune",
                  "address",
                  "representative", "industry", "woman_owned", "ethnic_minority", "difficult_area", "craft_village",
                  "craft_village_name", "phone", "email", "employees", "founded_year", "note", "is_active",
                  "location_eligible", "location_problem", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is the service's to check (its message does not reveal the other row).
        validators = []

    def _problem(self, obj):
        cache = self.context.setdefault("_location_problems", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.location_problem(obj)
        return cache[obj.pk]

    def get_location_eligible(self, obj) -> bool:
        return self._problem(obj) is None

    def get_location_problem(self, obj) -> str | None:
        return self._problem(obj)
