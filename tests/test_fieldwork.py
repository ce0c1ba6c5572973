"""The commune officer's desk: the home page (their commune's establishments and
schemes, what waits on them, the figures by year and activity type) and the field-visit
form (photos refused when not images or too large, stored through the file storage,
shown only within scope)."""

import io
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from applications import services as app_services
from fieldwork.models import FieldVisit, FieldVisitPhoto
from tests.conftest import module_transaction
from tests.factories import approve_local, build_world, make_application, make_establishment

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        yield build_world((80, 79))


def png(name="anh.png", size=(32, 24)):
    buffer = io.BytesIO()
    # Noise: a photo-like image that does not compress away.
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_home_shows_the_communes_schemes_tasks_and_figures(world, client):
    tn, hcm = world.provinces[80], world.provinces[79]
    mine = make_application(tn, user=tn.commune_officer)
    approved = make_application(tn, user=tn.commune_officer)
    approve_local(tn, approved, amount=150_000_000)
    elsewhere = make_application(hcm)
    app_services.application_transition(user=tn.officer, application_id=mine.pk, action="submit")
    app_services.application_transition(user=tn.officer, application_id=mine.pk, action="return", reason="Thiếu")
    client.force_login(tn.commune_officer)
    assert 'id="commune-desk-link"' in client.get(reverse("home")).content.decode()
    response = client.get(reverse("fieldwork:home"))
    html = response.content.decode()
    assert mine.code in html and approved.code in html and elsewhere.code not in html
    assert reverse("applications:application_create") in html
    waiting = html.split('id="waiting"')[1].split("</section>")[0]
    assert mine.code in waiting  # returned to its proposer
    (row,) = [r for r in response.context["figures"] if r["year"] == approved.year]
    assert (row["proposed"], row["approved"], row["money"]) == (2, 1, 150_000_000)
    assert "150.000.000" in html
    # Province staff have no commune: no such page for them.
    client.force_login(tn.officer)
    assert client.get(reverse("fieldwork:home")).status_code == 404


def test_a_field_visit_with_photos_and_location(world, client):
    tn = world.provinces[80]
    commune = tn.commune_officer.memberships.get().organisation.commune
    establishment = make_establishment(tn, commune=commune)
    client.force_login(tn.commune_officer)
    form = client.get(reverse("fieldwork:visit_create")).content.decode()
    assert 'accept="image/*"' in form and 'capture="environment"' in form and "multiple" in form
    response = client.post(reverse("fieldwork:visit_create"), {
        "commune": commune.pk, "visited_on": timezone.localdate().isoformat(), "establishment": establishment.pk,
        "notes": "Máy sấy đã lắp, chạy thử tốt", "latitude": "11.310000", "longitude": "106.098000",
        "photos": [png("may-say.png"), png("xuong.png")]})
    assert response.status_code == 302
    visit = FieldVisit.objects.get(commune=commune)
    assert visit.establishment == establishment and str(visit.latitude) == "11.310000"
    assert visit.photos.count() == 2 and visit.province_id == 80
    photo = visit.photos.first()
    shown = client.get(reverse("fieldwork:photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
    home = client.get(reverse("fieldwork:home")).content.decode()
    assert "Máy sấy đã lắp" in home and reverse("fieldwork:photo", args=[photo.pk]) in home
    # Another province's officer gets a 404 for the photo.
    client.force_login(world.provinces[79].officer)
    assert client.get(reverse("fieldwork:photo", args=[photo.pk])).status_code == 404


def test_bad_photos_and_input_are_refused_and_nothing_is_stored(world, client, settings):
    settings.KC_FIELD_PHOTO_MAX_BYTES = 2000
    tn = world.provinces[80]
    commune = tn.commune_officer.memberships.get().organisation.commune
    client.force_login(tn.commune_officer)
    before = (FieldVisit.objects.count(), FieldVisitPhoto.objects.count())
    cases = [
        ({"photos": [SimpleUploadedFile("anh.jpg", b"day khong phai anh", content_type="image/jpeg")]},
         "không phải ảnh"),
        ({"photos": [png("lon.png", size=(400, 400))]}, "ảnh quá lớn"),
        ({"notes": "  "}, "Cần ghi chép"),
        ({"visited_on": (timezone.localdate() + timedelta(days=2)).isoformat()}, "không được sau hôm nay"),
        ({"latitude": "11.3"}, "đủ vĩ độ và kinh độ"),
    ]
    for change, message in cases:
        data = {"commune": commune.pk, "visited_on": timezone.localdate().isoformat(), "notes": "Ghi chép",
                "photos": [png()], **change}
        response = client.post(reverse("fieldwork:visit_create"), data)
        assert response.status_code == 400, change
        assert message in response.content.decode(), (change, message)
    assert (FieldVisit.objects.count(), FieldVisitPhoto.objects.count()) == before
