"""The permission matrix every API endpoint gets for free.

Subclass :class:`ApiPermissionMatrix` in a ``test_*.py`` module, name the subclass
``Test...``, and pytest collects the whole matrix for that endpoint::

    class TestOrganisations(ApiPermissionMatrix):
        basename = "organisation"          # router basename: organisation-list / -detail

        @pytest.fixture
        def own_object(self, db):          # in the member's province (Tây Ninh)
            return province_department_get_or_create(province=Province.objects.get(code=80))

        @pytest.fixture
        def other_object(self, db):        # in another province (TP Hồ Chí Minh)
            return province_department_get_or_create(province=Province.objects.get(code=79))

What the matrix asserts (the table ``MATRIX`` below, endpoint × caller × expected
status, in the manner of pretix):

- anonymous → 401, a user with no role → 403, on list, detail and write;
- the endpoint's ``role`` in the object's province → 200 on list and detail;
- the same role asking for another province's object → 404 (never a 403 that
  confirms the object exists); with ``reference = True`` (regions, provinces,
  communes...) every role sees every row, so 200;
- an Agency officer sees both objects;
- a read-only token → 200 on reads, 403 on every write, and nothing changes;
- a read-write token on a read-only endpoint → 405; on a writable endpoint
  (``writable = True``) creating from ``create_payload()`` → 201 and writing to the
  other province's object → 404;
- every error carries the JSON shape ``{"status", "code", "detail"}``.

Beyond the table: the list shows the own object and hides the other one (unless
reference data), the number of SQL queries of a list does not grow with its page
size, and the list has a stable order (pages neither repeat nor skip rows).

Knobs (class attributes and overridable methods):

``basename``            router basename (required).
``role``                the role that should see the endpoint (default province officer).
``province`` / ``other_province``  NSO codes of the member's and the other province.
``member_commune``      commune code when ``role`` is ``commune_officer``.
``reference``           reference data: every role sees every row.
``writable``            the endpoint accepts POST/PATCH.
``lookup_kwarg``        URL kwarg of the detail route (``"pk"``, or ``"code"`` ...).
``lookup_attr``         attribute of the object giving that value (default: ``lookup_kwarg``).
``list_key``            JSON field identifying a row in list results (default ``"id"``).
``list_params(obj)``    query parameters narrowing the list so ``obj`` is on the first page.
``create_payload(own_object)``  JSON body of a valid create (writable endpoints).
``update_payload(own_object)``  JSON body of a PATCH (default ``{}``).

The ``own_object`` and ``other_object`` fixtures must be overridden; the callers use
the fixtures of ``tests/conftest.py`` (``make_member``, ``agency_officer``,
``no_role_user``, ``api_client_for``).
"""

import warnings
from dataclasses import dataclass

import pytest
from django.core.paginator import UnorderedObjectListWarning
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from provinces.choices import Role

from .conftest import HCM, TAY_NINH

# Placeholders in the table, resolved per endpoint by ``ApiPermissionMatrix.expected``.
SCOPED = "404 unless reference data, then 200"
WRITE = "405 on a read-only endpoint; 201/200 on a writable one"
WRITE_OTHER = "405 on a read-only endpoint; 404 on a writable one"


@dataclass(frozen=True)
class Case:
    """One row of the matrix: ``who`` does ``method`` on ``target`` and gets ``expected``."""

    who: str  # anonymous | no_role | member | member_read_only | agency
    method: str  # get | post | patch
    target: str  # list | own | other
    expected: int | str

    def __str__(self) -> str:
        return f"{self.who}-{self.method}-{self.target}"


MATRIX = [
    Case("anonymous", "get", "list", 401),
    Case("anonymous", "get", "own", 401),
    Case("anonymous", "post", "list", 401),
    Case("no_role", "get", "list", 403),
    Case("no_role", "get", "own", 403),
    Case("no_role", "post", "list", 403),
    Case("member", "get", "list", 200),
    Case("member", "get", "own", 200),
    Case("member", "get", "other", SCOPED),
    Case("member", "post", "list", WRITE),
    Case("member", "patch", "own", WRITE),
    Case("member", "patch", "other", WRITE_OTHER),
    Case("member_read_only", "get", "list", 200),
    Case("member_read_only", "get", "own", 200),
    Case("member_read_only", "post", "list", 403),
    Case("member_read_only", "patch", "own", 403),
    Case("agency", "get", "own", 200),
    Case("agency", "get", "other", 200),
]


class _RollBack(Exception):
    """Raised to undo one matrix row's writes."""


def parametrize_matrix(metafunc) -> None:
    """Called from conftest's ``pytest_generate_tests``: one test per matrix row, or one
    test for all rows when the class sets ``matrix_in_one_test``."""
    if metafunc.function.__name__ != "test_permission_matrix" or metafunc.cls is None:
        return
    if getattr(metafunc.cls, "matrix_in_one_test", True):
        metafunc.parametrize("case", [None], ids=["every-row"])
    else:
        metafunc.parametrize("case", MATRIX, ids=str)


class ApiPermissionMatrix:
    """Base class: see the module docstring. Not collected itself (no ``Test`` prefix)."""

    # Run the rows in one test with savepoints (fast); False gives one test per row.
    matrix_in_one_test: bool = True

    basename: str = ""
    role: str = Role.PROVINCE_OFFICER
    province: int = TAY_NINH
    other_province: int = HCM
    member_commune: int | None = None
    reference: bool = False
    writable: bool = False
    lookup_kwarg: str = "pk"
    lookup_attr: str | None = None
    list_key: str = "id"

    # --- hooks ---------------------------------------------------------------------

    @pytest.fixture
    def own_object(self):
        raise NotImplementedError("override the own_object fixture: an object in `province`")

    @pytest.fixture
    def other_object(self):
        raise NotImplementedError("override the other_object fixture: an object in `other_province`")

    def list_params(self, obj) -> dict:
        return {}

    def create_payload(self, own_object) -> dict:
        raise NotImplementedError("a writable endpoint defines create_payload()")

    def update_payload(self, own_object) -> dict:
        return {}

    # --- helpers -------------------------------------------------------------------

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, obj) -> str:
        value = getattr(obj, self.lookup_attr or self.lookup_kwarg)
        return reverse(f"{self.basename}-detail", kwargs={self.lookup_kwarg: value})

    # What a POST on the list answers: 201, or 202 where the work runs in the background.
    created_status = 201

    def row_key(self, obj):
        return getattr(obj, self.lookup_attr or self.lookup_kwarg)

    def expected(self, case: Case) -> int:
        if case.expected == SCOPED:
            return 200 if self.reference else 404
        if case.expected == WRITE:
            if not self.writable:
                return 405
            return self.created_status if case.method == "post" else 200
        if case.expected == WRITE_OTHER:
            return 404 if self.writable else 405
        return case.expected

    @pytest.fixture
    def member(self, make_member):
        """A user holding ``role`` in ``province`` (and ``member_commune``)."""
        return make_member(self.role, self.province, commune=self.member_commune)

    @pytest.fixture
    def client_for(self, member, agency_officer, no_role_user, api_client_for):
        """``client_for(who)``: an API client authenticated as one of the matrix callers."""

        def make(who):
            return {
                "anonymous": lambda: api_client_for(None),
                "no_role": lambda: api_client_for(no_role_user),
                "member": lambda: api_client_for(member),
                "member_read_only": lambda: api_client_for(member, read_only=True),
                "agency": lambda: api_client_for(agency_officer),
            }[who]()

        return make

    def _listed_keys(self, client, obj) -> set:
        response = client.get(self.list_url(), {**self.list_params(obj), "page_size": 500})
        assert response.status_code == 200, response.content
        return {row[self.list_key] for row in response.json()["results"]}

    # --- the matrix ----------------------------------------------------------------

    def test_permission_matrix(self, case, client_for, own_object, other_object, member):
        """Every row of the matrix. With ``matrix_in_one_test`` (the default) the rows run
        in one test, each in a savepoint rolled back afterwards, so the objects are built
        once per endpoint instead of once per row; ``case`` is then None."""
        cases = MATRIX if case is None else [case]
        for one in cases:
            try:
                with transaction.atomic():
                    self._check_case(one, client_for, own_object, other_object)
                    raise _RollBack
            except _RollBack:
                pass

    def _check_case(self, case, client_for, own_object, other_object):
        client = client_for(case.who)
        target = {"own": own_object, "other": other_object}.get(case.target)
        url = self.list_url() if target is None else self.detail_url(target)
        # Writers send a valid body, so a refusal is the permission's doing, not validation's.
        body = {}
        if case.method == "post" and self.writable:
            body = self.create_payload(own_object)
        elif case.method == "patch" and self.writable:
            body = self.update_payload(target)
        writing = case.method != "get"
        if writing:
            # What the Agency (which sees everything) reads before the call, to prove
            # that a refused write changed nothing.
            reader = client_for("agency")
            watched = self.detail_url(target or own_object)
            before = reader.get(watched).json()
            before_count = reader.get(self.list_url(), {"page_size": 1}).json()["count"]

        response = getattr(client, case.method)(url, body, format="json")

        expected = self.expected(case)
        assert response.status_code == expected, (case, response.status_code, response.content[:500])
        if expected >= 400:
            error = response.json()
            assert error["status"] == expected
            assert error["code"] and error["detail"], error
            if writing:
                assert reader.get(watched).json() == before
                assert reader.get(self.list_url(), {"page_size": 1}).json()["count"] == before_count
        elif case.method == "get" and target is not None:
            assert response.json()[self.list_key] == self.row_key(target)

    def test_list_shows_own_province_only(self, client_for, own_object, other_object):
        member = client_for("member")
        assert self.row_key(own_object) in self._listed_keys(member, own_object)
        other_listed = self.row_key(other_object) in self._listed_keys(member, other_object)
        assert other_listed is self.reference

    def test_agency_lists_every_province(self, client_for, own_object, other_object):
        agency = client_for("agency")
        assert self.row_key(own_object) in self._listed_keys(agency, own_object)
        assert self.row_key(other_object) in self._listed_keys(agency, other_object)

    def test_list_queries_do_not_grow_with_page_size(self, client_for, own_object, other_object):
        client = client_for("agency")
        client.get(self.list_url())  # first call stamps the token's last use
        counts = []
        for page_size in (1, 500):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(self.list_url(), {"page_size": page_size})
            assert response.status_code == 200
            counts.append(len(queries))
        assert response.json()["count"] >= 2  # a page of one row vs. every row
        assert counts[0] == counts[1], counts

    def test_list_has_a_stable_order(self, client_for, own_object, other_object):
        # Without an order, rows can repeat or go missing from one page to the next.
        client = client_for("agency")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert client.get(self.list_url(), {"page_size": 1}).status_code == 200
        assert not [w for w in caught if issubclass(w.category, UnorderedObjectListWarning)]
