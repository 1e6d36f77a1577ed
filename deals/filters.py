"""The board's FilterSet: one set of filters drives the cards and the column totals."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from customers.models import DecisionRole, Industry, Region, SizeBand, Tag
from deals import quote_signal
from deals.models import Deal, DealProduct, Product
from leads.models import Lead, Persona
from pipeline_crm import widgets

OWNER_ME = "me"
OWNER_TEAM = "team"
STATUS_ALL = "all"
QUOTES_EXPIRING = "expiring"
MAX_ID = 2**63 - 1


class BoardFilter(django_filters.FilterSet):
    """Filters kept in the URL. `status` defaults to open deals; `owner` knows "me" and "my team".

    Building the form costs one query (the owner choices); the product choices are read
    when the form renders.
    """

    q = django_filters.CharFilter(method="filter_text", label=_("Search"))
    owner = django_filters.ChoiceFilter(method="filter_owner", label=_("Owner"), empty_label=_("Everyone"))
    region = django_filters.ChoiceFilter(
        field_name="organization__region", choices=Region.choices, label=_("Region"), empty_label=_("All regions")
    )
    # Segments, as on the lead list: the deal's organization, its contact and the lead it came from.
    industry = django_filters.ChoiceFilter(
        field_name="organization__industry",
        choices=Industry.choices,
        label=_("Industry"),
        empty_label=_("All industries"),
    )
    size = django_filters.ChoiceFilter(
        field_name="organization__size_band",
        choices=SizeBand.choices,
        label=_("Company size"),
        empty_label=_("All sizes"),
    )
    decision_role = django_filters.ChoiceFilter(
        field_name="contact__decision_role",
        choices=DecisionRole.choices,
        label=_("Decision role"),
        empty_label=_("All roles"),
    )
    persona = django_filters.ModelChoiceFilter(
        field_name="source_lead__persona",
        queryset=Persona.objects.all(),
        label=_("Persona"),
        empty_label=_("All personas"),
    )
    source = django_filters.ChoiceFilter(
        field_name="source_lead__source",
        choices=Lead.Source.choices,
        label=_("Lead source"),
        empty_label=_("All sources"),
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.filter(is_active=True),
        method="filter_product",
        label=_("Product"),
        empty_label=_("All products"),
    )
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.all(), method="filter_tag", label=_("Tag"), empty_label=_("All tags")
    )
    quote = django_filters.ChoiceFilter(
        method="filter_quote",
        choices=[(QUOTES_EXPIRING, _("Quotes expiring in 7 days"))],
        label=_("Quotes"),
        empty_label=_("Any quotes"),
    )
    close_from = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="gte", label=_("Closing from"))
    close_to = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="lte", label=_("Closing until"))
    status = django_filters.ChoiceFilter(
        method="filter_status",
        choices=[*Deal.Status.choices, (STATUS_ALL, _("All"))],
        label=_("Status"),
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = Deal
        fields = []

    def __init__(self, data=None, *args, user, with_choices=True, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = Deal.Status.OPEN
        super().__init__(data, *args, **kwargs)
        self.user = user
        if with_choices:
            people = [(str(u.pk), str(u)) for u in scoping.visible_users(user).order_by("first_name", "username")]
        else:
            wanted = str(data.get("owner", ""))
            people = [(wanted, wanted)] if wanted.isdigit() else []
        self.filters["owner"].extra["choices"] = [(OWNER_ME, _("Me")), (OWNER_TEAM, _("My team")), *people]
        for name in ("close_from", "close_to"):
            self.filters[name].extra["widget"] = widgets.DateInput()
        for board_filter in self.filters.values():
            if isinstance(board_filter, django_filters.ChoiceFilter):  # model choices too
                board_filter.extra["widget"] = widgets.Select
        self.filters["q"].extra["widget"] = django_filters.widgets.forms.TextInput(
            attrs={"type": "search", "placeholder": _("Title or organization")}
        )

    @property
    def qs(self):
        # Invalid input (a bad date, an unknown owner) filters nothing rather than everything.
        if not self.is_bound or self.is_valid():
            return super().qs
        return self.queryset.none()

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(organization__name__icontains=value))

    def _my_team_ids(self):
        """ "My team": the user's own team and the teams they manage."""
        team_ids = set(scoping.managed_team_ids(self.user))
        if self.user.team_id:
            team_ids.add(self.user.team_id)
        return team_ids

    def filter_owner(self, queryset, name, value):
        if value == OWNER_ME:
            return queryset.filter(owner_id=self.user.pk)
        if value == OWNER_TEAM:
            return queryset.filter(Q(owner_id=self.user.pk) | Q(owner__team_id__in=self._my_team_ids()))
        if not str(value).isdigit() or int(value) > MAX_ID:
            return queryset.none()  # no such user (a number past any key would fail in the database)
        return queryset.filter(owner_id=value)

    def filter_product(self, queryset, name, value):
        return queryset.filter(Exists(DealProduct.objects.filter(deal=OuterRef("pk"), product=value)))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(Exists(Deal.tags.through.objects.filter(deal_id=OuterRef("pk"), tag=value)))

    def filter_quote(self, queryset, name, value):
        """A sent quote valid until a day from today to today + 7 (the installation's time zone),
        read through the reverse relation: deals does not import quotes."""
        if value != QUOTES_EXPIRING:
            return queryset
        return queryset.filter(quote_signal.expiring_quotes_exist())

    def filter_status(self, queryset, name, value):
        if value == STATUS_ALL:
            return queryset
        return queryset.filter(status=value)

    # Filters the nightly snapshots do not keep: with any of them the board cannot know how
    # many deals of this selection a stage used to hold (the pile-up baseline).
    NOT_IN_SNAPSHOTS = (
        "q",
        "region",
        "industry",
        "size",
        "decision_role",
        "persona",
        "source",
        "product",
        "tag",
        "quote",
        "close_from",
        "close_to",
    )

    @property
    def shows_open_deals(self):
        return self.data.get("status") == Deal.Status.OPEN

    def baseline_owner_q(self):
        """A Q over users: the owners whose deals this selection shows, for the pile-up
        baseline; None when the selection is not one the snapshots can reproduce."""
        if not self.shows_open_deals or any(self.data.get(key) for key in self.NOT_IN_SNAPSHOTS):
            return None
        if self.is_bound and not self.is_valid():
            return None
        owner = self.data.get("owner")
        visible = scoping.visible_user_q(self.user)
        if owner == OWNER_ME:
            return Q(pk=self.user.pk)
        if owner == OWNER_TEAM:
            return visible & (Q(pk=self.user.pk) | Q(team_id__in=self._my_team_ids()))
        if owner:
            return visible & Q(pk=owner)
        return visible

    def active_count(self):
        """How many filters differ from the defaults (shown on the filter toggle)."""
        data = self.data
        return sum(1 for key in ("owner", *self.NOT_IN_SNAPSHOTS) if data.get(key)) + (
            1 if data.get("status") != Deal.Status.OPEN else 0
        )
