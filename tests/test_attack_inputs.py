"""Bad input of every kind from the attack run is a clear 400 that changes nothing, never a
500: JSON nested 100,000 levels, NUL characters."""

import json

import pytest

from applications.models import Establishment

from .conftest import TAN_NINH_WARD

pytestmark = pytest.mark.django_db

URL = "/api/v1/establishments/"


def _body(**extra):
    return {"name": "Hợp tác xã mây tre đan Tân Ninh", "legal_form": "cooperative", "tax_code": "3901234567",
            "representative": "Trần Văn Bình", "commune": TAN_NINH_WARD, "address": "Khu phố 2",
            "industry": "Mây tre đan", **extra}


def test_json_nested_100000_levels_is_a_400(tn_officer, api_client_for):
    client = api_client_for(tn_officer)
    deep = "[" * 100_000 + "]" * 100_000
    response = client.generic("POST", URL, deep, content_type="application/json")
    assert response.status_code == 400 and "lồng quá sâu" in response.json()["detail"]
    nested = {"name": "x"}
    for _ in range(40):
        nested = {"a": nested}
    response = client.generic("POST", URL, json.dumps(_body(address=nested)), content_type="application/json")
    assert response.status_code == 400
    assert not Establishment.objects.exists()


def test_nul_characters_are_a_400(tn_officer, api_client_for):
    client = api_client_for(tn_officer)
    response = client.post(URL, _body(name="Cơ sở\u0000 A"), format="json")
    assert response.status_code == 400 and "NUL" in json.dumps(response.json(), ensure_ascii=False)
    assert not Establishment.objects.exists()
    assert client.post(URL, _body(), format="json").status_code == 201
