"""The commune officer's path on a phone (360 px): home, the field-visit form with a photo
(a non-image refused with a message first), the visit on the home page, and the proposal
form reached from there."""

import os

import pytest

from fieldwork.models import FieldVisit
from tests.factories import build_world, make_application
from tests.test_browser_workflow import browser, session_for  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots-16"


def _png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3)).save(buffer, "PNG")
    return {"name": "may-say.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def test_commune_officer_on_a_phone(transactional_db, units, live_server, session_for):  # noqa: F811
    world = build_world(province_codes=(80,))
    tn = world.provinces[80]
    application = make_application(tn, user=tn.commune_officer)
    page = session_for(tn.commune_officer, "/")
    page.set_viewport_size({"width": 360, "height": 740})
    page.click("#commune-desk-link")
    page.wait_for_selector("#schemes")
    assert application.code in page.inner_text("#schemes")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{SHOTS}/commune-home-360.png", full_page=True)

    page.click("#new-visit")
    page.wait_for_selector("#visit-form")
    assert page.get_attribute("#id_photos", "capture") == "environment"
    assert page.get_attribute("#id_photos", "accept") == "image/*"
    page.fill("#id_notes", "Cơ sở đã lắp máy sấy, chạy thử ổn định")
    page.set_input_files("#id_photos", [{"name": "ghi-chu.jpg", "mimeType": "image/jpeg",
                                         "buffer": b"khong phai anh"}])
    page.click("#save-visit")
    page.wait_for_selector(".invalid-feedback:has-text('không phải ảnh')")
    assert not FieldVisit.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{SHOTS}/visit-refused-360.png", full_page=True)

    page.set_input_files("#id_photos", [_png()])
    page.click("#save-visit")
    page.wait_for_selector("#visits img")
    visit = FieldVisit.objects.get()
    assert visit.photos.count() == 1 and visit.created_by == tn.commune_officer
    page.screenshot(path=f"{SHOTS}/visit-saved-360.png", full_page=True)

    page.click("#propose")
    page.wait_for_selector("#application-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{SHOTS}/proposal-form-360.png", full_page=True)
