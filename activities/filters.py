"""FilterSets applied inside the activity selectors."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import User
from activities.models import Kind


class ActivityFilter(django_filters.FilterSet):
    """My activities: by kind; managers and admins also by the deal's or lead's owner."""

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("All kinds"))
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=User.objects.none(), method="filter_owner", empty_label=_("My activities")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["owner"].queryset = scoping.visible_users(user).filter(is_active=True).order_by("username")

    @property
    def owner_filter_enabled(self):
        return scoping.is_admin(self.user) or self.user.role == User.Role.MANAGER

    def filter_owner(self, queryset, name, value):
        if not value or not self.owner_filter_enabled:
            return queryset
        return queryset.filter(Q(deal__owner=value) | Q(lead__owner=value))
