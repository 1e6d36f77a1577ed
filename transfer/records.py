"""What each record type imports and exports: its fields with the headers they are guessed from
(German and English), how a row becomes a record, and the export's columns.

A row is checked with lookups read once per file (owners, stages, organizations, contacts,
deals, leads: one query each for all the file's values), so checking and importing a file costs
the same number of queries whatever its length, plus the bulk inserts. Every reference is
resolved within what the importing user sees, and an owner or assignee only among the users
they may hand records to (accounts.scoping.assignable_users): by e-mail address or user name.
"""

import re
from dataclasses import dataclass

from django.db.models import Min, Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import scoping
from activities.models import Activity, Kind
from audit import services as audit
from customers.models import Contact, DecisionRole, Industry, Organization, Region, SizeBand
from deals.models import Deal, Pipeline, Stage, StageChange
from directory import selectors as directory_selectors
from events.models import EventType
from events.services import event_emit_many
from leads import selectors as lead_selectors
from leads.models import Lead
from pipeline_crm import csvexport
from transfer import values


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple = ()
    required: bool = False


def normalise_header(header):
    """ "E-Mail-Adresse" and "e_mail adresse" alike: case-folded letters and digits only."""
    return re.sub(r"[\W_]+", "", str(header).casefold())


def _user_key(user):
    return user.email or user.username


class _Users:
    """The users the actor may hand records to, by e-mail address or user name (one query)."""

    def __init__(self, actor):
        self.actor = actor
        self.by_key = {}
        for user in scoping.assignable_users(actor).order_by("pk"):
            for key in (user.email, user.username):
                if key:
                    self.by_key.setdefault(key.casefold(), user)

    def get(self, cell, *, default):
        key = values.text_of(cell)
        if not key:
            return default
        try:
            return self.by_key[key.casefold()]
        except KeyError:
            raise values.CellError(
                _("unknown user “%(value)s” (or not one you may hand records to)") % {"value": key}
            ) from None


def _by_lower(queryset, field, keys):
    """{lower-case value: [records]} of `queryset` whose `field` is one of `keys` (one query)."""
    found = {}
    if keys:
        rows = queryset.annotate(_key=Lower(field)).filter(_key__in=keys)
        for record in rows:
            found.setdefault(record._key, []).append(record)
    return found


def _unique(found, cell, *, missing, several):
    key = values.text_of(cell)
    if not key:
        return None
    matches = found.get(key.casefold(), [])
    if not matches:
        raise values.CellError(missing % {"value": key})
    if len(matches) > 1:
        raise values.CellError(several % {"value": key})
    return matches[0]


def _keys(rows, name):
    return {values.text_of(row.get(name)).casefold() for row in rows if values.text_of(row.get(name))}


def _organizations(actor, rows):
    return _by_lower(directory_selectors.organization_list_for_user(user=actor), "name", _keys(rows, "organization"))


def _organization(context, cell):
    return _unique(
        context["organizations"],
        cell,
        missing=_("you see no organization called “%(value)s” (import the organizations first)"),
        several=_("several organizations are called “%(value)s”"),
    )


def _label(value, choices):
    return str(choices(value).label) if value else ""


class RecordKind:
    """One record type's import and export. Subclasses list the fields and build the records."""

    record_type = ""
    model = None
    fields = ()

    def field_map(self):
        return {f.name: f for f in self.fields}

    def aliases(self):
        """{normalised header: field name} from each field's name, its labels and aliases."""
        table = {}
        for f in self.fields:
            for alias in (f.name, str(f.label), *f.aliases):
                table.setdefault(normalise_header(alias), f.name)
        return table

    def prepare(self, actor, rows):
        """The lookups every row needs, read once for the whole file."""
        return {"users": _Users(actor)}

    def clean(self, row, context):
        """The record's field values of one row; raises RowErrors naming the fields."""
        raise NotImplementedError

    def write(self, actor, cleaned, context):
        """Create the records of the checked rows (bulk inserts and their audit entries)."""
        raise NotImplementedError


class RowErrors(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors  # [(field name, message)]


def _cleaner(row, readers):
    """Run every field's reader; collect each field's error instead of stopping at the first."""
    out, errors = {}, []
    for name, read in readers.items():
        try:
            out[name] = read(row.get(name, ""))
        except values.CellError as error:
            errors.append((name, str(error)))
    return out, errors


def _require(out, errors, fields):
    for f in fields:
        if f.required and not any(name == f.name for name, _msg in errors) and out.get(f.name) in ("", None):
            errors.append((f.name, str(_("is required"))))


def _bulk_create(model, records):
    records = model.objects.bulk_create(records, batch_size=1000)
    audit.audit_record_bulk_create(instances=records)  # bulk_create sends no signals
    return records


# --- organizations ----------------------------------------------------------------------------


class Organizations(RecordKind):
    record_type = "organizations"
    model = Organization
    fields = (
        Field(
            "name",
            gettext_lazy("Name"),
            (
                "Firma",
                "Firmenname",
                "Unternehmen",
                "Company",
                "Company name",
                "Organisation",
                "Organization",
                "Account",
            ),
            required=True,
        ),
        Field("industry", gettext_lazy("Industry"), ("Branche", "Sector", "Sektor")),
        Field(
            "size_band",
            gettext_lazy("Company size"),
            ("company_size", "Size", "Größe", "Unternehmensgröße", "Mitarbeiter", "Employees"),
        ),
        Field("region", gettext_lazy("Region"), ("Gebiet", "Vertriebsgebiet", "Territory")),
        Field("website", gettext_lazy("Website"), ("Webseite", "Homepage", "Internet", "URL", "Web")),
        Field("email_domain", gettext_lazy("E-mail domain"), ("Domain", "E-Mail-Domain", "Maildomain")),
        Field("phone", gettext_lazy("Phone"), ("Telefon", "Telefonnummer", "Tel", "Phone number", "Zentrale")),
        Field("vat_id", gettext_lazy("VAT ID"), ("VAT", "USt-IdNr", "USt-ID", "Umsatzsteuer-ID", "UID")),
        Field("street", gettext_lazy("Street"), ("Straße", "Strasse", "Adresse", "Address", "Anschrift")),
        Field("postal_code", gettext_lazy("Postal code"), ("PLZ", "Postleitzahl", "ZIP", "ZIP code", "Postcode")),
        Field("city", gettext_lazy("City"), ("Ort", "Stadt", "Town")),
        Field("country", gettext_lazy("Country"), ("Land", "Ländercode", "Country code")),
        Field("owner", gettext_lazy("Owner"), ("Besitzer", "Inhaber", "Verantwortlich", "Betreuer", "Account owner")),
    )
    tables = {"industry": Industry, "size_band": SizeBand, "region": Region}

    def prepare(self, actor, rows):
        context = super().prepare(actor, rows)
        context.update({name: values.choice_table(choices) for name, choices in self.tables.items()})
        return context

    def clean(self, row, context):
        readers = {
            "name": lambda c: values.text(c, max_length=200),
            "industry": lambda c: values.choice(c, table=context["industry"]),
            "size_band": lambda c: values.choice(c, table=context["size_band"]),
            "region": lambda c: values.choice(c, table=context["region"]),
            "website": values.url,
            "email_domain": lambda c: values.text(c, max_length=200).lower().removeprefix("@"),
            "phone": values.phone,
            "vat_id": lambda c: values.text(c, max_length=20).replace(" ", "").upper(),
            "street": lambda c: values.text(c, max_length=200),
            "postal_code": lambda c: values.text(c, max_length=20),
            "city": lambda c: values.text(c, max_length=100),
            "country": values.country,
            "owner": lambda c: context["users"].get(c, default=context["users"].actor),
        }
        out, errors = _cleaner(row, readers)
        _require(out, errors, self.fields)
        if errors:
            raise RowErrors(errors)
        return out

    def write(self, actor, cleaned, context):
        now = timezone.now()
        organizations = [Organization(created_at=now, **fields) for fields in cleaned]
        for organization in organizations:
            organization.set_duplicate_keys()  # bulk_create does not call save()
        return _bulk_create(Organization, organizations)

    header = [
        "name",
        "industry",
        "company_size",
        "region",
        "website",
        "email_domain",
        "phone",
        "vat_id",
        "street",
        "postal_code",
        "city",
        "country",
        "owner",
        "open_deals",
        "open_value",
        "last_activity",
        "created_at",
    ]
    kinds = {
        "phone": csvexport.PHONE,
        "open_deals": csvexport.NUMBER,
        "open_value": csvexport.NUMBER,
        "last_activity": csvexport.DATE,
        "created_at": csvexport.DATE,
    }

    def export_values(self, o):
        return [
            o.name,
            _label(o.industry, Industry),
            _label(o.size_band, SizeBand),
            _label(o.region, Region),
            o.website,
            o.email_domain,
            o.phone,
            o.vat_id,
            o.street,
            o.postal_code,
            o.city,
            o.country,
            _user_key(o.owner) if o.owner_id else "",
            o.open_deals,
            o.open_value,
            o.last_activity,
            o.created_at,
        ]


# --- contacts -----------------------------------------------------------------------------------


class Contacts(RecordKind):
    record_type = "contacts"
    model = Contact
    fields = (
        Field("first_name", gettext_lazy("First name"), ("Vorname", "Given name", "Firstname")),
        Field(
            "last_name",
            gettext_lazy("Last name"),
            ("Nachname", "Familienname", "Surname", "Lastname", "Name", "Zuname"),
            required=True,
        ),
        Field("email", gettext_lazy("E-mail"), ("Email", "Mail", "E-Mail-Adresse", "Email address", "Mailadresse")),
        Field("phone", gettext_lazy("Phone"), ("Telefon", "Telefonnummer", "Tel", "Mobil", "Handy", "Mobile")),
        Field("job_title", gettext_lazy("Job title"), ("Position", "Funktion", "Titel", "Title", "Jobtitel", "Rolle")),
        Field("decision_role", gettext_lazy("Decision role"), ("Entscheidungsrolle", "Buying role", "Kaufrolle")),
        Field(
            "organization",
            gettext_lazy("Organization"),
            ("Firma", "Firmenname", "Unternehmen", "Company", "Company name", "Organisation", "Account"),
        ),
        Field("owner", gettext_lazy("Owner"), ("Besitzer", "Inhaber", "Verantwortlich", "Betreuer", "Contact owner")),
    )

    def prepare(self, actor, rows):
        context = super().prepare(actor, rows)
        context["decision_role"] = values.choice_table(DecisionRole)
        context["organizations"] = _organizations(actor, rows)
        return context

    def clean(self, row, context):
        readers = {
            "first_name": lambda c: values.text(c, max_length=100),
            "last_name": lambda c: values.text(c, max_length=100),
            "email": values.email,
            "phone": values.phone,
            "job_title": lambda c: values.text(c, max_length=100),
            "decision_role": lambda c: values.choice(c, table=context["decision_role"]),
            "organization": lambda c: _organization(context, c),
            "owner": lambda c: context["users"].get(c, default=context["users"].actor),
        }
        out, errors = _cleaner(row, readers)
        _require(out, errors, self.fields)
        if errors:
            raise RowErrors(errors)
        return out

    def write(self, actor, cleaned, context):
        now = timezone.now()
        contacts = _bulk_create(Contact, [Contact(created_at=now, **fields) for fields in cleaned])
        event_emit_many(
            EventType.CONTACT_CREATED,
            subject_type="contact",
            subject_ids=[contact.pk for contact in contacts],
            actor=actor,
            data={"source": "import"},
        )
        return contacts

    header = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "decision_role",
        "organization",
        "owner",
        "email_consent",
        "open_deals",
        "last_activity",
        "created_at",
    ]
    kinds = {
        "phone": csvexport.PHONE,
        "open_deals": csvexport.NUMBER,
        "last_activity": csvexport.DATE,
        "created_at": csvexport.DATE,
    }

    def export_values(self, c):
        return [
            c.first_name,
            c.last_name,
            c.email,
            c.phone,
            c.job_title,
            _label(c.decision_role, DecisionRole),
            c.organization.name if c.organization_id else "",
            _user_key(c.owner) if c.owner_id else "",
            c.get_email_consent_display(),
            c.open_deals,
            c.last_activity,
            c.created_at,
        ]


# --- deals --------------------------------------------------------------------------------------


class Deals(RecordKind):
    """Open deals: stage by name (in the named pipeline, else the default one), owner by e-mail,
    organization by name, contact by e-mail or full name. Won and lost deals need their reason
    and history and are not imported."""

    record_type = "deals"
    model = Deal
    fields = (
        Field(
            "title",
            gettext_lazy("Title"),
            ("Titel", "Bezeichnung", "Deal", "Deal name", "Name", "Opportunity", "Verkaufschance", "Projekt"),
            required=True,
        ),
        Field("pipeline", gettext_lazy("Pipeline"), ("Vertriebspipeline", "Sales pipeline")),
        Field("stage", gettext_lazy("Stage"), ("Phase", "Stufe", "Verkaufsphase", "Deal stage", "Pipeline stage")),
        Field("value", gettext_lazy("Value"), ("Wert", "Betrag", "Volumen", "Amount", "Deal value", "Umsatz")),
        Field(
            "expected_close_date",
            gettext_lazy("Expected close date"),
            ("Close date", "Abschlussdatum", "Erwarteter Abschluss", "Abschluss", "Closing date"),
        ),
        Field("probability", gettext_lazy("Probability"), ("Wahrscheinlichkeit", "Probability %")),
        Field("owner", gettext_lazy("Owner"), ("Besitzer", "Inhaber", "Verantwortlich", "Betreuer", "Deal owner")),
        Field(
            "organization",
            gettext_lazy("Organization"),
            ("Firma", "Firmenname", "Unternehmen", "Company", "Company name", "Organisation", "Account"),
        ),
        Field(
            "contact",
            gettext_lazy("Contact"),
            ("Kontakt", "Ansprechpartner", "Contact person", "Contact e-mail", "E-Mail", "Email"),
        ),
    )

    def prepare(self, actor, rows):
        context = super().prepare(actor, rows)
        pipelines = list(Pipeline.objects.filter(is_active=True).order_by("-is_default", "order", "id"))
        context["default_pipeline"] = pipelines[0] if pipelines else None
        context["pipelines"] = {}
        for pipeline in pipelines:
            context["pipelines"].setdefault(pipeline.name.casefold(), pipeline)
        stages = {}
        first = {}
        for stage in Stage.objects.filter(pipeline__in=pipelines).order_by("order", "id"):
            stages.setdefault((stage.pipeline_id, stage.name.casefold()), stage)
            first.setdefault(stage.pipeline_id, stage)
        context["stages"], context["first_stage"] = stages, first
        context["organizations"] = _organizations(actor, rows)
        contacts = directory_selectors.contact_list_for_user(user=actor).select_related("organization")
        keys = _keys(rows, "contact")
        found = {}
        if keys:
            contacts = contacts.annotate(
                _email=Lower("email"), _full=Lower(Concat("first_name", Value(" "), "last_name"))
            ).filter(Q(_email__in=keys) | Q(_full__in=keys))
            for contact in contacts:
                for key in {contact._email, contact._full}:
                    found.setdefault(key, []).append(contact)
        context["contacts"] = found
        return context

    def _stage(self, row, context):
        pipeline_name = values.text_of(row.get("pipeline"))
        if pipeline_name:
            pipeline = context["pipelines"].get(pipeline_name.casefold())
            if pipeline is None:
                raise RowErrors([("pipeline", str(_("unknown pipeline “%(value)s”") % {"value": pipeline_name}))])
        else:
            pipeline = context["default_pipeline"]
            if pipeline is None:
                raise RowErrors([("pipeline", str(_("there is no pipeline yet")))])
        stage_name = values.text_of(row.get("stage"))
        if not stage_name:
            return context["first_stage"][pipeline.pk]
        stage = context["stages"].get((pipeline.pk, stage_name.casefold()))
        if stage is None:
            raise RowErrors(
                [
                    (
                        "stage",
                        str(
                            _("pipeline “%(pipeline)s” has no stage “%(value)s”")
                            % {"pipeline": pipeline.name, "value": stage_name}
                        ),
                    )
                ]
            )
        return stage

    def clean(self, row, context):
        readers = {
            "title": lambda c: values.text(c, max_length=200),
            "value": values.decimal,
            "expected_close_date": values.date_value,
            "probability": values.percent,
            "owner": lambda c: context["users"].get(c, default=context["users"].actor),
            "organization": lambda c: _organization(context, c),
            "contact": lambda c: _unique(
                context["contacts"],
                c,
                missing=_("you see no contact with the e-mail or name “%(value)s”"),
                several=_("several contacts match “%(value)s”; use the e-mail address"),
            ),
        }
        out, errors = _cleaner(row, readers)
        try:
            out["stage"] = self._stage(row, context)
        except RowErrors as error:
            errors.extend(error.errors)
        _require(out, errors, self.fields)
        if errors:
            raise RowErrors(errors)
        if out["value"] is None:
            out["value"] = 0
        if out["organization"] is None and out["contact"] is not None:
            out["organization"] = out["contact"].organization
        return out

    def write(self, actor, cleaned, context):
        """Open deals at the top of their columns in the file's order, each with its 'created'
        stage change, as CreateDeal (deals.services.deal_create) writes one."""
        stage_ids = {row["stage"].pk for row in cleaned}
        tops = dict(
            Deal.objects.filter(stage_id__in=stage_ids, status=Deal.Status.OPEN)
            .values("stage")
            .annotate(top=Min("position"))
            .values_list("stage", "top")
        )
        remaining = {}
        for row in cleaned:
            remaining[row["stage"].pk] = remaining.get(row["stage"].pk, 0) + 1
        now = timezone.now()
        deals = []
        for row in cleaned:
            stage = row["stage"]
            top = tops.get(stage.pk) or 0.0
            position = top - remaining[stage.pk]
            remaining[stage.pk] -= 1
            deals.append(
                Deal(
                    title=row["title"],
                    pipeline_id=stage.pipeline_id,
                    stage=stage,
                    position=position,
                    owner=row["owner"],
                    organization=row["organization"],
                    contact=row["contact"],
                    value=row["value"],
                    expected_close_date=row["expected_close_date"],
                    probability=row["probability"],
                    stage_entered_at=now,
                    created_at=now,
                    updated_by=actor,
                )
            )
        deals = _bulk_create(Deal, deals)
        StageChange.objects.bulk_create(
            [
                StageChange(
                    deal=deal,
                    pipeline_id=deal.pipeline_id,
                    kind=StageChange.Kind.CREATED,
                    to_stage_id=deal.stage_id,
                    to_status=deal.status,
                    actor=actor,
                    owner_id=deal.owner_id,
                    value=deal.value,
                    at=now,
                )
                for deal in deals
            ],
            batch_size=1000,
        )
        event_emit_many(
            EventType.DEAL_CREATED,
            subject_type="deal",
            subject_ids=[deal.pk for deal in deals],
            actor=actor,
            data={"source": "import"},
        )
        return deals

    header = [
        "title",
        "pipeline",
        "stage",
        "status",
        "value",
        "expected_close_date",
        "probability",
        "owner",
        "organization",
        "contact",
        "created_at",
    ]
    kinds = {
        "value": csvexport.NUMBER,
        "expected_close_date": csvexport.DATE,
        "probability": csvexport.NUMBER,
        "created_at": csvexport.DATE,
    }

    def export_values(self, d):
        contact = ""
        if d.contact_id:
            contact = d.contact.email or str(d.contact)
        return [
            d.title,
            d.pipeline.name,
            d.stage.name,
            d.get_status_display(),
            d.value,
            d.expected_close_date,
            d.probability,
            _user_key(d.owner),
            d.organization.name if d.organization_id else "",
            contact,
            d.created_at,
        ]


# --- activities ---------------------------------------------------------------------------------


class Activities(RecordKind):
    """Activities on a deal (by its id or title) or a lead (by its e-mail) the importing user may
    change; the assignee by e-mail. Activities due in the past or already done get no reminder."""

    record_type = "activities"
    model = Activity
    fields = (
        Field(
            "subject", gettext_lazy("Subject"), ("Betreff", "Titel", "Title", "Aufgabe", "Beschreibung"), required=True
        ),
        Field("kind", gettext_lazy("Kind"), ("Art", "Typ", "Type", "Aktivitätstyp", "Activity type")),
        Field("due_at", gettext_lazy("Due"), ("Fällig", "Fälligkeit", "Fällig am", "Due date", "Termin", "Datum")),
        Field("done_at", gettext_lazy("Done at"), ("Erledigt", "Erledigt am", "Done", "Completed", "Completed at")),
        Field("note", gettext_lazy("Note"), ("Notiz", "Notizen", "Bemerkung", "Notes", "Kommentar", "Comment")),
        Field(
            "assignee",
            gettext_lazy("Assignee"),
            ("Zuständig", "Bearbeiter", "Verantwortlich", "Owner", "Besitzer", "Assigned to"),
        ),
        Field("deal", gettext_lazy("Deal"), ("Verkaufschance", "Opportunity", "Deal title", "deal_id")),
        Field("lead", gettext_lazy("Lead"), ("Lead e-mail", "Interessent")),
    )

    def prepare(self, actor, rows):
        context = super().prepare(actor, rows)
        context["kind"] = values.choice_table(Kind)
        deals = Deal.objects.filter(scoping.changeable_owner_q(actor))
        keys = _keys(rows, "deal")
        ids = {int(key) for key in keys if key.isdigit()}
        found = {}
        if keys:
            matches = deals.annotate(_key=Lower("title")).filter(Q(_key__in=keys) | Q(pk__in=ids))
            for deal in matches.only("pk", "title"):
                if deal.pk in ids:
                    found.setdefault(str(deal.pk), []).append(deal)
                if deal._key in keys:
                    found.setdefault(deal._key, []).append(deal)
        context["deals"] = found
        leads = Lead.objects.filter(lead_selectors.lead_scope_q(actor), scoping.changeable_owner_q(actor))
        context["leads"] = _by_lower(leads.only("pk", "email"), "email", _keys(rows, "lead"))
        return context

    def clean(self, row, context):
        readers = {
            "subject": lambda c: values.text(c, max_length=200),
            "kind": lambda c: values.choice(c, table=context["kind"]) or Kind.TASK,
            "due_at": values.datetime_value,
            "done_at": lambda c: values.datetime_value(c)[0],
            "note": lambda c: values.text(c, max_length=10000),
            "assignee": lambda c: context["users"].get(c, default=context["users"].actor),
            "deal": lambda c: _unique(
                context["deals"],
                c,
                missing=_("you may change no deal “%(value)s”"),
                several=_("several deals are called “%(value)s”; use the deal’s number"),
            ),
            "lead": lambda c: _unique(
                context["leads"],
                c,
                missing=_("you may change no lead with the e-mail “%(value)s”"),
                several=_("several leads have the e-mail “%(value)s”"),
            ),
        }
        out, errors = _cleaner(row, readers)
        _require(out, errors, self.fields)
        failed = {name for name, _msg in errors}
        if not failed & {"deal", "lead"} and (out.get("deal") is None) == (out.get("lead") is None):
            errors.append(("deal", str(_("name either a deal or a lead (exactly one)"))))
        if errors:
            raise RowErrors(errors)
        out["due_at"], out["all_day"] = out["due_at"]
        return out

    def write(self, actor, cleaned, context):
        """The activities, and their deals and leads touched as planning one does
        (activities.services.activity_create)."""
        now = timezone.now()
        records = [
            Activity(
                created_by=actor,
                created_at=now,
                reminder_sent_at=now if row["done_at"] or (row["due_at"] and row["due_at"] < now) else None,
                **row,
            )
            for row in cleaned
        ]
        records = _bulk_create(Activity, records)
        deal_ids = {row["deal"].pk for row in cleaned if row["deal"]}
        lead_ids = {row["lead"].pk for row in cleaned if row["lead"]}
        if deal_ids:
            Deal.objects.filter(pk__in=deal_ids).update(updated_at=now, last_activity_at=now)
        if lead_ids:
            Lead.objects.filter(pk__in=lead_ids).update(updated_at=now, last_touch_at=now)
        return records

    header = ["subject", "kind", "due_at", "done_at", "note", "assignee", "deal", "lead", "created_at"]
    kinds = {"due_at": csvexport.DATE, "done_at": csvexport.DATE, "created_at": csvexport.DATE}

    def export_values(self, a):
        return [
            a.subject,
            a.get_kind_display(),
            a.due_at.date() if a.all_day and a.due_at else a.due_at,
            a.done_at,
            a.note,
            _user_key(a.assignee),
            a.deal.title if a.deal_id else "",
            a.lead.email if a.lead_id else "",
            a.created_at,
        ]


KINDS = {kind.record_type: kind for kind in (Organizations(), Contacts(), Deals(), Activities())}


def get(record_type):
    return KINDS[record_type]


def export_kinds(kind):
    return [kind.kinds.get(name, csvexport.TEXT) for name in kind.header]
