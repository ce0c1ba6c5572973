"""Finding probable duplicates: establishments (by tax code, head office/branch codes, a
similar name in the same or a related commune) and the support they received in the
window, whatever the activity type, with the reason shown to the reviewer.

Scores are in [0, 1]. Tax-code matches are certain (1.0 the same code, 0.95 a head office
and its branch). A name match scores the trigram similarity of the names reduced by
``names.distinctive_name`` plus small bonuses for the same commune and the same
representative, minus a penalty when both carry different tax codes; it counts from
``NAME_THRESHOLD`` (``OTHER_COMMUNE_THRESHOLD`` in another commune) when the proper names
at the end are alike too (``TAIL_THRESHOLD``): two cashew processors of one commune share
most trigrams and differ only there. The thresholds were tuned on the development half of the labelled
sample only (``tests/duplicate_sample.py``); the held-out half measures them."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from khuyencong.text import normalize_search
from provinces.models import CommuneLineage

from ..choices import Status
from ..models import Application, DistinctEstablishmentPair, Establishment
from .names import distinctive_name, head_office, similarity, tail_similarity

NAME_THRESHOLD = 0.65  # tuned on the development sample
OTHER_COMMUNE_THRESHOLD = 0.8  # a similar name elsewhere in the province needs more
TAIL_THRESHOLD = 0.5  # and the proper name at the end must be alike too
SAME_COMMUNE_BONUS = 0.1
RELATED_COMMUNE_BONUS = 0.05
SAME_REPRESENTATIVE_BONUS = 0.1
OTHER_TAX_CODE_PENALTY = 0.3
WINDOW_YEARS = 3  # support in a year less than three years apart overlaps
EXCLUDED_STATES = (Status.DRAFT, Status.REJECTED, Status.CANCELLED)


@dataclass
class Candidate:
    establishment: Establishment
    score: float
    reasons: list = field(default_factory=list)


def related_communes(commune_id) -> set:
    """The commune and those sharing an old (pre-2025) commune with it: an establishment
    that "moved" there may be recorded on either side of a split."""
    if not commune_id:
        return set()
    legacy = CommuneLineage.objects.filter(commune_id=commune_id).values("legacy_commune_id")
    return {commune_id, *CommuneLineage.objects.filter(legacy_commune_id__in=legacy).values_list("commune_id",
                                                                                                flat=True)}


def _distinct_pairs(establishment_ids) -> set:
    ids = [i for i in establishment_ids if i]
    if not ids:
        return set()
    return set(DistinctEstablishmentPair.objects.filter(Q(first_id__in=ids) | Q(second_id__in=ids))
               .values_list("first_id", "second_id"))


def _similar_names(core: str, province_id: int, exclude_ids):
    pool = Establishment.objects.filter(province_id=province_id).exclude(pk__in=exclude_ids)
    if connection.vendor == "postgresql":
        # pg_trgm's % operator (similarity ≥ 0.3) uses the trigram index on match_name;
        # the score itself is computed below, the same on both databases.
        table = Establishment._meta.db_table
        pool = pool.filter(pk__in=RawSQL(f"SELECT id FROM {table} WHERE match_name %% %s", [core]))
    return pool.only("pk", "name", "match_name", "commune_id", "province_id", "tax_code", "representative")


def establishment_candidates(*, name: str, tax_code: str = "", commune_id=None, province_id=None,
                             representative: str = "", exclude_id=None, limit: int = 10) -> list[Candidate]:
    """Establishments that are probably the one described, best first."""
    exclude_ids = [exclude_id] if exclude_id else []
    found: dict[int, Candidate] = {}

    def add(est, score, reason):
        current = found.get(est.pk)
        if current is None or score > current.score:
            found[est.pk] = Candidate(est, round(score, 3), [reason] + (current.reasons if current else []))
        elif reason not in current.reasons:
            current.reasons.append(reason)

    head = head_office(tax_code)
    if tax_code:
        q = Q(tax_code=tax_code)
        if head:
            q |= Q(tax_code=head) | Q(tax_code__startswith=head + "-")
        for est in Establishment.objects.filter(q).exclude(pk__in=exclude_ids):
            if est.tax_code == tax_code:
                add(est, 1.0, _("cùng mã số thuế %(t)s") % {"t": tax_code})
            else:
                add(est, 0.95, _("trụ sở chính và chi nhánh (cùng 10 số đầu mã số thuế %(h)s)") % {"h": head})
    core = distinctive_name(name)
    if core and province_id:
        related = related_communes(commune_id)
        person = normalize_search(representative)
        for est in _similar_names(core, province_id, exclude_ids):
            score = similarity(core, est.match_name)
            if commune_id and est.commune_id == commune_id:
                place, score = "same", score + SAME_COMMUNE_BONUS
            elif est.commune_id in related:
                place, score = "related", score + RELATED_COMMUNE_BONUS
            else:
                place = "other"
            same_person = bool(person) and person == normalize_search(est.representative)
            if same_person:
                score += SAME_REPRESENTATIVE_BONUS
            if tax_code and est.tax_code and head_office(est.tax_code) != head and est.tax_code != tax_code:
                score -= OTHER_TAX_CODE_PENALTY
            needed = OTHER_COMMUNE_THRESHOLD if place == "other" else NAME_THRESHOLD
            if score < needed or tail_similarity(core, est.match_name) < TAIL_THRESHOLD:
                continue
            where = {"same": _("cùng xã/phường"), "related": _("ở xã/phường có chung đơn vị cũ"),
                     "other": _("ở xã/phường khác cùng tỉnh")}[place]
            reason = _("tên gần giống “%(n)s” (điểm %(s)s), %(w)s") % {"n": est.name, "s": f"{min(score, 0.99):.2f}",
                                                                       "w": where}
            if same_person:
                reason += _(", cùng người đại diện")
            add(est, min(score, 0.99), reason)
    distinct = _distinct_pairs([exclude_id, *found])
    if exclude_id:
        found = {pk: c for pk, c in found.items() if (min(pk, exclude_id), max(pk, exclude_id)) not in distinct}
    return sorted(found.values(), key=lambda c: (-c.score, c.establishment.pk))[:limit]


def candidates_for(establishment: Establishment, limit: int = 10) -> list[Candidate]:
    return establishment_candidates(name=establishment.name, tax_code=establishment.tax_code,
                                    commune_id=establishment.commune_id, province_id=establishment.province_id,
                                    representative=establishment.representative, exclude_id=establishment.pk,
                                    limit=limit)


def _in_window(qs, year: int):
    return qs.filter(year__gt=year - WINDOW_YEARS, year__lt=year + WINDOW_YEARS)


def support_overlaps(application: Application) -> list[Application]:
    """Other schemes in the window (any activity type, not draft, rejected or cancelled)
    of this application's beneficiaries or of establishments that are probably the same;
    each carries ``overlap_reasons`` and ``overlap_score``. National on purpose: avoiding
    duplicated support needs the whole picture (callers show only code, province, year,
    activity type, state and amounts)."""
    matched: dict[int, tuple[float, list]] = {}
    for est in application.establishments.all():
        matched[est.pk] = (1.0, [_("cùng cơ sở “%(n)s”") % {"n": est.name}])
        for candidate in candidates_for(est):
            score, reasons = matched.get(candidate.establishment.pk, (0.0, []))
            if candidate.score > score:
                matched[candidate.establishment.pk] = (candidate.score, candidate.reasons + reasons)
    if not matched:
        return []
    others = (_in_window(Application.objects.filter(establishments__in=list(matched)), application.year)
              .exclude(pk=application.pk).exclude(status__in=EXCLUDED_STATES)
              .select_related("province", "activity_type").distinct().order_by("-year", "-created_at"))
    through = Application.establishments.through
    links: dict[int, list] = {}
    for app_id, est_id in through.objects.filter(application__in=others, establishment_id__in=list(matched)) \
            .values_list("application_id", "establishment_id"):
        links.setdefault(app_id, []).append(est_id)
    result = []
    for other in others:
        ids = links.get(other.pk, [])
        other.overlap_score = max(matched[i][0] for i in ids)
        reasons = [r for i in ids for r in matched[i][1]]
        if other.activity_type_id == application.activity_type_id:
            reasons.append(_("cùng nội dung %(a)s") % {"a": other.activity_type_id})
        else:
            reasons.append(_("nội dung khác (%(a)s) trong %(y)s năm") % {"a": other.activity_type_id,
                                                                          "y": WINDOW_YEARS})
        other.overlap_reasons = list(dict.fromkeys(reasons))
        result.append(other)
    return result


def overlap_counts(applications) -> dict:
    """{application id: number of overlapping schemes} for a page, in two queries whatever
    its size. Counts the strong identifiers only (the same establishment, tax code or head
    office); the detail page adds the similar names."""
    apps = {a.pk: a for a in applications}
    if not apps:
        return {}
    through = Application.establishments.through
    pairs = list(through.objects.filter(application_id__in=list(apps))
                 .values_list("application_id", "establishment_id", "establishment__tax_code"))
    if not pairs:
        return {}
    establishment_ids = {e for _a, e, _t in pairs}
    heads = {head_office(t) for _a, _e, t in pairs if head_office(t)}
    codes = {t for _a, _e, t in pairs if t}
    years = [a.year for a in apps.values()]
    others = list(
        through.objects.annotate(head=Substr("establishment__tax_code", 1, 10))
        .filter(Q(establishment_id__in=establishment_ids) | Q(establishment__tax_code__in=codes) | Q(head__in=heads))
        .filter(application__year__gt=min(years) - WINDOW_YEARS, application__year__lt=max(years) + WINDOW_YEARS)
        .exclude(application__status__in=EXCLUDED_STATES)
        .values_list("application_id", "application__year", "establishment_id", "establishment__tax_code")
    )
    counts: dict = {}
    for app_id, est_id, tax in pairs:
        year = apps[app_id].year
        for other_id, other_year, other_est, other_tax in others:
            if other_id == app_id or abs(other_year - year) >= WINDOW_YEARS:
                continue
            if other_est == est_id or (tax and other_tax == tax) or (
                    head_office(tax) and head_office(other_tax) == head_office(tax)):
                counts.setdefault(app_id, set()).add(other_id)
    return {app_id: len(ids) for app_id, ids in counts.items() if ids}
