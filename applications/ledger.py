"""The budget ledger: what each application holds of its allocation and, per programme ×
province × year, the money allocated, approved, committed, disbursed, settled, released
and remaining. The one owner of these numbers: the approval guard, the allocation
service, the budget page, the API and the reports all read them here."""

from dataclasses import dataclass

from django.db.models import BigIntegerField, Case, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from programs.models import BudgetAllocation, Programme
from provinces.models import Province

from .choices import Status
from .models import Application, Disbursement
from .states import COMMITTED_STATES

# Committed states whose commitment is the approved amount (a settled scheme commits what
# was settled).
ACTIVE_COMMITTED_STATES = tuple(sorted(COMMITTED_STATES - {Status.SETTLED}))


@dataclass(frozen=True)
class BudgetPosition:
    allocation: BudgetAllocation | None
    allocated: int
    committed: int

    @property
    def remaining(self) -> int:
        return self.allocated - self.committed


# The ledger's one rule for what an application holds of its allocation ("committed"):
#   approved, in progress, suspended, completed, accepted → the approved amount;
#   settled → the settled amount (what was approved and not settled goes back);
#   cancelled after approval → what was already paid out (the rest goes back);
#   anything else → nothing.
# Imported past schemes (``is_imported``) are history: they hold nothing of any allocation.
# Computed in SQL so the ledger, the approve guard and the allocation API agree.


def _disbursed_per_application():
    """Σ disbursements of the application in the outer query (correlated subquery)."""
    total = (Disbursement.objects.filter(application_id=OuterRef("pk")).order_by().values("application_id")
             .annotate(total=Sum("amount")).values("total"))
    return Coalesce(Subquery(total, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


def commitment_expression():
    """The effective commitment of each application row (see the rule above)."""
    return Case(
        When(status__in=ACTIVE_COMMITTED_STATES, then=Coalesce(F("approved_amount"), Value(0))),
        When(status=Status.SETTLED, then=Coalesce(F("settlement__settled_amount"), F("approved_amount"), Value(0))),
        When(status=Status.CANCELLED, approved_amount__isnull=False, then=_disbursed_per_application()),
        default=Value(0), output_field=BigIntegerField())


def released_expression():
    """Approved money given back: approved − settled (settled), approved − paid (cancelled)."""
    return Case(
        When(status=Status.SETTLED,
             then=Coalesce(F("approved_amount"), Value(0)) - Coalesce(F("settlement__settled_amount"),
                                                                     F("approved_amount"), Value(0))),
        When(status=Status.CANCELLED, approved_amount__isnull=False,
             then=F("approved_amount") - _disbursed_per_application()),
        default=Value(0), output_field=BigIntegerField())


def committed_amount(*, programme_id, province_id, year, exclude_application_id=None) -> int:
    qs = Application.objects.filter(programme_id=programme_id, province_id=province_id, year=year,
                                    approved_amount__isnull=False, is_imported=False)
    if exclude_application_id:
        qs = qs.exclude(pk=exclude_application_id)
    return qs.aggregate(total=Sum(commitment_expression()))["total"] or 0


def allocation_committed_subquery():
    """The committed amount of an allocation row's programme × province × year, as a
    correlated subquery (for annotating BudgetAllocation querysets)."""
    total = (Application.objects.filter(programme_id=OuterRef("programme_id"), province_id=OuterRef("province_id"),
                                        year=OuterRef("year"), approved_amount__isnull=False, is_imported=False)
             .order_by().values("programme_id").annotate(total=Sum(commitment_expression())).values("total"))
    return Coalesce(Subquery(total, output_field=BigIntegerField()), Value(0), output_field=BigIntegerField())


LEDGER_MONEY = ("allocated", "approved", "committed", "disbursed", "settled", "released", "remaining")


def ledger(*, user=None, programme=None, province=None, year=None) -> dict:
    """The budget ledger per programme × province × year, and national totals:
    ``{"rows": [...], "totals": {...}}``. Each row: programme_id, programme_code,
    programme_name, fund_source, province_id, province_name, year, and the money —
    allocated, approved (Σ approved amounts of the approved schemes, whatever became of
    them), committed (rule above), disbursed, settled, released, remaining = allocated −
    committed. Everything is summed by the database (GROUP BY); Python only joins the
    allocation and application groups. With ``user``, scoped by what they may see."""
    allocations = BudgetAllocation.objects.all() if user is None else BudgetAllocation.objects.visible_to(user)
    applications = Application.objects.filter(approved_amount__isnull=False, is_imported=False)
    if user is not None:
        # The same provinces as the allocations the user sees (a commune officer's
        # application scope would show a fraction of the province's money).
        applications = applications.filter(province_id__in=allocations.values("province_id"))
    filters = {}
    if programme is not None:
        filters["programme_id"] = getattr(programme, "pk", programme)
    if province is not None:
        filters["province_id"] = getattr(province, "pk", province)
    if year is not None:
        filters["year"] = int(year)
    allocations, applications = allocations.filter(**filters), applications.filter(**filters)
    keys = ("programme_id", "province_id", "year")
    allocated = {tuple(r[k] for k in keys): r["allocated"] for r in
                 allocations.order_by().values(*keys).annotate(allocated=Sum("amount"))}
    money = {tuple(r[k] for k in keys): r for r in applications.order_by().values(*keys).annotate(
        approved=Coalesce(Sum("approved_amount"), Value(0)),
        committed=Coalesce(Sum(commitment_expression()), Value(0)),
        disbursed=Coalesce(Sum(_disbursed_per_application()), Value(0)),
        settled=Coalesce(Sum("settlement__settled_amount"), Value(0)),
        released=Coalesce(Sum(released_expression()), Value(0)))}
    groups = set(allocated) | set(money)
    programmes = {p["pk"]: p for p in Programme.objects.filter(pk__in={k[0] for k in groups})
                  .values("pk", "code", "name", "fund_source")}
    provinces = dict(Province.objects.filter(pk__in={k[1] for k in groups}).values_list("pk", "name"))
    rows = []
    for key in groups:
        found = money.get(key, {})
        programme_row = programmes[key[0]]
        row = {"programme_id": key[0], "programme_code": programme_row["code"], "programme_name": programme_row["name"],
               "fund_source": programme_row["fund_source"], "province_id": key[1],
               "province_name": provinces.get(key[1], str(key[1])), "year": key[2],
               "allocated": allocated.get(key, 0)}
        for name in ("approved", "committed", "disbursed", "settled", "released"):
            row[name] = int(found.get(name) or 0)
        row["remaining"] = row["allocated"] - row["committed"]
        rows.append(row)
    rows.sort(key=lambda r: (-r["year"], r["fund_source"], r["programme_code"], r["province_id"]))
    totals = {name: sum(r[name] for r in rows) for name in LEDGER_MONEY}
    return {"rows": rows, "totals": totals}


def budget_position(*, programme_id, province_id, year, lock: bool = False) -> BudgetPosition:
    """Allocated, committed and remaining for programme × province × year. With
    ``lock`` the allocation row is locked (SELECT … FOR UPDATE) for the transaction,
    so concurrent approvals are serialised and never over-commit."""
    qs = BudgetAllocation.objects.filter(programme_id=programme_id, province_id=province_id, year=year)
    if lock:
        qs = qs.select_for_update()
    allocation = qs.first()
    committed = committed_amount(programme_id=programme_id, province_id=province_id, year=year)
    return BudgetPosition(allocation=allocation, allocated=allocation.amount if allocation else 0, committed=committed)


def disbursed_total(application) -> int:
    """Σ of every disbursement of ``application`` (advances, payments, final payment)."""
    return Disbursement.objects.filter(application=application).aggregate(t=Sum("amount"))["t"] or 0
