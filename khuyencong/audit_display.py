"""The audit trail as a person reads it: the kind of record by its model's verbose name,
the dossier an entry belongs to (code and title), and each changed field by its label with
its value formatted (money as money, states by name, times in local time, related records
by name). Used by the /nhat-ky/ page and its CSV export; the API keeps the raw values.

The kernel imports no app: models are found through the app registry by the entry's label."""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .templatetags.kc import format_vnd

APPLICATION_LABEL = "applications.application"
# Labels for the few columns whose model gives none (Django would say "created by").
_DEFAULT_LABELS = {"created_by": _lazy("người tạo"), "created_at": _lazy("tạo lúc"),
                   "updated_at": _lazy("cập nhật lúc")}


def model_for(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def kind_label(label: str) -> str:
    """'applications.costline' → 'Dòng chi phí' (the model's verbose name)."""
    model = model_for(label)
    return capfirst(str(model._meta.verbose_name)) if model else label


def kind_choices(labels) -> list[tuple[str, str]]:
    """(label, verbose name) for a filter, sorted by what the reader sees."""
    return sorted(((label, kind_label(label)) for label in labels), key=lambda pair: pair[1].lower())


def application_id_of(entry) -> int | None:
    """The dossier an entry belongs to: the application itself, or the one its record names."""
    if entry.model_label == APPLICATION_LABEL:
        return int(entry.object_id) if str(entry.object_id).isdigit() else None
    for values in (entry.after, entry.before):
        value = (values or {}).get("application_id")
        if isinstance(value, int):
            return value
    return None


def entries_for_application(qs, application_id: int):
    """The entries of one dossier: its own and those of the records that belong to it."""
    return qs.filter(models.Q(model_label=APPLICATION_LABEL, object_id=str(application_id))
                     | models.Q(after__application_id=application_id)
                     | models.Q(before__application_id=application_id))


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class ReadableEntry:
    entry: object
    kind: str
    person: str
    dossier: object = None  # the Application, when the entry belongs to one the reader may see
    changes: list = field(default_factory=list)


class _Formatter:
    """Formats values of one page of entries; related names are looked up once per page."""

    def __init__(self):
        self._names = {}

    def related_name(self, model, pk):
        key = (model._meta.label_lower, pk)
        if key not in self._names:
            obj = model._base_manager.filter(pk=pk).first()
            self._names[key] = str(obj) if obj is not None else f"#{pk}"
        return self._names[key]

    def value(self, model_field, value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, list):  # many-to-many ids
            related = getattr(model_field, "related_model", None)
            if related is None:
                return ", ".join(str(v) for v in value) or "—"
            return "; ".join(self.related_name(related, pk) for pk in value) or "—"
        if model_field is None:
            return str(value)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.ForeignKey):
            return self.related_name(model_field.related_model, value)
        if isinstance(model_field, models.BooleanField):
            return _("Có") if value else _("Không")
        if isinstance(model_field, models.PositiveBigIntegerField):  # sizes of files
            return filesizeformat(value)
        if isinstance(model_field, models.BigIntegerField):  # money is whole đồng in BIGINT (STYLE.md)
            return format_vnd(value)
        if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
            moment = parse_datetime(value)
            if moment is not None:
                if timezone.is_aware(moment):
                    moment = timezone.localtime(moment)
                return moment.strftime("%d/%m/%Y %H:%M:%S")
        if isinstance(model_field, models.DateField) and isinstance(value, str):
            day = parse_date(value)
            if day is not None:
                return day.strftime("%d/%m/%Y")
        if isinstance(model_field, models.DecimalField | models.FloatField):
            return f"{value}".replace(".", ",")
        if isinstance(model_field, models.JSONField):
            return self.payload(value)
        if isinstance(value, datetime.date):
            return value.strftime("%d/%m/%Y")
        return str(value)


    def payload(self, value) -> str:
        """A JSON payload (an event's details): keys by the label of the field of that name
        in the audited models, values formatted as that field's."""
        if isinstance(value, dict):
            parts = []
            for key, item in value.items():
                candidates = _known_fields().get(key, [])
                # Same name, several models ("kind"): the one whose choices know this value.
                known = next(
                    (f for f in candidates if f.choices and isinstance(item, str) and item in dict(f.flatchoices)),
                    candidates[0] if candidates else None,
                )
                label = capfirst(str(known.verbose_name)) if known is not None else key
                if isinstance(item, dict | list) or known is None:
                    text = self.payload(item) if isinstance(item, dict | list) else str(item)
                else:
                    text = self.value(known, item)
                parts.append(f"{label}: {text}")
            return "; ".join(parts) or "—"
        if isinstance(value, list):
            return ", ".join(self.payload(v) for v in value) or "—"
        return str(value)


_FIELD_INDEX = {}


def _known_fields() -> dict:
    """Field name → the concrete fields of that name among the audited models, to label
    the keys of JSON payloads. Related ids are left out."""
    if not _FIELD_INDEX:
        from .audit import is_audited

        for model in apps.get_models():
            if not is_audited(model):
                continue
            for model_field in model._meta.concrete_fields:
                if model_field.primary_key or isinstance(model_field, models.ForeignKey):
                    continue
                _FIELD_INDEX.setdefault(model_field.name, []).append(model_field)
    return _FIELD_INDEX


def _field_for(model, name):
    """The model field stored under ``name`` (an attribute name such as ``status`` or
    ``province_id``, or a many-to-many accessor)."""
    if model is None:
        return None
    for candidate in model._meta.get_fields():
        if getattr(candidate, "attname", None) == name or candidate.name == name:
            return candidate
        if getattr(candidate, "get_accessor_name", None) and candidate.auto_created:
            try:
                if candidate.get_accessor_name() == name:
                    return candidate
            except Exception:  # noqa: BLE001
                continue
    return None


def _changes(entry, formatter) -> list[Change]:
    model = model_for(entry.model_label)
    before, after = entry.before or {}, entry.after or {}
    names = list(after) + [name for name in before if name not in after]
    changes = []
    skipped = set(getattr(model, "audit_skip_fields", ()))
    for name in names:
        if name in skipped:
            continue
        model_field = _field_for(model, name)
        if model_field is not None and getattr(model_field, "primary_key", False):
            continue
        verbose = str(getattr(model_field, "verbose_name", None) or name.removesuffix("_id"))
        if verbose == name.removesuffix("_id").replace("_", " "):  # Django's default: no label was given
            verbose = str(_DEFAULT_LABELS.get(name.removesuffix("_id"), verbose))
        label = capfirst(verbose)
        # A model may say how to name one of its values (an event's action by its label).
        special = getattr(model, f"audit_format_{name}", None) if model is not None else None

        def show(value, model_field=model_field, special=special):
            return special(value) if special is not None and value else formatter.value(model_field, value)

        changes.append(Change(label=label, before=show(before[name]) if name in before else "",
                              after=show(after[name]) if name in after else ""))
    return changes


def readable(entries, user) -> list[ReadableEntry]:
    """The page's entries with kind, person, dossier and formatted changes (a fixed
    number of queries for the dossiers and people, related names cached per page)."""
    entries = list(entries)
    formatter = _Formatter()
    app_ids = {pk for pk in (application_id_of(e) for e in entries) if pk is not None}
    dossiers = {}
    application_model = model_for(APPLICATION_LABEL)
    if app_ids and application_model is not None:
        dossiers = application_model.objects.visible_to(user).in_bulk(app_ids)
    user_ids = {e.user_id for e in entries if e.user_id}
    people = get_user_model()._base_manager.in_bulk(user_ids) if user_ids else {}
    rows = []
    for entry in entries:
        person = entry.actor
        account = people.get(entry.user_id)
        if account is not None and account.get_full_name():
            person = f"{account.get_full_name()} ({account.get_username()})"
        rows.append(ReadableEntry(entry=entry, kind=kind_label(entry.model_label), person=person,
                                  dossier=dossiers.get(application_id_of(entry)),
                                  changes=_changes(entry, formatter)))
    return rows


def changes_text(row: ReadableEntry) -> str:
    """One line for the CSV: 'Trạng thái: Đã nộp → Đã nghiệm thu; …'."""
    parts = []
    for change in row.changes:
        if change.before and change.after:
            parts.append(f"{change.label}: {change.before} → {change.after}")
        else:
            parts.append(f"{change.label}: {change.after or change.before}")
    return "; ".join(parts)
