"""Each language on its own: the main pages of every demo role, rendered in Vietnamese and in
English, show no English on a Vietnamese page, no Vietnamese on an English page (beyond the
records' own data: names, titles, addresses), and no internal code where a label belongs.

The check reads the rendered pages, not the catalogue: a string never marked for
translation, a catalogue entry missing or a code printed instead of its label all fail."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from applications import demo
from applications.models import Application, Establishment
from programs.models import ActivityType
from provinces.models import Province
from tests.conftest import module_transaction

pytestmark = pytest.mark.django_db

VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)
CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z]{2,})+\b")  # DAO_TAO, MO_HINH_TD
# Words allowed on a Vietnamese page although they are English (names of formats and protocols).
LOANWORDS = {"api", "csv", "pdf", "xlsx", "email", "token", "swagger", "redoc", "openapi", "json", "http", "https",
             "excel", "english", "agpl", "web", "ios", "android", "otp", "totp", "url", "qr", "ip", "id"}


class _Text(HTMLParser):
    """The text a reader meets: text nodes (not scripts or styles) and the labels in
    attributes (aria-label, title, placeholder, alt)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def _data_strings() -> list[str]:
    """Every text value stored in the records (names, titles, addresses…), longest first:
    Vietnamese data is allowed on an English page."""
    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in ("applications", "programs", "provinces", "auth", "reports", "khuyencong"):
            continue
        names = [f.name for f in model._meta.concrete_fields
                 if isinstance(f, models.CharField | models.TextField | models.FileField) and not f.choices]
        if not names:
            continue
        for row in model._base_manager.values_list(*names):
            for value in row:
                if value and len(value) > 1:
                    found.add(" ".join(str(value).split()))
    for user in get_user_model().objects.all():
        found.add(user.get_full_name())
    found.update(p.short_name for p in Province.objects.all())
    # The portal's name and the name of the other language on its switch are not leaks.
    found.update({str(settings.PORTAL_NAME), "Tiếng Việt", "English"})
    return sorted((s for s in found if s), key=len, reverse=True)


def _english_words() -> set[str]:
    """Words of the English catalogue that never occur in a Vietnamese source string."""
    po = (Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text()
    msgids, msgstrs = [], []
    for kind, body in re.findall(r'^(msgid|msgstr) ((?:".*"\n)+)', po, re.M):
        text = "".join(re.findall(r'"(.*)"', body))
        (msgids if kind == "msgid" else msgstrs).append(text)
    source = {w.lower() for text in msgids for w in re.findall(r"[A-Za-z]+", text)}
    english = {w.lower() for text in msgstrs for w in re.findall(r"[A-Za-z]{4,}", text)}
    return english - source - LOANWORDS


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    with module_transaction(django_db_blocker):
        demo.seed_accounts(password="pw-test-12345")
        demo.seed_data()
        yield {"data": _data_strings(), "english": _english_words(),
               "codes": set(ActivityType.objects.values_list("code", flat=True))}


def _pages():
    def app(title):
        return Application.objects.get(province_id=80, title=title).pk

    draft, appraisal = app("Hỗ trợ máy tráng bánh tự động"), app("Hỗ trợ dây chuyền đóng gói hạt điều")
    running, settled = app("Lò nướng bánh tráng tiết kiệm củi"), app("Đào tạo thiết kế mẫu mã sản phẩm")
    establishment = Establishment.objects.filter(province_id=80).order_by("pk").first().pk
    return {
        "tayninh_canbo": ["/", "/viec-can-lam/", "/co-so/", "/co-so/moi/", f"/co-so/{establishment}/", "/de-an/",
                          "/de-an/moi/", f"/de-an/{draft}/", f"/de-an/{draft}/sua/", f"/de-an/{running}/",
                          f"/de-an/{settled}/", "/ngan-sach/", "/bao-cao/", "/bao-cao/lan-lap/"],
        "tayninh_lanhdao": [f"/de-an/{appraisal}/", "/bao-cao/tinh/80/"],
        "tayninh_hoidong3": [f"/de-an/{appraisal}/cham-diem/"],
        "cuc_chuyenvien": ["/de-an/", "/bao-cao/toan-quoc/", "/bao-cao/vung/dong-nam-bo/"],
        "tayninh_kiemtoan": ["/nhat-ky/"],
    }


def _strip_data(text: str, data: list[str]) -> str:
    if text.endswith("…") and any(value.startswith(text[:-1].rstrip()) for value in data):
        return ""  # a name or title cut short to fit
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return text


def _render(client, username, path, language):
    client.force_login(get_user_model().objects.get(username=username))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (username, path, response.status_code)
    return response.content.decode()


def test_no_english_on_vietnamese_pages_no_vietnamese_on_english_pages_no_codes(demo_data, client):
    data, english, codes = demo_data["data"], demo_data["english"], demo_data["codes"]
    problems = []
    for username, paths in _pages().items():
        for path in paths:
            vi_parts = texts(_render(client, username, path, "vi"))
            en_parts = texts(_render(client, username, path, "en"))
            for part in vi_parts:
                rest = _strip_data(part, data)
                words = {w for w in re.findall(r"[A-Za-z]{4,}", rest) if w.lower() in english and w.isascii()}
                if words:
                    problems.append(("vi", path, "English " + ",".join(sorted(words)), part))
                if CODE.search(rest) or any(re.search(rf"\b{re.escape(code)}\b", rest) for code in codes):
                    problems.append(("vi", path, "code", part))
            for part in en_parts:
                rest = _strip_data(part, data)
                if VIETNAMESE.search(rest):
                    problems.append(("en", path, "Vietnamese", part))
                if CODE.search(rest) or any(re.search(rf"\b{re.escape(code)}\b", rest) for code in codes):
                    problems.append(("en", path, "code", part))
    unique = sorted(set(problems))
    assert not unique, "\n".join(" | ".join(p) for p in unique)
