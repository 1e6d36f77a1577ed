"""The organization and contact lists' filters; the state lives in the URL."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from activities.models import Activity
from customers.models import Consent, Contact, DecisionRole, Industry, Organization, Region, SizeBand, Tag
from deals.models import Deal, Stage
from leads import selectors as lead_selectors
from leads.models import Lead, Persona
from pipeline_crm import widgets

YES_NO = [("yes", _("yes")), ("no", _("no"))]
ACTIVITY_CHOICES = [
    ("7", _("in the last 7 days")),
    ("30", _("in the last 30 days")),
    ("90", _("in the last 90 days")),
    ("none90", _("none for 90 days")),
]


class StageChoiceField(forms.ModelChoiceField):
    """A stage named with its pipeline: two pipelines may both have a "Negotiation"."""

    def label_from_instance(self, obj):
        return f"{obj.pipeline.name} · {obj.name}"


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageChoiceField


def stage_choices():
    return Stage.objects.select_related("pipeline").order_by("pipeline__name", "pipeline_id", "order", "id")


class _CustomerFilter(django_filters.FilterSet):
    """What both lists share: owner, open deals, last activity; `parent` is the field by which
    deals and leads point at the record."""

    parent = None
    owner = django_filters.ModelChoiceFilter(queryset=None, label=_("Owner"), empty_label=_("anyone"))
    open_deals = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_open_deals", label=_("Open deals"), empty_label=_("any")
    )
    activity = django_filters.ChoiceFilter(
        choices=ACTIVITY_CHOICES, method="filter_activity", label=_("Last activity"), empty_label=_("any time")
    )
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.all(), method="filter_tag", label=_("Tag"), empty_label=_("any")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["owner"].queryset = scoping.visible_users(user).order_by("first_name", "username")
        for choice_filter in self.filters.values():
            if isinstance(choice_filter, django_filters.ChoiceFilter):  # model choices too
                choice_filter.extra["widget"] = widgets.Select

    def _deals(self):
        return Deal.objects.filter(scoping.visible_owner_q(self.user), **{self.parent: OuterRef("pk")})

    def filter_open_deals(self, queryset, name, value):
        has_open = Exists(self._deals().filter(status=Deal.Status.OPEN))
        return queryset.filter(has_open if value == "yes" else ~has_open)

    def filter_activity(self, queryset, name, value):
        """Done activities on the visible deals or leads since N days (two EXISTS: one OR over
        both made PostgreSQL read every activity for every row)."""
        since = timezone.now() - timedelta(days=int(value.removeprefix("none")))
        on = {"done_at__gte": since}
        recent = Exists(
            Activity.objects.filter(
                scoping.visible_owner_q(self.user, "deal__owner"), **{f"deal__{self.parent}": OuterRef("pk")}, **on
            )
        ) | Exists(
            Activity.objects.filter(
                lead_selectors.lead_scope_q(self.user, "lead__owner"), **{f"lead__{self.parent}": OuterRef("pk")}, **on
            )
        )
        return queryset.filter(~recent if value.startswith("none") else recent)

    def filter_tag(self, queryset, name, value):
        through = queryset.model.tags.through
        return queryset.filter(Exists(through.objects.filter(**{f"{self.parent}_id": OuterRef("pk")}, tag=value)))

    @staticmethod
    def filter_text(queryset, fields, value):
        q = Q()
        for term in value.split()[:5]:
            term_q = Q()
            for field in fields:
                term_q |= Q(**{f"{field}__icontains": term})
            q &= term_q
        return queryset.filter(q)


class OrganizationFilter(_CustomerFilter):
    parent = "organization"
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    region = django_filters.ChoiceFilter(choices=Region.choices, label=_("Region"), empty_label=_("any"))
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"), empty_label=_("any"))
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices, label=_("Company size"), empty_label=_("any"))
    o = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("city", "city"),
            ("region", "region"),
            ("industry", "industry"),
            ("owner__first_name", "owner"),
            ("open_deals", "open_deals"),
            ("open_value", "open_value"),
            ("last_activity", "last_activity"),
            ("created_at", "created"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = Organization
        fields = []

    def filter_q(self, queryset, name, value):
        return self.filter_text(queryset, ["name", "city", "email_domain", "vat_id"], value)


class ContactFilter(_CustomerFilter):
    parent = "contact"
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    decision_role = django_filters.ChoiceFilter(
        choices=DecisionRole.choices, label=_("Decision role"), empty_label=_("any")
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices, field_name="organization__region", label=_("Region"), empty_label=_("any")
    )
    industry = django_filters.ChoiceFilter(
        choices=Industry.choices, field_name="organization__industry", label=_("Industry"), empty_label=_("any")
    )
    size_band = django_filters.ChoiceFilter(
        choices=SizeBand.choices, field_name="organization__size_band", label=_("Company size"), empty_label=_("any")
    )
    email_consent = django_filters.ChoiceFilter(
        choices=Consent.choices, label=_("E-mail consent"), empty_label=_("any")
    )
    deal_stage = StageFilter(
        queryset=stage_choices(), method="filter_deal_stage", label=_("Open deal in stage"), empty_label=_("any")
    )
    lead_source = django_filters.ChoiceFilter(
        choices=Lead.Source.choices, method="filter_lead_source", label=_("Lead source"), empty_label=_("any")
    )
    persona = django_filters.ModelChoiceFilter(
        queryset=Persona.objects.all(), method="filter_persona", label=_("Persona"), empty_label=_("any")
    )
    o = django_filters.OrderingFilter(
        fields=(
            ("last_name", "name"),
            ("organization__name", "organization"),
            ("job_title", "job_title"),
            ("decision_role", "decision_role"),
            ("owner__first_name", "owner"),
            ("open_deals", "open_deals"),
            ("last_activity", "last_activity"),
            ("created_at", "created"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = Contact
        fields = []

    def filter_q(self, queryset, name, value):
        return self.filter_text(queryset, ["first_name", "last_name", "email", "organization__name"], value)

    def filter_deal_stage(self, queryset, name, value):
        """Contacts with an open deal the user sees in that stage."""
        return queryset.filter(Exists(self._deals().filter(status=Deal.Status.OPEN, stage=value)))

    def _leads(self):
        return Lead.objects.filter(lead_selectors.lead_scope_q(self.user), contact=OuterRef("pk"))

    def filter_lead_source(self, queryset, name, value):
        """Contacts with a lead (one the user sees) from that source."""
        return queryset.filter(Exists(self._leads().filter(source=value)))

    def filter_persona(self, queryset, name, value):
        """Contacts with a lead (one the user sees) of that persona."""
        return queryset.filter(Exists(self._leads().filter(persona=value)))
