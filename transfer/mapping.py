"""Which field each column of a file fills: guessed from the headers (German and English names),
starting from what the user chose last time for the same header and record type."""

from django.utils.translation import gettext as _

from transfer import records
from transfer.models import ColumnMapping

IGNORE = ""


def remembered(*, user, record_type):
    row = ColumnMapping.objects.filter(user=user, record_type=record_type).values_list("targets", flat=True).first()
    return row or {}


def guess(*, headers, record_type, user):
    """One target per column: the user's last choice for that header, else the field whose name,
    label or alias the header is; a field is guessed for one column only (the first)."""
    kind = records.get(record_type)
    fields = kind.field_map()
    aliases = kind.aliases()
    before = remembered(user=user, record_type=record_type)
    taken, targets = set(), []
    for header in headers:
        key = records.normalise_header(header)
        target = before[key] if key in before and (before[key] in fields or before[key] == IGNORE) else aliases.get(key)
        if target and target in taken:
            target = None
        if target:
            taken.add(target)
        targets.append(target or IGNORE)
    return targets


def check(*, targets, record_type):
    """The problems of a chosen mapping: a field chosen twice, a required field not chosen."""
    kind = records.get(record_type)
    fields = kind.field_map()
    problems = []
    chosen = [t for t in targets if t]
    for name in sorted({t for t in chosen if chosen.count(t) > 1}):
        problems.append(_("“%(field)s” is chosen for more than one column.") % {"field": fields[name].label})
    for f in kind.fields:
        if f.required and f.name not in chosen:
            problems.append(_("Choose the column for “%(field)s”: it is required.") % {"field": f.label})
    unknown = [t for t in chosen if t not in fields]
    if unknown:
        problems.append(_("Unknown field: %(names)s.") % {"names": ", ".join(unknown)})
    return problems


def remember(*, user, record_type, headers, targets):
    """Keep the user's choice for these headers (added to what they chose for other headers)."""
    row, _created = ColumnMapping.objects.get_or_create(user=user, record_type=record_type)
    for header, target in zip(headers, targets, strict=True):
        key = records.normalise_header(header)
        if key:
            row.targets[key] = target
    row.save(update_fields=["targets", "updated_at"])
    return row
