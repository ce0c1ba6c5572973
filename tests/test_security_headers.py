"""Response headers and the Content-Security-Policy: nonces on every script and style,
no inline handlers or style attributes in any template, the API docs under the policy,
production transport settings, uploads never served by URL; and, in a real browser,
no CSP violation on the main pages."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from .factories import build_world, make_application

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"] + [
    path / "templates" for path in Path(settings.BASE_DIR).iterdir() if (path / "templates").is_dir()
]
# Rendered by WeasyPrint into PDFs, never sent to a browser.
NOT_SERVED = {Path("reports/pdf")}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def header_nonce(response) -> str:
    values = policy(response)["script-src"]
    nonces = [v[len("'nonce-"):-1] for v in values if v.startswith("'nonce-")]
    assert len(nonces) == 1, values
    return nonces[0]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(response):
    parser = Tags()
    parser.feed(response.content.decode())
    return parser.tags


def assert_scripts_and_styles_allowed(response):
    """Every <script> is a static file or carries the header's nonce;
    every <style> carries it; no element has an inline handler or a style attribute."""
    assert response.status_code == 200
    nonce = header_nonce(response)
    tags = tags_of(response)
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert scripts, "the page has scripts"
    for attrs in scripts:
        if attrs.get("type") == "application/json":
            continue  # a data block ({{ x|json_script }}), never executed
        src = attrs.get("src") or ""
        assert src.startswith("/static/") or attrs.get("nonce") == nonce, attrs
        if "nonce" in attrs:
            assert attrs["nonce"] == nonce
    for tag, attrs in tags:
        if tag == "style":
            assert attrs.get("nonce") == nonce, attrs
        assert "style" not in attrs, (tag, attrs)
        assert not [name for name in attrs if name.startswith("on") or name.startswith("hx-on")], (tag, attrs)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def tn(world):
    return world.provinces[80]


def test_csp_header_is_strict_with_a_fresh_nonce(client, tn):
    client.force_login(tn.officer)
    first, second = client.get("/"), client.get("/")
    csp = policy(first)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["style-src"][0] == "'self'" and "'unsafe-inline'" not in csp["style-src"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["font-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert header_nonce(first) != header_nonce(second)
    assert first["X-Frame-Options"] == "DENY"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Referrer-Policy"] == "same-origin"


def test_every_script_on_the_main_pages_has_the_nonce_or_is_a_static_file(client, world, tn):
    application = make_application(tn, attachments=False)
    client.force_login(tn.officer)
    for url in ["/", reverse("applications:application_list"),
                reverse("applications:application_detail", args=[application.pk]),
                reverse("applications:application_update", args=[application.pk]),
                reverse("applications:establishment_list"), reverse("applications:tasks"), "/dia-ban/80/",
                reverse("reports:index"), reverse("reports:province", args=[80]), reverse("api_tokens"),
                reverse("two_factor_setup"), reverse("password_change")]:
        response = client.get(url)
        assert_scripts_and_styles_allowed(response)
    client.force_login(world.agency_officer)
    assert_scripts_and_styles_allowed(client.get(reverse("reports:national")))
    client.logout()
    for url in [reverse("login"), reverse("password_reset")]:
        assert_scripts_and_styles_allowed(client.get(url))


def test_htmx_is_configured_not_to_inject_styles_or_evaluate_code(client, tn):
    client.force_login(tn.officer)
    meta = [attrs for tag, attrs in tags_of(client.get("/")) if tag == "meta" and attrs.get("name") == "htmx-config"]
    config = json.loads(meta[0]["content"])
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False and config["allowScriptTags"] is False


INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.S)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.S)
STYLE_TAG = re.compile(r"<style\b([^>]*)>", re.S)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def served_templates():
    for base in TEMPLATE_DIRS:
        for path in sorted(base.rglob("*.html")):
            if not any(path.relative_to(base).is_relative_to(skip) for skip in NOT_SERVED):
                yield path


def test_no_template_has_inline_handlers_style_attributes_or_nonce_less_inline_code():
    templates = list(served_templates())
    assert len(templates) > 20
    problems = []
    for path in templates:
        text = TEMPLATE_COMMENT.sub("", path.read_text())
        for pattern, what in [(INLINE_HANDLER, "inline event handler"), (STYLE_ATTRIBUTE, "style attribute")]:
            problems += [f"{path}: {what}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
        if "javascript:" in text:
            problems.append(f"{path}: javascript: URL")
        for m in SCRIPT_TAG.finditer(text):
            if "src=" not in m.group(1) and "csp_nonce" not in m.group(1):
                problems.append(f"{path}: inline <script> without the nonce")
        for m in STYLE_TAG.finditer(text):
            if "csp_nonce" not in m.group(1):
                problems.append(f"{path}: <style> without the nonce")
    assert problems == []


def test_swagger_ui_renders_offline_under_the_policy(client, tn):
    client.force_login(tn.officer)
    response = client.get("/api/v1/docs/")
    assert_scripts_and_styles_allowed(response)
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html  # everything from our own server
    scripts = [attrs["src"] for tag, attrs in tags_of(response) if tag == "script" and "src" in attrs]
    assert any("swagger-ui-bundle.js" in src for src in scripts)
    inline = [attrs for tag, attrs in tags_of(response) if tag == "script" and "src" not in attrs]
    assert len(inline) == 1 and inline[0]["nonce"] == header_nonce(response) and "SwaggerUIBundle" in html
    for src in scripts:
        if src.startswith(settings.STATIC_URL):  # bundled in the sidecar package: no CDN
            assert finders.find(src.removeprefix(settings.STATIC_URL)), src


def test_redoc_renders_offline_with_inline_styles_allowed_only_there(client, tn):
    client.force_login(tn.officer)
    response = client.get("/api/v1/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "fonts.googleapis.com" not in html and "https://" not in html
    csp = policy(response)
    assert "'unsafe-inline'" in csp["style-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert not [attrs for tag, attrs in tags_of(response) if tag == "script" and not attrs.get("src")]
    assert "'unsafe-inline'" not in policy(client.get("/"))["style-src"]


def test_uploads_are_never_served_from_their_storage_path(client, tn):
    name = default_storage.save("attachments/2026/ke-hoach.pdf", ContentFile(b"%PDF-1.4 secret"))
    try:
        assert settings.MEDIA_URL and not settings.MEDIA_URL.startswith(settings.STATIC_URL)
        for who in (None, tn.officer):
            if who:
                client.force_login(who)
            for url in (settings.MEDIA_URL + name, "/media/" + name, settings.STATIC_URL + name):
                response = client.get(url)
                assert response.status_code == 404, url
                assert b"secret" not in b"".join(response) if hasattr(response, "streaming_content") else True
    finally:
        default_storage.delete(name)


def test_production_settings_enforce_transport_security(tmp_path):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "DJANGO_SETTINGS_MODULE": "khuyencong.settings"}
    for name in ("SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
                 "KC_ENFORCE_2FA", "KC_ALLOW_DEV_KEY"):
        env.pop(name, None)
    code = ("import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in "
            "['SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
            " 'SECURE_SSL_REDIRECT', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SESSION_COOKIE_HTTPONLY',"
            " 'KC_ENFORCE_2FA']}))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=settings.BASE_DIR, check=True)
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["X_FRAME_OPTIONS"] == "DENY" and values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["KC_ENFORCE_2FA"] is True


# --- In a real browser -------------------------------------------------------------------------

CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_in_the_browser(live_server, transactional_db, units, chromium):
    world = build_world()
    tn = world.provinces[80]
    application = make_application(tn, attachments=False)
    from django.test import Client

    pages = {
        tn.officer: ["/", f"/de-an/{application.pk}/", f"/de-an/{application.pk}/sua/", "/de-an/", "/dia-ban/80/",
                     "/bao-cao/tinh/80/", "/khoa-api/", "/xac-thuc-hai-lop/dang-ky/", "/api/v1/docs/"],
        world.agency_officer: ["/bao-cao/toan-quoc/"],
    }
    for user, urls in pages.items():
        session = Client()
        session.force_login(user)
        context = chromium.new_context(locale="vi-VN")
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        context.add_init_script(CSP_PROBE)
        tab = context.new_page()
        console = []
        tab.on("console", lambda msg, console=console: console.append(msg.text))
        try:
            for url in urls:
                tab.goto(live_server.url + url)
                tab.wait_for_load_state("networkidle")
                if url == "/de-an/":
                    # An htmx swap: the live search replaces the table without any violation.
                    search = tab.locator("#app-q")
                    if search.count():
                        search.press_sequentially("may say", delay=20)
                        tab.wait_for_load_state("networkidle")
                if url == "/api/v1/docs/":
                    tab.locator(".swagger-ui .info").wait_for()
                violations = tab.evaluate("window.__cspViolations")
                csp_console = [text for text in console if "Content Security Policy" in text]
                assert violations == [] and csp_console == [], (url, violations, csp_console)
        finally:
            context.close()
