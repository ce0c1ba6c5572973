"""Serializers of the geography and tenancy resources."""

from rest_framework import serializers

from provinces.models import Commune, CommuneLineage, LegacyCommune, Organisation, Province, Region


class RegionSerializer(serializers.ModelSerializer):
    provinces = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "grouping", "provinces", "note"]


class ProvinceSerializer(serializers.ModelSerializer):
    commune_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Province
        fields = ["code", "name", "kind", "codename", "phone_code", "commune_count"]


class CommuneSerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True)

    class Meta:
        model = Commune
        fields = ["code", "name", "kind", "province"]


class LineageSerializer(serializers.ModelSerializer):
    code = serializers.IntegerField(source="commune_id")
    name = serializers.CharField(source="commune.name")
    province = serializers.IntegerField(source="commune.province_id")

    class Meta:
        model = CommuneLineage
        fields = ["code", "name", "province", "partial"]


class LegacyCommuneSerializer(serializers.ModelSerializer):
    district = serializers.IntegerField(source="district_id", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    province = serializers.IntegerField(source="province_id", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    successors = LineageSerializer(source="lineage", many=True, read_only=True)

    class Meta:
        model = LegacyCommune
        fields = ["code", "name", "kind", "district", "district_name", "province", "province_name", "successors"]


class OrganisationSerializer(serializers.ModelSerializer):
    province = serializers.IntegerField(source="province_id", read_only=True, allow_null=True)
    commune = serializers.IntegerField(source="commune_id", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "short_name", "kind", "province", "commune", "address", "email", "phone"]
