"""API lists that stay fast at national scale: word-level search, an estimated count
when a list is large (and the response says so), keyset cursors beside page numbers,
indexes matching the lists' orderings."""

import pytest
from django.core.cache import cache
from django.db import connection

from applications.models import Application
from tests.factories import build_world, make_application, make_establishment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cache.clear()  # counts another test kept in the shared cache would answer "cached" here
    world = build_world()
    setup = world.provinces[80]
    world.apps = [make_application(setup, attachments=False) for _ in range(3)]
    Application.objects.filter(pk=world.apps[0].pk).update(search_text="td-80-1 may ep mia tu dong")
    Application.objects.filter(pk=world.apps[1].pk).update(search_text="td-80-2 ho tro co khi kep go")
    Application.objects.filter(pk=world.apps[2].pk).update(search_text="td-80-3 dao tao nghe")
    with connection.cursor() as cursor:
        # Fresh statistics: an earlier test's 300,000 rows (since removed) would still be the
        # planner's estimate, as they would be in production until autovacuum analyses the table.
        cursor.execute("ANALYZE applications_application")
    return world


def _codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_search_matches_words_short_terms_only_at_a_word_start(world, api_client_for):
    client = api_client_for(world.agency_officer)
    may_ep, co_khi, _other = world.apps
    assert _codes(client.get("/api/v1/applications/", {"q": "máy ép"})) == [may_ep.code]
    assert _codes(client.get("/api/v1/applications/", {"q": "Cơ khí"})) == [co_khi.code]
    # "ep" starts a word in "may ep" only; "kep" merely contains it.
    assert _codes(client.get("/api/v1/applications/", {"q": "ep"})) == [may_ep.code]
    # Three characters or more match anywhere in a word, as before.
    assert _codes(client.get("/api/v1/applications/", {"q": "khi"})) == [co_khi.code]
    assert _codes(client.get("/api/v1/applications/", {"q": "("})) == []  # no regular-expression error


def test_small_lists_count_exactly(world, api_client_for):
    body = api_client_for(world.agency_officer).get("/api/v1/applications/").json()
    assert (body["count"], body["count_kind"]) == (3, "exact")


def test_large_lists_give_the_planners_estimate_and_page_on(world, api_client_for, settings):
    settings.KC_EXACT_COUNT_LIMIT = 1
    client = api_client_for(world.agency_officer)
    first = client.get("/api/v1/applications/", {"page_size": 2}).json()
    assert first["count_kind"] == "estimate" and first["count"] >= 1
    assert len(first["results"]) == 2 and first["next"]
    second = client.get("/api/v1/applications/", {"page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert client.get("/api/v1/applications/", {"page_size": 2, "page": 3}).status_code == 404


def test_cursor_pages_walk_the_list_in_its_order(world, api_client_for):
    client = api_client_for(world.provinces[80].officer)
    by_pages = _codes(client.get("/api/v1/applications/"))
    walked, cursor = [], ""
    for _ in range(5):
        body = client.get("/api/v1/applications/", {"cursor": cursor, "page_size": 1}).json()
        walked += [row["code"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            assert body["next"] is None
            break
        assert "cursor=" in body["next"]
    assert walked == by_pages and len(walked) == 3
    # A page-number page hands over its cursor too.
    first = client.get("/api/v1/applications/", {"page_size": 2}).json()
    rest = client.get("/api/v1/applications/", {"cursor": first["next_cursor"], "page_size": 2})
    assert _codes(rest) == by_pages[2:]


def test_cursor_pages_of_establishments(world, api_client_for):
    setup = world.provinces[80]
    make_establishment(setup)
    client = api_client_for(setup.officer)
    by_pages = [row["id"] for row in client.get("/api/v1/establishments/").json()["results"]]
    body = client.get("/api/v1/establishments/", {"cursor": "", "page_size": 2}).json()
    walked = [row["id"] for row in body["results"]]
    while body["next_cursor"]:
        body = client.get("/api/v1/establishments/", {"cursor": body["next_cursor"], "page_size": 2}).json()
        walked += [row["id"] for row in body["results"]]
    assert walked == by_pages


def test_a_broken_cursor_is_a_clear_400(world, api_client_for):
    client = api_client_for(world.agency_officer)
    for bad in ("%%%", "bm90IGpzb24", "WzFd"):  # not base64, not JSON, wrong length
        response = client.get("/api/v1/applications/", {"cursor": bad})
        assert response.status_code == 400, bad
        assert "cursor" in response.json()["errors"] if "errors" in response.json() else response.json()


def test_search_columns_have_trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'")
        found = dict(cursor.fetchall())
    assert {"application_search_trgm", "establishment_search_trgm"} <= set(found)


def test_a_large_count_the_planner_underestimated_is_cached(world, api_client_for, settings, monkeypatch):
    """Under row-level security the planner guesses ~1 % of the rows: a list it thinks small
    is counted exactly once, then the count comes from the cache (and says so)."""
    from django.core.cache import cache

    from khuyencong import pagination

    settings.KC_EXACT_COUNT_LIMIT = 3
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: 1)
    cache.clear()
    client = api_client_for(world.agency_officer)
    first = client.get("/api/v1/applications/").json()
    assert (first["count"], first["count_kind"]) == (3, "exact")
    second = client.get("/api/v1/applications/").json()
    assert (second["count"], second["count_kind"]) == (3, "cached")
    # Another list (another filter) is counted on its own.
    other = client.get("/api/v1/applications/", {"province": 79}).json()
    assert other["count_kind"] == "exact"
    cache.clear()


def test_a_provably_empty_list_counts_zero():
    from khuyencong.pagination import EstimatingPaginator

    paginator = EstimatingPaginator(Application.objects.none(), 10)
    assert (paginator.count, paginator.count_kind) == (0, "exact")
    assert list(paginator.page(1)) == []
