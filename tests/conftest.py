"""Fixtures: the administrative units loaded once per test database, demo-like members
in two provinces and the Agency, API clients with tokens."""

import os
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.test import APIClient

from khuyencong.services import api_token_create
from provinces.choices import Role
from provinces.models import Commune, Province
from provinces.services import admin_units_load, member_add

TAY_NINH = 80
HCM = 79
TAN_NINH_WARD = 25459  # Phường Tân Ninh, Tây Ninh
THU_DUC_WARD = 26824  # Phường Thủ Đức, TP HCM


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        admin_units_load()


@pytest.fixture
def units(django_db_blocker):
    """For transactional tests: the flush between tests empties the units, reload them."""
    if not Province.objects.exists():
        admin_units_load()


@pytest.fixture
def make_member(db):
    counter = {"n": 0}

    def make(role, province=TAY_NINH, commune=None, username=None, agency=False):
        counter["n"] += 1
        username = username or f"{role}_{province if not agency else 'cuc'}_{counter['n']}"
        prov = None if agency else Province.objects.get(code=province)
        com = Commune.objects.get(code=commune) if commune else None
        user, *_ = member_add(username=username, role=role, province=prov, commune=com, password="pw-test-12345",
                              email=f"{username}@example.test")
        return user

    return make


@pytest.fixture
def tn_officer(make_member):
    return make_member(Role.PROVINCE_OFFICER, TAY_NINH, username="tn_officer")


@pytest.fixture
def hcm_officer(make_member):
    return make_member(Role.PROVINCE_OFFICER, HCM, username="hcm_officer")


@pytest.fixture
def agency_officer(make_member):
    return make_member(Role.AGENCY_OFFICER, agency=True, username="cuc_officer")


@pytest.fixture
def no_role_user(db):
    return get_user_model().objects.create_user("norole", password="pw-test-12345")


@pytest.fixture
def api_client_for():
    def make(user=None, read_only=False):
        client = APIClient()
        if user is not None:
            _token, key = api_token_create(user=user, read_only=read_only)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


# --- Browser tests ---------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium driven by Playwright, one for the whole session."""
    # Sync Playwright runs an event loop in this thread; Django would then refuse the
    # test's own (synchronous) database calls as "async unsafe".
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser tab (own cookies) for one test, in Vietnamese."""
    context = chromium.new_context(locale="vi-VN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def pytest_generate_tests(metafunc):
    from .api_matrix import parametrize_matrix

    parametrize_matrix(metafunc)


@contextmanager
def module_transaction(django_db_blocker):
    """For module-scoped data: build it once inside an outer transaction; every test
    then runs in a savepoint within it (pytest-django's own atomic) and the whole module
    is rolled back at the end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _database_scope_per_test():
    """A test that changes the row-level-security scope does not hand it to the next."""
    yield
    from khuyencong import rls

    rls.reset_scope()
