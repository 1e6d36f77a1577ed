"""Audit entries as people read them: the field's label (verbose_name), choices as their
labels, foreign keys as names, money, numbers, dates and times localised in the viewer's
language and the installation's time zone."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EMPTY = "—"
TEXT_LIMIT = 160
# Entries that are not a field's change (customers.merging writes them on both sides of a merge).
NOTE_LABELS = {
    "merged_into": gettext_lazy("Merged into"),
    "merged_from": gettext_lazy("Merged with"),
    "merge_undone": gettext_lazy("Merge undone"),
}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def entry_model(entry):
    """The model class of an entry's record (content types are cached: no query)."""
    return ContentType.objects.get_for_id(entry.content_type_id).model_class()


def foreign_keys_to_resolve(entries):
    """{related model: {pk, …}} for the foreign-key values of these entries."""
    wanted = {}
    for entry in entries:
        model = entry_model(entry)
        for name, values in (entry.changes or {}).items():
            field = _field(model, name) if model else None
            if field is not None and (field.many_to_one or field.one_to_one):
                for value in values:
                    if value not in (None, ""):
                        wanted.setdefault(field.related_model, set()).add(value)
    return wanted


def resolve_names(wanted):
    """{(model, pk): name}: one query per related model (a bounded number per page)."""
    names = {}
    for model, pks in wanted.items():
        clean = set()
        for pk in pks:
            try:
                clean.add(int(pk))
            except (TypeError, ValueError):
                continue
        for obj in model._default_manager.filter(pk__in=clean):
            names[(model, obj.pk)] = str(obj)
    return names


def _datetime(value):
    # django-auditlog stores date-times as naive UTC text.
    parsed = datetime.fromisoformat(str(value))
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return formats.date_format(timezone.localtime(parsed), "SHORT_DATETIME_FORMAT")


def _decimal(field, value):
    number = Decimal(str(value))
    text = formats.number_format(number, decimal_pos=field.decimal_places, use_l10n=True, force_grouping=True)
    return f"{text} {settings.CRM_CURRENCY}" if field.decimal_places == 2 else text


def display_value(field, value, names):
    """One stored value as the viewer reads it."""
    if value is None or value == "":
        return EMPTY
    try:
        if field.many_to_one or field.one_to_one:
            try:
                pk = int(value)
            except (TypeError, ValueError):
                return str(value)
            return names.get((field.related_model, pk)) or _("#%(id)s (deleted)") % {"id": pk}
        if field.choices:
            typed = field.to_python(value)
            return str(dict(field.flatchoices).get(typed, value))
        if isinstance(field, models.BooleanField):
            return _("yes") if value in (True, "True", "true", 1) else _("no")
        if isinstance(field, models.DateTimeField):
            return _datetime(value)
        if isinstance(field, models.DateField):
            return formats.date_format(date.fromisoformat(str(value)[:10]), "SHORT_DATE_FORMAT")
        if isinstance(field, models.DecimalField):
            return _decimal(field, value)
        if isinstance(field, (models.IntegerField, models.FloatField)):
            return formats.number_format(value, use_l10n=True, force_grouping=True)
        if isinstance(field, models.JSONField):
            value = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    except (ValueError, TypeError, InvalidOperation):
        pass
    return Truncator(str(value)).chars(TEXT_LIMIT)


def field_changes(entry, names, *, skip_empty=False):
    """The entry's changes as labelled, readable (old, new) pairs, in the model's field order."""
    model = entry_model(entry)
    changes = entry.changes or {}
    order = {f.name: i for i, f in enumerate(model._meta.fields)} if model else {}
    result = []
    for name in sorted(changes, key=lambda n: order.get(n, len(order))):
        old, new = [*changes[name], None, None][:2]
        if skip_empty and (name == "created_at" or (new in (None, "") and old in (None, ""))):
            continue  # a new record: its creation time is the entry's own time
        field = _field(model, name) if model else None
        if field is None:
            label = str(NOTE_LABELS.get(name, name))
            result.append(FieldChange(label=label, old=EMPTY if old is None else str(old), new=str(new)))
            continue
        result.append(
            FieldChange(
                label=capfirst(str(field.verbose_name)),
                old=display_value(field, old, names),
                new=display_value(field, new, names),
            )
        )
    return result
