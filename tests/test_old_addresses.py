"""Old (pre-2025) addresses: the portal proposes the successor commune through the lineage,
the officer confirms, both are stored; import accepts either; the search of old units puts
the exact one first ("phuong 4 tan an")."""

import pytest
from django.urls import reverse

from applications.models import Establishment, RowOutcome
from provinces.models import LegacyCommune

from .conftest import TAN_NINH_WARD
from .test_imports import errors_of, row, xlsx

pytestmark = pytest.mark.django_db

PHUONG_4_TAN_AN = 27691  # → Phường Long An (27694)
PHUONG_LONG_AN = 27694
MO_CONG = 25510  # split: Xã Trà Vong (25510) and Xã Tân Phú (25549)


def test_search_puts_the_exact_old_unit_first(api_client_for, tn_officer):
    found = api_client_for(tn_officer).get("/api/v1/legacy-communes/", {"q": "phuong 4 tan an"}).json()
    assert found["count"] >= 1  # word-level search: "an" must start a word, so few others match
    assert found["results"][0]["code"] == PHUONG_4_TAN_AN
    assert LegacyCommune.objects.search("Phường 4, Tân An").first().code == PHUONG_4_TAN_AN
    assert LegacyCommune.objects.search("phuong 4").first().name == "Phường 4"


def form_data(**extra):
    return {"name": "Cơ sở bánh tráng Hậu Nghĩa", "legal_form": "household", "tax_code": "",
            "representative": "Võ Thị Út", "province": "80", "address": "Số 5, đường Hùng Vương",
            "industry": "Chế biến thực phẩm", **extra}


def test_officer_gives_the_old_commune_and_confirms_the_proposal(client, tn_officer):
    client.force_login(tn_officer)
    proposal = client.get(reverse("applications:establishment_successors"),
                          {"province": 80, "legacy_commune": PHUONG_4_TAN_AN}).content.decode()
    assert f'<option value="{PHUONG_LONG_AN}" selected>Phường Long An</option>' in proposal
    assert "Đề xuất theo quan hệ kế thừa" in proposal
    split = client.get(reverse("applications:establishment_successors"),
                       {"province": 80, "legacy_commune": MO_CONG}).content.decode()
    assert "Xã Trà Vong" in split and "Xã Tân Phú" in split and " selected" not in split

    response = client.post(reverse("applications:establishment_create"),
                           form_data(legacy_commune=PHUONG_4_TAN_AN, commune=PHUONG_LONG_AN))
    assert response.status_code == 302, response.content.decode()[:3000]
    est = Establishment.objects.get()
    assert est.legacy_commune_id == PHUONG_4_TAN_AN and est.commune_id == PHUONG_LONG_AN
    page = client.get(reverse("applications:establishment_detail", args=[est.pk])).content.decode()
    assert "Phường 4" in page and "Thành phố Tân An" in page


def test_old_commune_that_was_split_needs_a_choice_and_a_wrong_successor_is_refused(client, tn_officer):
    client.force_login(tn_officer)
    response = client.post(reverse("applications:establishment_create"), form_data(legacy_commune=MO_CONG))
    assert response.status_code == 400
    assert "nay thuộc nhiều xã/phường: Xã Trà Vong, Xã Tân Phú" in response.content.decode() or \
        "nay thuộc nhiều xã/phường: Xã Tân Phú, Xã Trà Vong" in response.content.decode()
    response = client.post(reverse("applications:establishment_create"),
                           form_data(legacy_commune=MO_CONG, commune=TAN_NINH_WARD))
    assert response.status_code == 400
    assert "không phải đơn vị kế thừa" in response.content.decode()
    response = client.post(reverse("applications:establishment_create"), form_data(legacy_commune=PHUONG_4_TAN_AN))
    assert response.status_code == 302
    assert Establishment.objects.get().commune_id == PHUONG_LONG_AN
    assert not Establishment.objects.filter(legacy_commune_id=MO_CONG).exists()


@pytest.fixture
def up(tn_officer, django_capture_on_commit_callbacks, settings, tmp_path, monkeypatch):
    from khuyencong.celery import app as celery_app

    from .test_imports import upload

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    return lambda content: upload(tn_officer, content, capture=django_capture_on_commit_callbacks)


def test_import_accepts_the_old_commune_by_name_or_code(up, tn_officer, django_capture_on_commit_callbacks):
    from .test_imports import confirm

    job = up(xlsx([row(name="Một", commune="", legacy_commune="Phường 4, Thành phố Tân An"),
                   row(name="Hai", commune="", legacy_commune=str(MO_CONG)),
                   row(name="Ba", commune="Xã Tân Phú", legacy_commune=str(MO_CONG)),
                   row(name="Bốn", commune="", legacy_commune="Phường 4")]))
    errors = errors_of(job)
    assert set(errors) == {3, 5}
    assert "nay thuộc nhiều xã/phường" in errors[3][0] and "Xã Trà Vong" in errors[3][0]
    assert "trùng nhiều đơn vị" in errors[5][0]
    ok = up(xlsx([row(name="Một", commune="", legacy_commune="Phường 4, Thành phố Tân An"),
                  row(name="Ba", commune="Xã Tân Phú", legacy_commune=str(MO_CONG))]))
    assert ok.counts[RowOutcome.CREATED] == 2, errors_of(ok)
    confirm(tn_officer, ok, django_capture_on_commit_callbacks)
    assert Establishment.objects.get(name="Một").commune_id == PHUONG_LONG_AN
    assert Establishment.objects.get(name="Ba").legacy_commune_id == MO_CONG


def test_api_takes_the_old_commune_beside_the_new_one(api_client_for, tn_officer):
    client = api_client_for(tn_officer)
    body = {"name": "Cơ sở gạch Long An", "legal_form": "household", "representative": "A", "address": "x",
            "industry": "Gạch nung", "commune": PHUONG_LONG_AN, "legacy_commune": PHUONG_4_TAN_AN}
    created = client.post("/api/v1/establishments/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["legacy_commune"] == PHUONG_4_TAN_AN
    wrong = client.post("/api/v1/establishments/", {**body, "name": "Khác", "commune": TAN_NINH_WARD}, format="json")
    assert wrong.status_code == 400 and "legacy_commune" in wrong.json()["errors"]
