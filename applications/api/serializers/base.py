"""Fields the serializers of the applications app share: primary keys looked up in the
caller's scope."""


from rest_framework import serializers

from khuyencong.scoping import scope_for


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the caller can see: anything else is "does not exist" (400),
    never a hint that it exists elsewhere."""

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        return qs.visible_to(request.user) if request is not None else qs.none()


class ProvinceRecordField(ScopedPrimaryKeyRelatedField):
    """A programme or call: visible ones, plus for a commune officer those of their
    commune's province (they propose schemes under the province's programmes)."""

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is not None:
            scope = scope_for(request.user)
            if scope.commune_province_ids:
                qs = qs | self.queryset.filter(province_id__in=scope.commune_province_ids)
        return qs
