"""The audit trail: every create, change and delete of a domain record leaves an entry
with who, when, from where, the request id and the changed values; auditors and the
Agency browse it in their scope; nobody can change it."""

import csv
import io
import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory, override_settings

from applications import services as app_services
from applications.models import Application, ApplicationEvent, Establishment
from khuyencong.audit import audit_context, client_ip
from khuyencong.models import AuditEntry
from programs.models import Call
from provinces.choices import Role
from tests.conftest import HCM, TAN_NINH_WARD, TAY_NINH
from tests.factories import build_world, make_application, make_establishment

AUDIT_API = "/api/v1/audit-entries/"
ESTABLISHMENTS = "/api/v1/establishments/"


def entries_for(obj, action=None):
    qs = AuditEntry.objects.filter(model_label=obj._meta.label_lower, object_id=str(obj.pk))
    return qs.filter(action=action) if action else qs


@pytest.fixture
def world(db):
    return build_world(province_codes=(TAY_NINH,))


def test_api_create_and_update_record_actor_ip_request_id(world, api_client_for):
    setup = world.provinces[TAY_NINH]
    client = api_client_for(setup.officer)
    body = {"name": "Hợp tác xã mây tre đan Tân Ninh", "legal_form": "cooperative", "tax_code": "3901234567",
            "representative": "Trần Văn Bình", "commune": TAN_NINH_WARD, "address": "Khu phố 2",
            "industry": "Mây tre đan"}
    response = client.post(ESTABLISHMENTS, body, format="json", HTTP_X_REQUEST_ID="req-create-1",
                           REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "req-create-1"
    establishment = Establishment.objects.get(pk=response.json()["id"])
    created = entries_for(establishment, "create").get()
    assert created.user_id == setup.officer.pk and created.actor == setup.officer.username
    assert created.ip == "203.0.113.7" and created.request_id == "req-create-1"
    assert created.province_id == TAY_NINH
    assert created.before == {} and created.after["name"] == body["name"] and created.after["tax_code"] == "3901234567"

    response = client.patch(f"{ESTABLISHMENTS}{establishment.pk}/", {"address": "Khu phố 5"}, format="json",
                            REMOTE_ADDR="203.0.113.8")
    assert response.status_code == 200, response.content
    generated = response["X-Request-ID"]
    assert len(generated) == 32  # none sent: one is made and returned
    updated = entries_for(establishment, "update").get()
    assert updated.before == {"address": "Khu phố 2"} and updated.after == {"address": "Khu phố 5"}
    assert updated.request_id == generated and updated.ip == "203.0.113.8"


def test_forwarded_for_only_from_trusted_proxy():
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.50")
    assert client_ip(request) == "10.0.0.2"  # no trusted proxy configured: the header is ignored
    with override_settings(KC_TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == "203.0.113.50"  # what our proxy saw, not what the client claims


def test_transition_writes_event_and_audit_entries(world):
    setup = world.provinces[TAY_NINH]
    application = make_application(setup)
    with audit_context(actor="test", user=setup.officer, ip="192.0.2.1", request_id="req-submit"):
        app_services.application_transition(user=setup.officer, application_id=application.pk, action="submit")
    event = ApplicationEvent.objects.filter(application=application).latest("pk")
    assert (event.from_status, event.to_status) == ("draft", "submitted")
    entry = entries_for(application, "update").filter(request_id="req-submit").get()
    assert entry.before["status"] == "draft" and entry.after["status"] == "submitted"
    assert entry.user_id == setup.officer.pk and entry.ip == "192.0.2.1" and entry.province_id == TAY_NINH
    event_entry = entries_for(event, "create").get()
    assert event_entry.request_id == "req-submit" and event_entry.after["to_status"] == "submitted"


def test_money_is_integer_files_by_name_and_m2m_ids(world):
    setup = world.provinces[TAY_NINH]
    application = make_application(setup, requested=150_000_000, total=400_000_000)
    created = entries_for(application, "create").get()
    assert created.after["requested_support"] == 150_000_000
    attachment = application.attachments.first()
    after = entries_for(attachment, "create").get().after
    assert after["file"] == attachment.file.name and isinstance(after["size"], int)
    # Beneficiaries are a many-to-many field: the ids before and after.
    other = make_establishment(setup)
    app_services.application_update(user=setup.officer, application_id=application.pk,
                                    data={"version": Application.objects.get(pk=application.pk).version},
                                    establishments=[*application.establishments.all(), other])
    m2m = [e for e in entries_for(application, "update").order_by("pk") if "establishments" in e.after]
    assert m2m and other.pk in m2m[-1].after["establishments"] and other.pk not in m2m[0].before["establishments"]


def test_delete_and_command_actor(world):
    setup = world.provinces[TAY_NINH]
    call = Call.objects.get(pk=setup.local_call.pk)
    criterion = call.criteria.first()
    pk = criterion.pk
    criterion.delete()
    entry = AuditEntry.objects.get(model_label="programs.appraisalcriterion", object_id=str(pk), action="delete")
    assert entry.before["name"] and entry.after == {} and entry.province_id == TAY_NINH
    call_command("add_member", "auditor_tn", "--role", Role.AUDITOR, "--province", str(TAY_NINH))
    membership = get_user_model().objects.get(username="auditor_tn").memberships.get()
    assert entries_for(membership, "create").get().actor == "command:add_member"


@pytest.mark.django_db
def test_geography_and_sessions_are_not_audited(world):
    labels = set(AuditEntry.objects.values_list("model_label", flat=True))
    assert not labels & {"provinces.province", "provinces.commune", "sessions.session", "auth.user",
                         "provinces.legacycommune"}
    assert {"provinces.organisation", "provinces.membership", "programs.call", "programs.budgetallocation",
            "applications.councilmember"} <= labels


# --- Who can read it -------------------------------------------------------------------------


@pytest.fixture
def two_provinces(db, make_member):
    world = build_world(province_codes=(TAY_NINH, HCM))
    tn = make_application(world.provinces[TAY_NINH])
    hcm = make_application(world.provinces[HCM])
    return {"world": world, "tn": tn, "hcm": hcm, "tn_auditor": make_member(Role.AUDITOR, TAY_NINH, username="kt_tn"),
            "agency_auditor": make_member(Role.AUDITOR, agency=True, username="kt_cuc")}


def test_api_scoping_and_read_only(two_provinces, api_client_for):
    world = two_provinces["world"]
    tn_app, hcm_app = two_provinces["tn"], two_provinces["hcm"]
    tn_auditor = api_client_for(two_provinces["tn_auditor"])
    seen = tn_auditor.get(AUDIT_API, {"model": "applications.application", "page_size": 500}).json()
    ids = {row["object_id"] for row in seen["results"]}
    assert str(tn_app.pk) in ids and str(hcm_app.pk) not in ids
    assert {row["province"] for row in seen["results"]} == {TAY_NINH}
    for client in (api_client_for(two_provinces["agency_auditor"]), api_client_for(world.agency_officer)):
        rows = client.get(AUDIT_API, {"model": "applications.application", "page_size": 500}).json()["results"]
        assert {str(tn_app.pk), str(hcm_app.pk)} <= {row["object_id"] for row in rows}
    filtered = tn_auditor.get(AUDIT_API, {"object_id": tn_app.pk, "action": "create",
                                          "model": "applications.application"}).json()
    assert filtered["count"] == 1 and filtered["results"][0]["after"]["requested_support"] == 200_000_000
    # Officers and approvers are not auditors: 403.
    assert api_client_for(world.provinces[TAY_NINH].officer).get(AUDIT_API).status_code == 403
    assert api_client_for(world.provinces[TAY_NINH].approver).get(AUDIT_API).status_code == 403
    assert api_client_for(None).get(AUDIT_API).status_code == 401
    # Read-only: no write method exists.
    entry_id = seen["results"][0]["id"]
    agency = api_client_for(world.agency_officer)
    assert agency.post(AUDIT_API, {"action": "delete"}, format="json").status_code == 405
    assert agency.patch(f"{AUDIT_API}{entry_id}/", {"actor": "x"}, format="json").status_code == 405
    assert agency.delete(f"{AUDIT_API}{entry_id}/").status_code == 405


def test_page_filters_and_csv(two_provinces, client):
    world = two_provinces["world"]
    tn_app, hcm_app = two_provinces["tn"], two_provinces["hcm"]
    client.force_login(two_provinces["tn_auditor"])
    page = client.get("/nhat-ky/", {"model": "applications.application"})
    assert page.status_code == 200
    assert tn_app.code in page.text and tn_app.title in page.text
    assert hcm_app.code not in page.text
    export = client.get("/nhat-ky/xuat-csv/", {"model": "applications.application", "action": "create"})
    assert export.status_code == 200 and export.streaming
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Thời điểm"
    assert {row[6] for row in rows[1:]} == {str(tn_app.pk)}
    assert {row[5] for row in rows[1:]} == {"Đề án khuyến công"}  # the kind of record by name
    assert {(row[8], row[9]) for row in rows[1:]} == {(tn_app.code, tn_app.title)}
    client.force_login(world.provinces[TAY_NINH].officer)
    assert client.get("/nhat-ky/").status_code == 403


def test_admin_is_read_only(world):
    model_admin = admin_site._registry[AuditEntry]
    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="root")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, AuditEntry.objects.first())
    assert not model_admin.has_delete_permission(request, AuditEntry.objects.first())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL-only")
def test_database_refuses_update_and_delete(world):
    entry = AuditEntry.objects.first()
    for statement in (lambda: AuditEntry.objects.filter(pk=entry.pk).update(actor="someone else"),
                      lambda: AuditEntry.objects.filter(pk=entry.pk).delete()):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    assert AuditEntry.objects.get(pk=entry.pk).actor == entry.actor


def test_change_log_link_only_for_those_who_may_read_it(client, make_member):
    auditor = make_member("auditor", 80, username="nav_auditor")
    officer = make_member("province_officer", 80, username="nav_officer")
    client.force_login(auditor)
    assert "/nhat-ky/" in client.get("/").content.decode()
    client.force_login(officer)
    assert "/nhat-ky/" not in client.get("/").content.decode()


def test_loading_takes_no_snapshot_and_an_update_compares_with_the_stored_row(world):
    """Loading audited rows costs nothing extra (no snapshot per instance); the values
    before an update are read from the database when saving, so a change made meanwhile
    by someone else is the recorded "before"."""
    application = make_application(world.provinces[TAY_NINH], attachments=False)
    loaded = Application.objects.get(pk=application.pk)
    assert "_kc_audit_before" not in loaded.__dict__
    Application.objects.filter(pk=application.pk).update(title="Đổi ở nơi khác")  # no signal, no entry
    loaded.title = "Tên mới"
    with audit_context(actor="test"):
        loaded.save(update_fields=["title"])
    entry = entries_for(loaded, "update").order_by("-pk").first()
    assert entry.before == {"title": "Đổi ở nơi khác"} and entry.after == {"title": "Tên mới"}


def test_a_change_reads_as_a_person_would_describe_it(two_provinces, client):
    """Who did what to which dossier, in local time, field by field with labels and
    formatted values; filterable by dossier, person, kind; exported the same way."""
    world = two_provinces["world"]
    tn_app, hcm_app = two_provinces["tn"], two_provinces["hcm"]
    setup = world.provinces[TAY_NINH]
    setup.officer.first_name, setup.officer.last_name = "Lan", "Nguyễn Thị"
    setup.officer.save()
    with audit_context(actor=setup.officer.username, user=setup.officer):
        app_services.application_transition(user=setup.officer, application_id=tn_app.pk, action="submit")
    client.force_login(two_provinces["tn_auditor"])
    page = client.get("/nhat-ky/", {"dossier": tn_app.code, "model": "applications.application",
                                    "action": "update"})
    assert page.status_code == 200
    text = page.content.decode()
    assert tn_app.code in text and tn_app.title in text
    assert "Trạng thái" in text and "Nháp" in text and "Đã nộp" in text  # states by name
    assert "submitted" not in text and "+00:00" not in text and "{&#x27;" not in text
    # The create entry: money as money, the kind of record by its Vietnamese name.
    created = client.get("/nhat-ky/", {"dossier": tn_app.code, "action": "create"}).content.decode()
    assert f"{tn_app.requested_support:,} ₫".replace(",", ".") in created
    assert "Đề án khuyến công" in created
    # Another province's dossier is not found (nothing listed), and the kinds are named.
    assert "audit-entry" not in client.get("/nhat-ky/", {"dossier": hcm_app.code}).content.decode()
    assert re.search(r'<option value="applications.application"[^>]*>Đề án khuyến công</option>', text)
    # By person: the officer's entries only.
    by_person = client.get("/nhat-ky/", {"user": setup.officer.username}).content.decode()
    assert setup.officer.get_full_name() in by_person and setup.officer.username in by_person
    export = client.get("/nhat-ky/xuat-csv/", {"dossier": tn_app.code, "action": "update",
                                               "model": "applications.application"})
    assert tn_app.code in export["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    status_rows = [row for row in rows[1:] if "Trạng thái: Nháp → Đã nộp" in row[12]]
    assert status_rows and status_rows[0][8] == tn_app.code and status_rows[0][10] == "Sửa đổi"
