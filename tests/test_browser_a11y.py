"""Accessibility on the main paths, in a real browser: for every demo role, each page of its
main path at 1366 px and at 360 px has zero axe-core violations (WCAG 2.1 A/AA rules, axe
vendored under static/, loaded from the portal itself) and never scrolls sideways.

Set ``KC_A11Y_REPORT=/path.json`` to also write the violation counts per page (the figures
quoted in the closing note of the accessibility work)."""

import json
import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from applications import demo
from applications.models import Application, Establishment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 360)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SHOTS = os.environ.get("KC_A11Y_SHOTS", "")


def _app(title, province=80):
    return Application.objects.get(province_id=province, title=title).pk


def _paths(role):
    """The pages a person in this role goes through on an ordinary day."""
    draft = _app("Hỗ trợ máy tráng bánh tự động")
    appraisal = _app("Hỗ trợ dây chuyền đóng gói hạt điều")
    approved = _app("Máy chế biến nông sản sau thu hoạch")
    running = _app("Lò nướng bánh tráng tiết kiệm củi")
    settled = _app("Đào tạo thiết kế mẫu mã sản phẩm")
    endorsed = _app("Mô hình trình diễn sản xuất gạch không nung")
    national = _app("Máy ép viên nén mùn cưa tiết kiệm năng lượng")
    establishment = Establishment.objects.filter(province_id=80).order_by("pk").first().pk
    return {
        "tayninh_canbo": ["/", "/viec-can-lam/", "/co-so/", "/co-so/moi/", f"/co-so/{establishment}/", "/de-an/",
                          "/de-an/moi/", f"/de-an/{draft}/", f"/de-an/{draft}/sua/", f"/de-an/{running}/",
                          f"/de-an/{settled}/", "/ngan-sach/", "/bao-cao/", "/dia-ban/80/"],
        "tayninh_lanhdao": ["/", "/viec-can-lam/", f"/de-an/{appraisal}/", f"/de-an/{approved}/", "/ngan-sach/",
                            "/bao-cao/tinh/80/"],
        "tayninh_hoidong3": ["/", "/viec-can-lam/", f"/de-an/{appraisal}/cham-diem/"],
        "tayninh_xa": ["/", "/viec-can-lam/", "/co-so/", "/de-an/"],
        "cuc_chuyenvien": ["/", "/viec-can-lam/", "/de-an/", f"/de-an/{endorsed}/", "/bao-cao/toan-quoc/",
                           "/bao-cao/lan-lap/"],
        "cuc_lanhdao": ["/", "/viec-can-lam/", f"/de-an/{national}/"],
        "tayninh_kiemtoan": ["/", "/nhat-ky/", "/de-an/", f"/de-an/{settled}/"],
    }[role]


def axe_check(page, base_url):
    """axe's violations on the page (rule id, impact, number of nodes) and the page's
    sideways overflow in pixels."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=f"{base_url}/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""", AXE_TAGS)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    return result, overflow


@pytest.fixture
def demo_world(transactional_db, units):
    demo.seed_accounts(password="pw-test-12345")
    demo.seed_data()


def _open(browser, live_server, username, width):
    context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    return context


def _walk(chromium, live_server, username):
    problems, counts = [], {}
    for width in WIDTHS:
        context = _open(chromium, live_server, username, width)
        page = context.new_page()
        try:
            for path in _paths(username):
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (path, response.status)
                page.wait_for_load_state("networkidle")
                violations, overflow = axe_check(page, live_server.url)
                counts[f"{path} @{width}"] = {"violations": sum(v["nodes"] for v in violations),
                                              "rules": {v["id"]: v["nodes"] for v in violations},
                                              "overflow_px": overflow}
                if SHOTS:
                    os.makedirs(SHOTS, exist_ok=True)
                    name = f"{username}{path.replace('/', '_')}{width}.png"
                    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)
                if violations:
                    problems.append((path, width, violations))
                if overflow > 0:
                    wide = page.evaluate("""() => {
                        const limit = document.documentElement.clientWidth, found = [];
                        for (const el of document.querySelectorAll('body *')) {
                            const r = el.getBoundingClientRect();
                            if (r.right <= limit + 1 || !r.width) continue;
                            let p = el.parentElement, clipped = false;
                            while (p && p !== document.body) {
                                const o = getComputedStyle(p).overflowX;
                                if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
                                p = p.parentElement;
                            }
                            if (!clipped) found.push(el.tagName + '#' + el.id + '.' + el.className
                                                    + ' ' + Math.round(r.right));
                        }
                        return found.slice(0, 5);
                    }""")
                    problems.append((path, width, f"scrolls sideways by {overflow} px", wide))
        finally:
            context.close()
    report = os.environ.get("KC_A11Y_REPORT")
    if report:
        existing = json.load(open(report)) if os.path.exists(report) else {}
        existing[username] = counts
        with open(report, "w") as handle:
            json.dump(existing, handle, ensure_ascii=False, indent=1)
    return problems


@pytest.mark.parametrize("username", ["tayninh_canbo", "tayninh_lanhdao", "tayninh_hoidong3", "tayninh_xa",
                                      "cuc_chuyenvien", "cuc_lanhdao", "tayninh_kiemtoan"])
def test_main_path_is_accessible_and_fits_a_phone(demo_world, live_server, chromium, username):
    if username == "tayninh_hoidong3":  # past the declaration: the score sheet with its comments
        from applications.services import conflict_declare

        member = get_user_model().objects.get(username=username)
        conflict_declare(user=member, application_id=_app("Hỗ trợ dây chuyền đóng gói hạt điều"), has_conflict=False)
    problems = _walk(chromium, live_server, username)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_an_officer_submits_a_dossier_with_the_keyboard_only(demo_world, live_server, chromium):
    """Tab to the dossier from the list, Tab to "Nộp đề án", Enter, accept the
    confirmation: no mouse anywhere."""
    returned = Application.objects.get(province_id=80, title="Ứng dụng máy sấy bơm nhiệt trong chế biến muối tôm")
    context = _open(chromium, live_server, "tayninh_canbo", 1366)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto(f"{live_server.url}/de-an/")

        def tab_to(selector, limit=200):
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                    return
            raise AssertionError(f"{selector} is not reachable with Tab")

        tab_to(f'a[href="/de-an/{returned.pk}/"]')
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/de-an/{returned.pk}/")
        tab_to("[data-action=submit] button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("#status-badge:has-text('Đã nộp')")
    finally:
        context.close()
    returned.refresh_from_db()
    assert returned.status == "submitted"
