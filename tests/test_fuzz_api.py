"""Schemathesis over the whole API: every operation of the OpenAPI schema, called with the
tokens of several roles (reads: province officer and Agency officer; writes: also the province
approver and a read-only token), with generated parameters and bodies. No response may be a 5xx, and every
response must be documented (status code, content type, body schema).

Bounded and reproducible for CI: ``KC_FUZZ_EXAMPLES`` examples per operation and role
(default 4 in CI; 10 or more for a deeper run), derandomised (the same cases on every run), no shrinking.
"""

import logging
import os
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from khuyencong.services import api_token_create
from tests.conftest import TAY_NINH
from tests.factories import build_world, make_application

EXAMPLES = int(os.environ.get("KC_FUZZ_EXAMPLES", "4"))
READ_ROLES = ("province_officer", "agency_officer")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_process_wsgi():
    """The WSGI handler closes "old" connections at each request; inside the test's
    transaction that would drop it (Django's own test client does the same as this)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token(user, read_only=False):
    _record, key = api_token_create(user=user, read_only=read_only)
    return {"Authorization": f"Token {key}"}


@pytest.mark.django_db
def test_every_operation_with_every_role(in_process_wsgi):
    world = build_world(province_codes=(TAY_NINH,))
    setup = world.provinces[TAY_NINH]
    make_application(setup)
    roles = {"province_officer": _token(setup.officer), "province_approver": _token(setup.approver),
             "agency_officer": _token(world.agency_officer), "read_only": _token(setup.officer, read_only=True)}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", in_process_wsgi,
                                            headers=roles["agency_officer"])
    operations = [result.ok() for result in schema.get_all_operations()]
    examples, failures, statuses = Counter(), {}, Counter()

    def fuzz(operation, role, headers):
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            examples[role] += 1
            # Each call in a savepoint: a failed write cannot poison the next call.
            with transaction.atomic():
                response = case.call(headers=headers)
                statuses[response.status_code // 100] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — collect all, then report
                    key = (operation.label, role, type(exc).__name__)
                    failures.setdefault(key, f"{response.status_code} {str(exc)[:600]}")
                transaction.set_rollback(True)

        run()

    logging.disable(logging.WARNING)  # thousands of expected 4xx lines from django.request
    try:
        for operation in operations:
            # Reads with an officer's and the Agency's tokens; writes with every role.
            names = READ_ROLES if operation.method.lower() == "get" else roles
            for role in names:
                fuzz(operation, role, roles[role])
    finally:
        logging.disable(logging.NOTSET)

    total = sum(examples.values())
    print(f"\n[fuzz] {len(operations)} operations, {len(roles)} roles, {total} examples, "
          f"responses by class {dict(sorted(statuses.items()))}, {len(failures)} distinct failures")
    assert len(operations) >= 30
    assert statuses[5] == 0
    assert not failures, "\n\n".join(f"{label} [{role}] {kind}: {detail}"
                                     for (label, role, kind), detail in sorted(failures.items()))
