"""Likely duplicates among the rows of an organization or contact import (dry run warnings).

The same keys as the create forms' candidates (customers.duplicates: name key, domain, VAT ID;
e-mail address and phone number, main and further ones), but read for the whole file at once:
one query per key kind over all rows' normalised keys, then one query for which of the matches
the importer sees. A file of 10 rows and one of 10,000 cost the same number of queries.

Each warning names the row, what matched and the existing records the importer may open;
matches outside their scope are only counted as "a record you cannot see" (no name, no link,
not even which key matched). Rows that share a key with an earlier row of the same file are
flagged with that row's number.
"""

from django.db.models import Q
from django.db.models.functions import Lower

from customers import duplicates as keys
from customers.models import Contact, ContactChannel, Organization
from directory import selectors as directory_selectors

# Existing records named per row (the rest is counted).
RECORDS_PER_ROW = 3
# Rows whose keys are looked up together: keeps every IN list far below SQLite's limit of bound
# parameters (a file of 50,000 rows costs a few queries per 2,000 rows, never per row).
CHUNK_ROWS = 2000


def _organization_keys(row):
    """{kind: {keys}} of one cleaned organization row."""
    domains = {keys.matching_domain(row.get("website")), keys.matching_domain(row.get("email_domain"))} - {""}
    return {
        "name": {keys.name_key(row.get("name"))} - {""},
        "domain": domains,
        "vat": {keys.vat_key(row.get("vat_id"))} - {""},
    }


def _contact_keys(row):
    return {
        "email": {keys.email_key(row.get("email"))} - {""},
        "phone": {keys.phone_key(row.get("phone"))} - {""},
    }


def _all(row_keys, kind):
    return sorted(set().union(*(k[kind] for k in row_keys))) if row_keys else []


def _existing_organizations(row_keys):
    """{(kind, key): [(pk, label)]}: three indexed queries, one per key kind."""
    found = {}

    def add(kind, key, pk, label):
        entries = found.setdefault((kind, key), [])
        if (pk, label) not in entries:
            entries.append((pk, label))

    names = _all(row_keys, "name")
    if names:
        for pk, name, key in Organization.objects.filter(name_key__in=names).values_list("pk", "name", "name_key"):
            add("name", key, pk, name)
    domains = _all(row_keys, "domain")
    if domains:
        rows = Organization.objects.filter(Q(email_domain__in=domains) | Q(website_domain__in=domains))
        for pk, name, mail, web in rows.values_list("pk", "name", "email_domain", "website_domain"):
            for key in {mail, web} & set(domains):
                add("domain", key, pk, name)
    vats = _all(row_keys, "vat")
    if vats:
        for pk, name, vat in Organization.objects.filter(vat_id__in=vats).values_list("pk", "name", "vat_id"):
            add("vat", vat, pk, name)
    return found


def _contact_label(first, last, email):
    return " ".join(part for part in (first, last) if part) or email


def _existing_contacts(row_keys):
    """{(kind, key): [(pk, label)]}: the further addresses (one query), the contacts by their
    main e-mail or phone or by those further ones (one query)."""
    emails, numbers = _all(row_keys, "email"), _all(row_keys, "phone")
    if not emails and not numbers:
        return {}
    by_value = Q(kind=ContactChannel.Kind.EMAIL, value_lower__in=emails) if emails else Q(pk__in=[])
    if numbers:
        by_value |= Q(kind=ContactChannel.Kind.PHONE, value__in=numbers)
    further = {}  # contact id → [(kind, key)]
    channels = ContactChannel.objects.annotate(value_lower=Lower("value")).filter(by_value)
    for contact_id, kind, value in channels.values_list("contact_id", "kind", "value"):
        kind = "email" if kind == ContactChannel.Kind.EMAIL else "phone"
        further.setdefault(contact_id, []).append((kind, keys.email_key(value) if kind == "email" else value))
    where = Q(pk__in=sorted(further))
    if emails:
        where |= Q(email_lower__in=emails)
    if numbers:
        where |= Q(phone__in=numbers)
    found = {}
    rows = Contact.objects.annotate(email_lower=Lower("email")).filter(where)
    for pk, first, last, email, email_lower, phone in rows.values_list(
        "pk", "first_name", "last_name", "email", "email_lower", "phone"
    ):
        label = _contact_label(first, last, email)
        matched = [("email", email_lower), ("phone", phone), *further.get(pk, [])]
        for kind, key in matched:
            entries = found.setdefault((kind, key), []) if key else None
            if entries is not None and (pk, label) not in entries:
                entries.append((pk, label))
    return found


KINDS = {
    "organizations": (_organization_keys, _existing_organizations, directory_selectors.organization_list_for_user),
    "contacts": (_contact_keys, _existing_contacts, directory_selectors.contact_list_for_user),
}


def supports(record_type):
    return record_type in KINDS


def row_warnings(*, user, record_type, rows):
    """The warnings of the cleaned `rows` [(line, {field: value})], in the file's order:
    [{"row": line, "records": [{"id", "label", "on": [kind, …]}], "more": n, "hidden": bool,
    "in_file": [{"row": earlier line, "on": [kind, …]}]}] for each row that looks like a
    duplicate. At most 4 queries per CHUNK_ROWS rows (and matched records)."""
    if record_type not in KINDS or not rows:
        return []
    keys_of, existing_of, visible_of = KINDS[record_type]
    row_keys = [keys_of(row) for _line, row in rows]
    existing = {}
    for start in range(0, len(row_keys), CHUNK_ROWS):
        for key, entries in existing_of(row_keys[start : start + CHUNK_ROWS]).items():
            known = existing.setdefault(key, [])
            known.extend(entry for entry in entries if entry not in known)
    ids = sorted({pk for entries in existing.values() for pk, _label in entries})
    visible = set()
    for start in range(0, len(ids), CHUNK_ROWS):
        chunk = ids[start : start + CHUNK_ROWS]
        visible.update(visible_of(user=user).filter(pk__in=chunk).values_list("pk", flat=True))

    warnings, first_line = [], {}
    for (line, _row), kinds in zip(rows, row_keys, strict=True):
        records, hidden, in_file = {}, False, {}
        for kind, values in kinds.items():
            for key in sorted(values):
                for pk, label in existing.get((kind, key), []):
                    if pk in visible:
                        entry = records.setdefault(pk, {"id": pk, "label": label, "on": []})
                        if kind not in entry["on"]:
                            entry["on"].append(kind)
                    else:
                        hidden = True
                earlier = first_line.setdefault((kind, key), line)
                if earlier != line:
                    on = in_file.setdefault(earlier, [])
                    if kind not in on:
                        on.append(kind)
        if records or hidden or in_file:
            listed = list(records.values())
            warnings.append(
                {
                    "row": line,
                    "records": listed[:RECORDS_PER_ROW],
                    "more": max(len(listed) - RECORDS_PER_ROW, 0),
                    "hidden": hidden,
                    "in_file": [{"row": row, "on": on} for row, on in sorted(in_file.items())],
                }
            )
    return warnings
