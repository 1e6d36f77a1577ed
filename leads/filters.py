"""The lead list's filters: status, source, campaign, owner, segment, score, consent, last
activity, the stage of the deal converted from the lead, text search, and the sortable
columns. Applied inside selectors; the state lives in the URL.

Activities and deals sit above leads: their filters read them through the lead's reverse
relations (`lead.activities`, `lead.deal`) without importing those apps.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from customers.models import Consent, DecisionRole, Industry, Region, SizeBand, Tag
from leads.models import Lead, Persona, ScoringSettings

OPEN_STATUSES = [Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.NURTURING, Lead.Status.QUALIFIED]
BAND_CHOICES = [("hot", _("hot")), ("warm", _("warm")), ("cold", _("cold"))]
ACTIVITY_CHOICES = [
    ("7", _("in the last 7 days")),
    ("30", _("in the last 30 days")),
    ("90", _("in the last 90 days")),
    ("none90", _("none for 90 days")),
]


def _activity_model():
    return Lead._meta.get_field("activities").related_model


def _stage_model():
    return Lead._meta.get_field("deal").related_model._meta.get_field("stage").related_model


class StageChoiceField(forms.ModelChoiceField):
    """A stage named with its pipeline: two pipelines may both have a "Negotiation"."""

    def label_from_instance(self, obj):
        return f"{obj.pipeline.name} · {obj.name}"


class StageFilter(django_filters.ModelChoiceFilter):
    field_class = StageChoiceField

    def get_queryset(self, request):
        return _stage_model().objects.select_related("pipeline").order_by("pipeline__name", "pipeline_id", "order")


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=[("open", _("open (not converted or disqualified)")), *Lead.Status.choices],
        method="filter_status",
        label=_("Status"),
        empty_label=_("any"),
    )
    source = django_filters.ChoiceFilter(choices=Lead.Source.choices, label=_("Source"), empty_label=_("any"))
    campaign = django_filters.CharFilter(lookup_expr="icontains", label=_("Campaign / content"))
    owner = django_filters.ModelChoiceFilter(queryset=None, label=_("Owner"), empty_label=_("anyone"))
    unassigned = django_filters.BooleanFilter(
        field_name="owner",
        lookup_expr="isnull",
        label=_("Assignment"),
        widget=forms.Select(choices=[("", _("any")), ("true", _("unassigned only")), ("false", _("assigned"))]),
    )
    industry = django_filters.ChoiceFilter(choices=Industry.choices, label=_("Industry"), empty_label=_("any"))
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices, label=_("Company size"), empty_label=_("any"))
    region = django_filters.ChoiceFilter(choices=Region.choices, label=_("Region"), empty_label=_("any"))
    decision_role = django_filters.ChoiceFilter(
        choices=DecisionRole.choices, label=_("Decision role"), empty_label=_("any")
    )
    persona = django_filters.ModelChoiceFilter(queryset=Persona.objects.all(), label=_("Persona"), empty_label=_("any"))
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte", label=_("Score from"))
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte", label=_("Score to"))
    band = django_filters.ChoiceFilter(
        choices=BAND_CHOICES, method="filter_band", label=_("Band"), empty_label=_("any")
    )
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.all(), method="filter_tag", label=_("Tag"), empty_label=_("any")
    )
    email_consent = django_filters.ChoiceFilter(
        choices=Consent.choices, label=_("E-mail consent"), empty_label=_("any")
    )
    activity = django_filters.ChoiceFilter(
        choices=ACTIVITY_CHOICES, method="filter_activity", label=_("Last activity"), empty_label=_("any time")
    )
    deal_stage = StageFilter(method="filter_deal_stage", label=_("Stage of their deal"), empty_label=_("any"))
    o = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created"),
            ("score", "score"),
            ("last_name", "name"),
            ("company_name", "company"),
            ("status", "status"),
            ("source", "source"),
            ("last_touch_at", "last_touch"),
            ("owner__username", "owner"),
        ),
        label=_("Sort by"),
    )

    class Meta:
        model = Lead
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["owner"].queryset = scoping.visible_users(user).order_by("username")

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for term in value.split()[:5]:
            q &= (
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(email__icontains=term)
                | Q(company_name__icontains=term)
                | Q(campaign__icontains=term)
            )
        return queryset.filter(q)

    def filter_tag(self, queryset, name, value):
        return queryset.filter(Exists(Lead.tags.through.objects.filter(lead_id=OuterRef("pk"), tag=value)))

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_band(self, queryset, name, value):
        config = ScoringSettings.get_solo()
        if value == "hot":
            return queryset.filter(score__gte=config.hot_threshold)
        if value == "warm":
            return queryset.filter(score__gte=config.warm_threshold, score__lt=config.hot_threshold)
        if value == "cold":
            return queryset.filter(score__lt=config.warm_threshold)
        return queryset

    def filter_activity(self, queryset, name, value):
        """Done activities on the lead since N days (or none for 90 days)."""
        since = timezone.now() - timedelta(days=int(value.removeprefix("none")))
        recent = Exists(_activity_model().objects.filter(lead=OuterRef("pk"), done_at__gte=since))
        return queryset.filter(~recent if value.startswith("none") else recent)

    def filter_deal_stage(self, queryset, name, value):
        """Leads converted into a deal (one the user sees) that is in the stage now."""
        return queryset.filter(scoping.visible_owner_q(self.user, "deal__owner"), deal__stage=value)
