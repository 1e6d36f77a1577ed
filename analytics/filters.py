"""The dashboard's filters: one django-filter FilterSet whose values live in the URL.

The FilterSet filters the viewer's scoped deals (applied inside the analytics.selectors package);
its cleaned values also pick the matching snapshot rows, leads and activities, so that
every chart answers the same question.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import Team
from customers.models import Industry, Region, SizeBand
from deals.models import Deal, DealProduct, Pipeline, Product, Stage
from leads.models import Lead, Persona
from pipeline_crm import widgets

PERIOD_CHOICES = [
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("180", _("Last 6 months")),
    ("365", _("Last 12 months")),
]
DEFAULT_PERIOD = "90"


def local_midnight(day):
    """The aware datetime at which `day` starts in the installation's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    """[start, end) in the installation's time zone, as dates (inclusive first/last day) and datetimes."""

    first_day: date
    last_day: date

    @classmethod
    def last_days(cls, days, *, today=None):
        today = today or timezone.localdate()
        return cls(first_day=today - timedelta(days=days - 1), last_day=today)

    @property
    def start(self):
        return local_midnight(self.first_day)

    @property
    def end(self):
        return local_midnight(self.last_day + timedelta(days=1))

    @property
    def days(self):
        return (self.last_day - self.first_day).days + 1


MAX_RANGE_DAYS = 3 * 366


class DashboardFilterForm(forms.Form):
    """A custom range needs both ends, in order, and at most three years (a bad range answers 400)."""

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError(_("Give both ends of the date range, or neither."))
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The range ends before it starts."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Choose a range of at most three years."))
        return data


class DashboardFilter(django_filters.FilterSet):
    period = django_filters.ChoiceFilter(
        label=_("Period"), choices=PERIOD_CHOICES, empty_label=None, method="filter_nothing"
    )
    start = django_filters.DateFilter(label=_("From"), method="filter_nothing", widget=widgets.DateInput)
    end = django_filters.DateFilter(label=_("To"), method="filter_nothing", widget=widgets.DateInput)
    pipeline = django_filters.ModelChoiceFilter(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True), empty_label=_("All pipelines")
    )
    stage = django_filters.ModelChoiceFilter(
        label=_("Stage"),
        queryset=Stage.objects.filter(pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__order", "pipeline_id", "order"),
        empty_label=_("All stages"),
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), queryset=Team.objects.none(), field_name="owner__team", empty_label=_("All teams")
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=None, empty_label=_("All owners"))
    region = django_filters.ChoiceFilter(
        label=_("Region"), choices=Region.choices, field_name="organization__region", empty_label=_("All regions")
    )
    product = django_filters.ModelChoiceFilter(
        label=_("Product"), queryset=Product.objects.all(), method="filter_product", empty_label=_("All products")
    )
    industry = django_filters.ChoiceFilter(
        label=_("Industry"),
        choices=Industry.choices,
        field_name="organization__industry",
        empty_label=_("All industries"),
    )
    size = django_filters.ChoiceFilter(
        label=_("Company size"),
        choices=SizeBand.choices,
        field_name="organization__size_band",
        empty_label=_("All sizes"),
    )
    persona = django_filters.ModelChoiceFilter(
        label=_("Persona"),
        queryset=Persona.objects.order_by("name"),
        field_name="source_lead__persona",
        empty_label=_("All personas"),
    )
    source = django_filters.ChoiceFilter(
        label=_("Lead source"),
        choices=Lead.Source.choices,
        field_name="source_lead__source",
        empty_label=_("All sources"),
    )

    class Meta:
        model = Deal
        fields = []
        form = DashboardFilterForm

    def __init__(self, data=None, *args, user, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("period"):
            data["period"] = DEFAULT_PERIOD
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.filters["owner"].queryset = scoping.visible_users(user).filter(is_active=True)
        if scoping.is_admin(user):
            teams = Team.objects.all()
        elif user.role == "manager":
            teams = Team.objects.filter(pk__in=scoping.managed_team_ids(user))
        else:
            teams = Team.objects.none()
        self.filters["team"].queryset = teams
        for dashboard_filter in self.filters.values():
            if isinstance(dashboard_filter, django_filters.ChoiceFilter):  # model choices too
                dashboard_filter.extra["widget"] = widgets.Select  # drawn in Python, as on the board
        if dashboard_is_own_only(user):
            # A rep's dashboard shows their own numbers: no owner or team to pick.
            del self.filters["owner"]
            del self.filters["team"]
        # Stages and personas are offered from the cache (choice_lists): the widget draws the
        # cached list; the field's queryset still checks a chosen value.
        for name in CACHED_CHOICES:
            field = self.form.fields[name]
            field.widget.choices = CachedChoices(name, empty_label=field.empty_label)

    def filter_nothing(self, queryset, name, value):
        return queryset  # the period bounds each metric's own events (see selectors)

    def filter_product(self, queryset, name, value):
        # Exists, not a join: a deal that sells the product twice still counts once.
        return queryset.filter(Exists(DealProduct.objects.filter(deal=OuterRef("pk"), product=value)))

    def criteria(self):
        """The cleaned values as one object the selectors read (call after is_valid())."""
        data = self.form.cleaned_data
        if data.get("start") and data.get("end"):
            period = Period(first_day=data["start"], last_day=data["end"])
        else:
            period = Period.last_days(int(data.get("period") or DEFAULT_PERIOD))
        return Criteria(
            period=period,
            custom_range=bool(data.get("start") and data.get("end")),
            pipeline=data.get("pipeline"),
            team=data.get("team"),
            owner=data.get("owner"),
            region=data.get("region") or "",
            product=data.get("product"),
            source=data.get("source") or "",
            stage=data.get("stage"),
            industry=data.get("industry") or "",
            size=data.get("size") or "",
            persona=data.get("persona"),
        )


@dataclass(frozen=True)
class Criteria:
    period: Period
    pipeline: Pipeline | None = None
    team: Team | None = None
    owner: object = None
    region: str = ""
    product: Product | None = None
    source: str = ""
    stage: Stage | None = None
    industry: str = ""
    size: str = ""
    persona: Persona | None = None
    custom_range: bool = False

    def query_items(self):
        """The non-empty filter values as (name, value) pairs, for shareable URLs."""
        if self.custom_range:
            items = [("start", self.period.first_day.isoformat()), ("end", self.period.last_day.isoformat())]
        else:
            items = [("period", str(self.period.days))]
        for name in ("pipeline", "stage", "team", "owner", "product", "persona"):
            value = getattr(self, name)
            if value is not None:
                items.append((name, str(value.pk)))
        for name in ("region", "industry", "size", "source"):
            if getattr(self, name):
                items.append((name, getattr(self, name)))
        return items

    @property
    def deal_filtered(self):
        """A filter on the deals' own attributes is set (not only scope, owner, team or period)."""
        return bool(
            self.pipeline or self.stage or self.product or self.region or self.source
            or self.industry or self.size or self.persona
        )  # fmt: skip

    @property
    def lead_filtered(self):
        """A filter that narrows leads beyond scope and owner is set (region, source, industry, …)."""
        return bool(self.region or self.source or self.industry or self.size or self.persona or self.stage)


# The choices of these filters are cached: every dashboard page would otherwise read the stages and
# the personas (two queries) for the filter bar. Their labels are data (names an admin types), the
# same in every language.
CACHED_CHOICES = ("stage", "persona")
CHOICES_CACHE_KEY = "analytics:dashboard:filter-choices"


def choice_lists():
    """{"stage": [(pk, "Pipeline · Stage"), …], "persona": [(pk, name), …]} from the cache; on a
    miss two queries, kept until a pipeline, stage or persona changes (forget_choice_lists)."""
    lists = cache.get(CHOICES_CACHE_KEY)
    if lists is None:
        lists = {
            "stage": [(stage.pk, stage_label(stage)) for stage in DashboardFilter.base_filters["stage"].queryset.all()],
            "persona": list(DashboardFilter.base_filters["persona"].queryset.values_list("pk", "name")),
        }
        cache.set(CHOICES_CACHE_KEY, lists, timeout=None)
    return lists


class CachedChoices(BaseChoiceIterator):
    """The choices of one cached filter, read when the widget is drawn (a partial that does not
    draw the filter bar reads nothing)."""

    def __init__(self, name, *, empty_label):
        self.name, self.empty_label = name, empty_label

    def __iter__(self):
        yield "", self.empty_label
        yield from choice_lists()[self.name]


def forget_choice_lists(**_kwargs):
    """A pipeline, stage or persona was saved or deleted (connected in AnalyticsConfig.ready).

    Forgotten now and again after the commit: a page drawn in between, while the change was not
    yet visible to other connections, may have cached the old lists."""
    cache.delete(CHOICES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CHOICES_CACHE_KEY))


def stage_label(stage):
    return f"{stage.pipeline.name} · {stage.name}"


def dashboard_is_own_only(user):
    """METRICS: a rep sees only their own deals' numbers; managers and admins see their scope."""
    return not scoping.is_admin(user) and user.role != "manager"
