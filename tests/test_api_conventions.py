"""The conventions every API endpoint inherits from the shared base classes and settings:
JSON-only bodies (multipart only on uploads), Bearer beside Token, whole-number filters,
ETag/If-Match (412) beside the body's version (409), ordering and updated_since on lists,
list exports for token clients, and a schema whose enums and limits a generator can use."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from applications import workflow
from applications.models import Establishment
from khuyencong.services import api_token_create

from .conftest import HCM, TAN_NINH_WARD, TAY_NINH
from .factories import build_world, make_application, make_establishment

pytestmark = pytest.mark.django_db

ESTABLISHMENTS = "/api/v1/establishments/"
APPS = "/api/v1/applications/"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def tn(world):
    return world.provinces[TAY_NINH]


def client_with(user, keyword="Token"):
    client = APIClient()
    _token, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def test_bearer_is_accepted_beside_token(tn_officer):
    for keyword in ("Token", "Bearer", "bearer"):
        assert client_with(tn_officer, keyword).get(ESTABLISHMENTS).status_code == 200, keyword
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-key")
    assert bad.get(ESTABLISHMENTS).status_code == 401


def test_json_endpoints_take_json_only(tn_officer):
    client = client_with(tn_officer)
    body = {"name": "Hợp tác xã mây tre đan", "legal_form": "cooperative", "tax_code": "3901234567",
            "representative": "Trần Văn Bình", "commune": TAN_NINH_WARD, "address": "Khu phố 2",
            "industry": "Mây tre đan"}
    assert client.post(ESTABLISHMENTS, body, format="multipart").status_code == 415
    assert not Establishment.objects.exists()
    assert client.post(ESTABLISHMENTS, body, format="json").status_code == 201


def test_id_and_code_filters_are_whole_numbers(tn_officer):
    client = client_with(tn_officer)
    response = client.get(ESTABLISHMENTS, {"province": "80.5"})
    assert response.status_code == 400 and "province" in response.json()["errors"]
    assert client.get(APPS, {"year": "2026.5"}).status_code == 400
    assert client.get(APPS, {"programme": "1e3"}).status_code == 400
    assert client.get(ESTABLISHMENTS, {"province": TAY_NINH}).status_code == 200


def test_etag_and_if_match_on_an_establishment(tn):
    establishment = make_establishment(tn)
    client = client_with(tn.officer)
    url = f"{ESTABLISHMENTS}{establishment.pk}/"
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert client.get(url)["ETag"] == etag  # stable while nothing changes
    changed = client.patch(url, {"address": "Ấp 4"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    stale = client.patch(url, {"address": "Ấp 5"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    establishment.refresh_from_db()
    assert establishment.address == "Ấp 4"  # the stale write changed nothing
    assert client.patch(url, {"address": "Ấp 6"}, format="json", HTTP_IF_MATCH="*").status_code == 200


def test_if_match_412_and_body_version_409_on_an_application(tn):
    application = make_application(tn)
    client = client_with(tn.officer)
    url = f"{APPS}{application.pk}/"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"title": "Máy sấy mới"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert client.patch(url, {"title": "Lần hai"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    # A write on the object through an action is guarded the same way.
    response = client.post(f"{url}transitions/", {"action": "submit"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    # The body's version keeps its 409.
    response = client.patch(url, {"title": "Lần ba", "version": 0}, format="json")
    assert response.status_code == 409
    application.refresh_from_db()
    assert application.title == "Máy sấy mới" and application.status == "draft"


def test_another_provinces_object_is_404_before_if_match(tn, world):
    other = make_establishment(world.provinces[HCM])
    response = client_with(tn.officer).patch(f"{ESTABLISHMENTS}{other.pk}/", {"address": "x"}, format="json",
                                             HTTP_IF_MATCH='"whatever"')
    assert response.status_code == 404


def test_ordering_and_updated_since_on_lists(tn):
    a = make_establishment(tn, name="An Phú")
    b = make_establishment(tn, name="Bình Minh")
    Establishment.objects.filter(pk=a.pk).update(updated_at=timezone.now() - timedelta(days=10))
    client = client_with(tn.officer)
    names = [r["name"] for r in client.get(ESTABLISHMENTS, {"ordering": "-name"}).json()["results"]]
    assert names == sorted(names, reverse=True)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    ids = {r["id"] for r in client.get(ESTABLISHMENTS, {"updated_since": since}).json()["results"]}
    assert ids == {b.pk}
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert {r["id"] for r in client.get(ESTABLISHMENTS, {"updated_since": day}).json()["results"]} == {b.pk}
    # An offset PostgreSQL cannot store is converted, not a 500.
    assert client.get(ESTABLISHMENTS, {"updated_since": "2026-01-01T00:00:00+17:04"}).status_code == 200
    bad = client.get(ESTABLISHMENTS, {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]
    # An unknown or computed field is ignored, never a 500.
    assert client.get(APPS, {"ordering": "status_label,-nope"}).status_code == 200
    assert client.get("/api/v1/provinces/", {"ordering": "-code"}).json()["results"][0]["code"] > TAY_NINH


def test_list_exports_for_token_clients(tn, world):
    mine = make_application(tn)
    make_application(world.provinces[HCM])
    client = client_with(tn.officer)
    response = client.get(APPS, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Mã đề án" in text and mine.code in text and text.count("\n") == 2  # header + own row only
    response = client.get(ESTABLISHMENTS, HTTP_ACCEPT=settings_xlsx())
    assert response.status_code == 200 and 'filename="co-so-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 2
    # Filters apply; errors stay JSON.
    response = client.get(APPS, {"format": "csv", "province": "80.5"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def settings_xlsx():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_every_recorded_event_action_is_in_the_published_enum():
    """Clients read ``ApplicationEvent.action`` as a closed set (``EventActionEnum``)."""
    source = "".join(path.read_text() for path in Path(settings.BASE_DIR, "applications").rglob("*.py"))
    recorded = set(re.findall(r'record_event\(\s*\w+,\s*\w+,\s*"([a-z_]+)"', source))
    assert recorded and recorded <= set(workflow.EVENT_ACTIONS)


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.core.management import call_command

    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


def _parameters(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                yield path, method, parameter


def test_schema_for_generators(schema):
    assert schema["info"]["title"].isascii()
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z_]+", i) for i in ids)
    for path, method, parameter in _parameters(schema):
        where = (path, method, parameter["name"])
        body = parameter["schema"]
        assert body.get("type") != "number", where  # ids, codes and years are integers
        assert "pattern" not in body or parameter["name"] == "code", where
        assert "enum" not in body and "enum" not in body.get("items", {}), where  # named components
        if parameter["name"] == "page_size":
            assert body["maximum"] == 500 and body["minimum"] == 1
    lists = [op for item in schema["paths"].values() for op in item.values()
             if op["operationId"].endswith("_list") and any(p["name"] == "page" for p in op.get("parameters", []))]
    assert lists and all({"ordering", "updated_since"} <= {p["name"] for p in op["parameters"]} for op in lists)
    components = schema["components"]["schemas"]
    assert all(name.isascii() for name in components)
    run = components["ReportRun"]["properties"]
    assert run["region"]["nullable"] and run["province"]["nullable"]
    for operation_id in ("budget_allocations_ledger", "applications_score_sheet", "applications_submit_scores",
                         "api_root"):
        operation = next(op for item in schema["paths"].values() for op in item.values()
                         if op["operationId"] == operation_id)
        assert "$ref" in operation["responses"]["200"]["content"]["application/json"]["schema"], operation_id
    for item in schema["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody", {}).get("content", {})
            assert len(body) <= 1, operation["operationId"]  # one body type per operation
    download = schema["paths"]["/api/v1/reports/{id}/download/{fmt}/"]["get"]["responses"]["200"]
    assert "Content-Disposition" in download["headers"]
    assert set(schema["components"]["securitySchemes"]) >= {"tokenAuth", "bearerAuth"}
    request = schema["paths"]["/api/v1/reports/"]["post"]["responses"]
    assert "Location" in request["202"]["headers"]
