"""Property-based tests (hypothesis): the money rules (cost lines, totals, caps, the đồng
format) and the workflow (no sequence of actions reaches a state the transition table
does not allow), at the pure-data level and through the services on PostgreSQL, plus the
budget ledger's identities.

Bounded for CI: ``KC_PROPERTY_EXAMPLES`` (default 30) for the pure properties, a sixth of
it for the database-backed ones; derandomised so every run checks the same cases.
"""

import os
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications import services as app_services
from applications import workflow
from applications.choices import Status
from applications.models import Application, ApplicationEvent, CostLine
from khuyencong.errors import DomainConflict
from khuyencong.templatetags.kc import format_vnd
from programs.choices import FundSource
from programs.models import ActivityType, SupportRule
from provinces.choices import Role
from tests.conftest import TAY_NINH
from tests.factories import build_world, make_application, make_establishment

EXAMPLES = int(os.environ.get("KC_PROPERTY_EXAMPLES", "30"))
PURE = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None)
DB = settings(max_examples=max(3, EXAMPLES // 6), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
DOMAIN_ERRORS = (DomainConflict, PermissionDenied, ValidationError, Application.DoesNotExist)

money = st.integers(min_value=0, max_value=10**12)
quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
cost_lines = st.lists(st.fixed_dictionaries({
    "item": st.sampled_from(["Máy sấy", "Lắp đặt", "Đào tạo", "Vận chuyển"]),
    "quantity": quantities, "unit": st.sampled_from(["bộ", "lần", "người"]),
    "unit_cost": st.integers(min_value=0, max_value=2 * 10**8)}), min_size=1, max_size=6)


# --- Money, pure ---------------------------------------------------------------------------


@PURE
@given(quantity=quantities, unit_cost=st.integers(min_value=0, max_value=10**10))
def test_line_amount_is_quantity_times_unit_cost(quantity, unit_cost):
    amount = CostLine.compute_amount(quantity, unit_cost)
    assert isinstance(amount, int)
    exact = quantity * unit_cost  # exact in Decimal: two decimals times an integer
    assert abs(Decimal(amount) - exact) <= Decimal("0.5")
    if quantity == quantity.to_integral_value():
        assert amount == int(quantity) * unit_cost


@PURE
@given(total=money, percent=st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
       max_amount=st.one_of(st.none(), money))
def test_cap_is_the_smaller_of_percent_and_amount(total, percent, max_amount):
    rule = SupportRule(max_percent=percent, max_amount=max_amount)
    cap = rule.cap_for(total)
    expected = [c for c in (max_amount, None if percent is None else int(Decimal(total) * percent / 100))
                if c is not None]
    assert cap == (min(expected) if expected else None)
    if percent is not None:
        assert cap <= total  # a percentage cap never exceeds the scheme
        assert rule.cap_for(total + 1_000_000) >= cap  # a bigger scheme never gets a smaller cap


@PURE
@given(amount=st.integers(min_value=-10**15, max_value=10**15))
def test_vnd_format_round_trip(amount):
    text = format_vnd(amount)
    assert text.endswith(" ₫")
    assert re.fullmatch(r"-?\d{1,3}(\.\d{3})* ₫", text)
    assert int(text.removesuffix(" ₫").replace(".", "")) == amount


# --- Workflow, pure data ------------------------------------------------------------------------

ALL_ROLES = sorted(Role.values)
moves = st.lists(st.tuples(st.sampled_from(workflow.ACTIONS), st.sampled_from(ALL_ROLES)), max_size=40)


@PURE
@given(fund_source=st.sampled_from([FundSource.LOCAL, FundSource.NATIONAL]), moves=moves)
def test_no_sequence_of_actions_leaves_the_reachable_states(fund_source, moves):
    reachable = workflow.reachable_states()
    state = Status.DRAFT
    for action, role in moves:
        transition = workflow.TRANSITIONS[action]
        step = transition.step_for(state, fund_source)
        if step is None or role not in step.roles:
            continue
        assert state not in workflow.TERMINAL_STATES  # nothing leaves a terminal state
        state = transition.target
        assert state in reachable
    assert state in reachable


def test_the_table_itself_stays_inside_the_states():
    reachable = workflow.reachable_states()
    assert reachable <= set(Status.values)
    for transition in workflow.TRANSITIONS.values():
        assert transition.target in reachable
        assert not (transition.all_sources & workflow.TERMINAL_STATES)
        if transition.action == "endorse" or transition.action == "start_national_appraisal":
            assert all(step.fund_sources == workflow.NATIONAL for step in transition.steps)


# --- Through the services, on the database ----------------------------------------------------


@pytest.fixture
def world(db):
    return build_world(province_codes=(TAY_NINH,))


def test_cost_lines_and_totals_through_the_service(world):
    setup = world.provinces[TAY_NINH]
    establishment = make_establishment(setup)
    activity = ActivityType.objects.get(code="MMTB")

    @DB
    @given(lines=cost_lines, share=st.integers(min_value=0, max_value=100), skew=st.sampled_from([0, 0, 1, -1]))
    def check(lines, share, skew):
        total = sum(CostLine.compute_amount(line["quantity"], line["unit_cost"]) for line in lines)
        requested = total * share // 100
        data = {"title": "Hỗ trợ máy sấy", "programme": setup.local_call.programme, "call": setup.local_call,
                "activity_type": activity, "implementing_organisation": setup.centre,
                "requested_support": requested, "counterpart_funds": total - requested + skew}
        with transaction.atomic():
            try:
                application = app_services.application_create(
                    user=setup.officer, province=setup.province, establishments=[establishment], data=data,
                    cost_lines=lines)
            except ValidationError:
                # The only refusals here: the two parts do not add up, or no money at all.
                assert skew != 0 or total == 0 or requested == 0
                transaction.set_rollback(True)
                return
            assert skew == 0
            saved = list(application.cost_lines.order_by("position", "pk"))
            for raw, line in zip(lines, saved, strict=True):
                assert line.amount == CostLine.compute_amount(raw["quantity"], raw["unit_cost"])
            assert application.total_cost == sum(line.amount for line in saved) == total
            assert application.requested_support + application.counterpart_funds == application.total_cost
            transaction.set_rollback(True)

    check()


def test_random_actions_through_the_service_stay_reachable(world):
    from applications.ledger import ledger

    setup = world.provinces[TAY_NINH]
    cast = [setup.officer, setup.approver, setup.commune_officer, *setup.council, world.agency_officer,
            world.agency_approver]
    reachable = workflow.reachable_states()
    pairs = {(t.action, s, t.target) for t in workflow.TRANSITIONS.values() for s in t.all_sources}

    @DB
    @given(national=st.booleans(),
           steps=st.lists(st.tuples(st.sampled_from(workflow.ACTIONS), st.integers(0, len(cast) - 1)), max_size=10))
    def check(national, steps):
        with transaction.atomic():
            application = make_application(setup, national=national, attachments=False)
            for action, who in steps:
                before = Application.objects.get(pk=application.pk).status
                try:
                    with transaction.atomic():
                        app_services.application_transition(
                            user=cast[who], application_id=application.pk, action=action, reason="Lý do kiểm thử",
                            decision_number="01/QĐ", decision_date=timezone.localdate(),
                            approved_amount=application.requested_support)
                except DOMAIN_ERRORS:
                    assert Application.objects.get(pk=application.pk).status == before
                    continue
                after = Application.objects.get(pk=application.pk).status
                assert after in reachable
                event = ApplicationEvent.objects.filter(application_id=application.pk).latest("pk")
                assert (event.action, event.from_status, event.to_status) == (action, before, after)
                assert (action, before, after) in pairs
            for row in ledger()["rows"]:
                assert row["allocated"] == row["committed"] + row["remaining"]
                assert row["disbursed"] <= row["committed"]
            transaction.set_rollback(True)

    check()


def test_ledger_identities_with_payments(world):
    """After a real approval and payments, the ledger still balances."""
    from applications.ledger import ledger
    from tests.factories import approve_local, implement

    setup = world.provinces[TAY_NINH]
    application = make_application(setup)
    approve_local(setup, application, amount=150_000_000)
    implement(setup, application)
    rows = [row for row in ledger()["rows"] if row["committed"]]
    assert rows
    for row in rows:
        assert row["allocated"] == row["committed"] + row["remaining"]
        assert 0 <= row["disbursed"] <= row["committed"]
    assert date.today().year in {row["year"] for row in rows}
