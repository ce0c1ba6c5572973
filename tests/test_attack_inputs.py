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


def _as_application_role():
    from django.db import connection

    from khuyencong import rls

    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {rls.APP_ROLE}")
    rls.set_scope("")


def test_a_tax_code_of_another_province_is_one_400_that_does_not_say_where(tn_officer, hcm_officer, api_client_for):
    """Under row-level security the other province's establishment is invisible: the
    database's unique constraint catches the clash. The PATCH was a 500; the create's
    message differed from a same-province clash, telling which codes exist elsewhere."""
    from .conftest import THU_DUC_WARD

    tn, hcm = api_client_for(tn_officer), api_client_for(hcm_officer)
    own = tn.post(URL, _body(), format="json").json()
    second = tn.post(URL, _body(tax_code="3901234568", name="Cơ sở thứ hai"), format="json").json()
    elsewhere = hcm.post(URL, _body(tax_code="0301234567", commune=THU_DUC_WARD), format="json")
    assert elsewhere.status_code == 201
    _as_application_role()
    same_province = tn.post(URL, _body(name="Trùng trong tỉnh"), format="json")
    other_province = tn.post(URL, _body(name="Trùng tỉnh khác", tax_code="0301234567"), format="json")
    patched = tn.patch(f"{URL}{second['id']}/", {"tax_code": "0301234567"}, format="json")
    for response in (same_province, other_province, patched):
        assert response.status_code == 400, response.content
    messages = {r.json()["errors"]["tax_code"][0] for r in (same_province, other_province, patched)}
    assert len(messages) == 1 and "đã có trong sổ đăng ký" in messages.pop()
    assert tn.get(f"{URL}{second['id']}/").json()["tax_code"] == "3901234568"
    assert own["tax_code"] == "3901234567"


def test_numbers_and_text_have_bounds(tn_officer, api_client_for):
    """A unit cost of 10^25 was accepted until approval failed with "bigint out of range";
    a cost line amount "abc" in a change request was a 500; a 31 MB note was stored."""
    from applications.models import Application
    from tests.factories import build_world, make_application

    setup = build_world(province_codes=(80,)).provinces[80]
    application = make_application(setup)
    client = api_client_for(setup.officer)
    url = f"/api/v1/applications/{application.pk}/"
    before = Application.objects.values("total_cost", "version").get(pk=application.pk)
    for line in ({"item": "Máy", "quantity": "1", "unit": "bộ", "unit_cost": 10**25},
                 {"item": "Máy", "quantity": "99999999", "unit": "bộ", "unit_cost": 10**14},
                 {"item": "Máy", "quantity": "1", "unit": "bộ", "unit_cost": 1000, "amount": "abc"}):
        response = client.patch(url, {"cost_lines": [line]}, format="json")
        assert response.status_code == 400, (line, response.content)
    response = client.patch(url, {"objectives": "x" * 10_001}, format="json")
    assert response.status_code == 400 and "objectives" in response.json()["errors"]
    assert Application.objects.values("total_cost", "version").get(pk=application.pk) == before
    # The same cost line checks in a change request (its serializer shapes the lines).
    from applications.api.serializers.implementation import ChangeRequestInputSerializer

    for line in ({"item": "Máy", "quantity": "1", "unit": "bộ", "unit_cost": 1000, "amount": "abc"},
                 {"item": "Máy", "quantity": "1", "unit": "bộ", "unit_cost": str(10**25)},
                 {"item": "Máy", "quantity": "NaN", "unit": "bộ", "unit_cost": 1000}):
        serializer = ChangeRequestInputSerializer(data={"kind": "cost_lines", "description": "Điều chỉnh",
                                                        "new_cost_lines": [line]})
        assert not serializer.is_valid() and "new_cost_lines" in serializer.errors, line


def test_page_forms_bound_text_and_numbers():
    from applications.forms.implementation import ChangeRequestForm, DisbursementForm

    form = ChangeRequestForm(data={"kind": "schedule", "description": "x" * 10_001})
    assert not form.is_valid() and "description" in form.errors
    from django import forms

    field = next(f for f in DisbursementForm().fields.values() if isinstance(f, forms.IntegerField))
    assert field.max_value == 10**15


def test_every_api_write_uses_the_safe_json_parser(tn_officer, api_client_for):
    """The record endpoints (contracts, payments, change requests…) once set DRF's plain
    JSON parser themselves: deep nesting there was still a 500."""
    from tests.factories import build_world, make_application

    setup = build_world(province_codes=(80,)).provinces[80]
    application = make_application(setup)
    client = api_client_for(setup.officer)
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("change-requests/", "disbursements/", "transitions/"):
        response = client.generic("POST", f"/api/v1/applications/{application.pk}/{path}", deep,
                                  content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
