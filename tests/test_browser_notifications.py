"""The bell in a browser: the approver's page shows a new notice, without a reload, when
the commune officer submits a dossier in another browser; the list at phone width leads
to the dossier."""

import pytest

from notifications.models import Notification
from tests.factories import build_world, make_application
from tests.test_browser_workflow import browser, expect_status, session_for  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/shots-16"


def test_the_bell_updates_when_another_user_acts(transactional_db, units, live_server, session_for, settings):  # noqa: F811
    settings.KC_NOTIFICATION_POLL_SECONDS = 1
    world = build_world(province_codes=(80,))
    tn = world.provinces[80]
    application = make_application(tn, user=tn.commune_officer)
    approver = session_for(tn.approver, "/")
    approver.wait_for_selector("#kc-bell[hx-trigger^='every']")  # the bell has loaded and now polls
    assert approver.locator("#kc-bell-count").count() == 0
    approver.evaluate("window.kcNoReload = true")  # gone if the page reloads

    officer = session_for(tn.commune_officer, f"/de-an/{application.pk}/")
    officer.click("[data-action=submit] .btn:not([disabled])")
    expect_status(officer, "Đã nộp")

    approver.wait_for_selector("#kc-bell-count:has-text('1')", timeout=10_000)
    assert approver.evaluate("window.kcNoReload") is True
    approver.screenshot(path=f"{SHOTS}/bell-desktop.png")

    # At phone width: the list, then the notice leads to the dossier and is read.
    approver.set_viewport_size({"width": 360, "height": 740})
    approver.goto(f"{live_server.url}/thong-bao/")
    approver.wait_for_selector("#notification-list .list-group-item-primary")
    approver.screenshot(path=f"{SHOTS}/notifications-360.png", full_page=True)
    assert approver.evaluate("document.documentElement.scrollWidth") <= 360
    approver.click(f"#notification-list a:has-text('{application.code}')")
    expect_status(approver, "Đã nộp")
    assert approver.url.endswith(f"/de-an/{application.pk}/")
    assert Notification.objects.get(recipient=tn.approver, application=application).is_read
    approver.wait_for_selector("#kc-bell:not(:has(#kc-bell-count))", timeout=10_000)
