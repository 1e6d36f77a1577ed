"""Forms of the organization and contact pages. Owners come from the users the editor may hand
records to; phone numbers are checked and stored in international form."""

import re

from django import forms
from django.core.validators import validate_email
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from activities.forms import ActivityForm, NextStepFields, next_step_clean
from customers import phones
from customers.forms import ConsentForm as ConsentForm  # shared with the other record page
from customers.models import Contact, ContactChannel, Organization
from directory import selectors

VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,12}$")


class OwnerMixin:
    def limit_owner(self, user):
        owner = self.fields["owner"]
        allowed = scoping.assignable_users(user)
        if self.instance.owner_id:
            allowed = allowed | type(self.instance.owner).objects.filter(pk=self.instance.owner_id)
        owner.queryset = allowed.distinct().order_by("first_name", "username")
        owner.required = False


class OrganizationForm(OwnerMixin, forms.ModelForm):
    # Longer than the stored two letters, so that "Germany" gets the explaining message below.
    country = forms.CharField(
        label=_("Country"), max_length=60, required=False, help_text=_("Two-letter code, e.g. DE.")
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "industry",
            "size_band",
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
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_owner(user)
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
            self.initial.setdefault("country", "DE")
        if self.instance.phone:
            self.initial["phone"] = phones.national(self.instance.phone)

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self):
        return phones.normalise(self.cleaned_data["phone"])

    def clean_vat_id(self):
        value = re.sub(r"[\s-]", "", self.cleaned_data["vat_id"]).upper()
        if value and not VAT_ID.match(value):
            raise forms.ValidationError(_("A VAT ID starts with the country code, e.g. DE123456789."))
        return value

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. DE, AT or CH."))
        return value

    def clean_email_domain(self):
        return self.cleaned_data["email_domain"].strip().lower().removeprefix("@")


class ContactForm(OwnerMixin, forms.ModelForm):
    """The organization is typed by name and resolved among the organizations the editor sees
    (a select of every organization would be thousands of options); `organization_id` keeps the
    one picked on the organization's page or stored on the contact when two share the name."""

    organization = forms.CharField(
        label=_("organization"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "list": "organization-suggestions",
                "autocomplete": "off",
                "hx-get": reverse_lazy("organizations:suggest"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#organization-suggestions",
                "hx-swap": "innerHTML",
            }
        ),
        help_text=_("Type the name; suggestions come from the organizations you see."),
    )
    organization_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "organization", "email", "phone", "job_title", "decision_role", "owner"]

    def __init__(self, *args, user, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.limit_owner(user)
        if organization is None and self.instance.pk:
            organization = self.instance.organization
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
        if organization is not None:
            self.initial["organization"] = organization.name
            self.initial["organization_id"] = organization.pk
        else:
            self.initial["organization"] = ""
        if self.instance.phone:
            self.initial["phone"] = phones.national(self.instance.phone)

    def clean_phone(self):
        return phones.normalise(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        name = " ".join(cleaned.get("organization", "").split())
        picked = cleaned.pop("organization_id", None)
        if not name:
            cleaned["organization"] = None
            return cleaned
        matches = selectors.organization_by_name_for_user(user=self.user, name=name)
        if picked and len(matches) > 1:
            same = selectors.organization_list_for_user(user=self.user).filter(pk=picked, name__iexact=name).first()
            matches = [same] if same else matches
        if not matches:
            self.add_error(
                "organization",
                _("You see no organization called “%(name)s”. Check the name or create it first.") % {"name": name},
            )
        elif len(matches) > 1:
            self.add_error(
                "organization",
                _("Several organizations are called “%(name)s”. Create the contact from the organization’s page.")
                % {"name": name},
            )
        else:
            cleaned["organization"] = matches[0]
        return cleaned

    def _post_clean(self):
        # The organization is resolved in clean(); the model's own checks run in the service.
        pass


class ChannelForm(forms.Form):
    """One further e-mail address or phone number; a row without a value is ignored."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ContactChannel.Kind.choices)
    label = forms.ChoiceField(label=_("Label"), choices=ContactChannel.Label.choices)
    value = forms.CharField(label=_("Address or number"), max_length=254, required=False)

    def clean(self):
        cleaned = super().clean()
        value = cleaned.get("value", "").strip()
        if value and cleaned.get("kind") == ContactChannel.Kind.EMAIL:
            try:
                validate_email(value)
            except forms.ValidationError:
                self.add_error("value", _("“%(value)s” is not a valid e-mail address.") % {"value": value})
        elif value and cleaned.get("kind") == ContactChannel.Kind.PHONE:
            try:
                value = phones.normalise(value)
            except forms.ValidationError as error:
                self.add_error("value", error)
        cleaned["value"] = value
        return cleaned


ChannelFormSet = forms.formset_factory(ChannelForm, extra=2, max_num=20, absolute_max=40)


def channel_formset(data=None, *, contact=None):
    """The further addresses of `contact` (phone numbers in national form) and two blank rows."""
    initial = []
    if contact is not None and contact.pk:
        initial = [
            {"kind": c.kind, "label": c.label, "value": phones.national(c.value) if c.kind == "phone" else c.value}
            for c in contact.channels.all()
        ]
    return ChannelFormSet(data, initial=initial, prefix="channels")


def channels_of(formset):
    """(kind, label, value) of the rows that have a value, for the services."""
    return [
        (row.cleaned_data["kind"], row.cleaned_data["label"], row.cleaned_data["value"])
        for row in formset
        if row.cleaned_data.get("value")
    ]


def _display(record, name):
    """A field's value as the merge screen shows it."""
    field = record._meta.get_field(name)
    if field.is_relation:
        value = getattr(record, name)
        return str(value) if value is not None else ""
    if field.choices:
        return getattr(record, f"get_{name}_display")()
    value = getattr(record, name)
    return phones.national(value) if name == "phone" and value else str(value or "")


class MergeForm(forms.Form):
    """The merge screen: which record survives (a radio), and for every field on which the
    records differ, whose value survives (a radio per record). Fields on which they agree are
    shown without a choice. `rows` lists (name, label, bound field or None, [values]) for the table."""

    def __init__(self, *args, records, fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = records
        self.field_names = fields
        ids = [(r.pk, str(r)) for r in records]
        self.fields["survivor"] = forms.TypedChoiceField(
            label=_("Keep this record"), choices=ids, coerce=int, widget=forms.RadioSelect
        )
        self.initial.setdefault("survivor", records[0].pk)
        self.rows = []
        for name in fields:
            model_field = records[0]._meta.get_field(name)
            raw = [getattr(r, model_field.attname) for r in records]
            shown = [_display(r, name) for r in records]
            if len(set(raw)) == 1:
                self.rows.append((name, model_field.verbose_name, None, shown))
                continue
            key = f"pick_{name}"
            self.fields[key] = forms.TypedChoiceField(
                label=model_field.verbose_name,
                choices=[(r.pk, value or "—") for r, value in zip(records, shown, strict=True)],
                coerce=int,
                empty_value=None,
                required=False,  # no pick: the value of the record kept
                widget=forms.RadioSelect,
            )
            # The first record's value, unless it is empty and another has one.
            self.initial.setdefault(key, next((r.pk for r, v in zip(records, raw, strict=True) if v), records[0].pk))
            self.rows.append((name, model_field.verbose_name, self[key], shown))

    def picks(self):
        """{field: id of the record whose value survives} for the merge service."""
        picked = {name: self.cleaned_data.get(f"pick_{name}") for name in self.field_names}
        return {name: source for name, source in picked.items() if source is not None}


class LogActivityForm(ActivityForm, NextStepFields):
    """Log a call, meeting or note on one of a customer's open deals or leads from its 360° page:
    the activities app's own form plus which deal or lead it belongs to and whether it is done now
    or planned. `deals` and `leads` are the record's open ones the user may change."""

    DONE, PLAN = "done", "plan"
    field_order = [
        *("target", "when", "kind", "subject", "outcome", "note", "due_at", "all_day", "remind_before_minutes"),
        "assignee",
        *("next_subject", "next_due_at"),
    ]

    target = forms.ChoiceField(
        label=_("For"),
        error_messages={"invalid_choice": _("Choose one of this record's open deals or leads that you may change.")},
    )
    when = forms.ChoiceField(
        label=_("When"),
        choices=[(DONE, _("Done now")), (PLAN, _("Plan"))],
        initial=DONE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, deals, leads, **kwargs):
        kwargs.setdefault("prefix", "log")
        super().__init__(*args, user=user, **kwargs)
        self.targets = {f"deal-{deal.pk}": ("deal", deal) for deal in deals}
        self.targets |= {f"lead-{lead.pk}": ("lead", lead) for lead in leads}
        groups = []
        if deals:
            groups.append((_("Deals"), [(f"deal-{deal.pk}", deal.title) for deal in deals]))
            self.fields["target"].initial = f"deal-{deals[0].pk}"
        if leads:
            groups.append((_("Leads"), [(f"lead-{lead.pk}", str(lead)) for lead in leads]))
        self.fields["target"].choices = groups
        self.fields["due_at"].help_text = _("Only when planned.")

        self.fields["outcome"].help_text = _("Only when done.")
        self.fields["next_subject"].help_text = _("Only when done: creates the follow-up.")

    def clean_target(self):
        return self.targets[self.cleaned_data["target"]]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == self.DONE:
            next_step_clean(self, cleaned)
        elif cleaned.get("outcome") or cleaned.get("next_subject") or cleaned.get("next_due_at"):
            self.add_error(None, _("An outcome and a next step belong to a call or meeting logged as done."))
        return cleaned
