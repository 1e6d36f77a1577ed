"""The permission rules of DESIGN §5, role by role, at the level of the scoping helpers."""

import pytest

from accounts import scoping
from deals.models import Deal
from tests import factories


@pytest.fixture
def deals(rep, teammate, outsider, manager):
    return {
        "rep": factories.DealFactory(owner=rep),
        "teammate": factories.DealFactory(owner=teammate),
        "outsider": factories.DealFactory(owner=outsider),
        "manager": factories.DealFactory(owner=manager),
    }


def visible(user):
    return set(Deal.objects.filter(scoping.visible_owner_q(user)).values_list("title", flat=True))


def changeable(user):
    return set(Deal.objects.filter(scoping.changeable_owner_q(user)).values_list("title", flat=True))


def titles(deals, *keys):
    return {deals[k].title for k in keys}


def test_rep_sees_own_and_team_deals(rep, deals):
    assert visible(rep) == titles(deals, "rep", "teammate")


def test_rep_changes_only_own_deals(rep, deals):
    assert changeable(rep) == titles(deals, "rep")
    assert scoping.can_change_owned(rep, deals["rep"].owner)
    assert not scoping.can_change_owned(rep, deals["teammate"].owner)
    assert scoping.can_view_owned(rep, deals["teammate"].owner)
    assert not scoping.can_view_owned(rep, deals["outsider"].owner)


def test_rep_without_team_sees_only_own(db):
    loner = factories.UserFactory(username="loner")
    mine = factories.DealFactory(owner=loner)
    factories.DealFactory()
    assert visible(loner) == {mine.title}


def test_manager_sees_and_changes_managed_teams_and_own(manager, deals):
    assert visible(manager) == titles(deals, "rep", "teammate", "manager")
    assert changeable(manager) == titles(deals, "rep", "teammate", "manager")
    assert not scoping.can_view_owned(manager, deals["outsider"].owner)


def test_manager_of_two_teams_sees_both(manager, team_south, deals):
    team_south.managers.add(manager)
    manager = type(manager).objects.get(pk=manager.pk)  # drop the memoised team ids
    assert visible(manager) == set(titles(deals, "rep", "teammate", "outsider", "manager"))


def test_admin_sees_and_changes_everything(admin, deals):
    assert visible(admin) == set(titles(deals, *deals))
    assert changeable(admin) == set(titles(deals, *deals))
    assert scoping.can_change_owned(admin, deals["outsider"].owner)


def test_superuser_without_admin_role_is_admin(db):
    root = factories.UserFactory(username="root", is_superuser=True)
    assert scoping.is_admin(root)


def test_reassign_rules(rep, teammate, outsider, manager, admin):
    assert not scoping.can_reassign(rep, current_owner=rep, new_owner=teammate)
    assert scoping.can_reassign(manager, current_owner=rep, new_owner=teammate)
    assert not scoping.can_reassign(manager, current_owner=rep, new_owner=outsider)
    assert not scoping.can_reassign(manager, current_owner=outsider, new_owner=rep)
    assert scoping.can_reassign(admin, current_owner=rep, new_owner=outsider)


def test_reassign_to_inactive_user_is_refused(manager, rep, teammate):
    teammate.is_active = False
    assert not scoping.can_reassign(manager, current_owner=rep, new_owner=teammate)


def test_assignable_and_visible_users(rep, teammate, outsider, manager, admin):
    assert set(scoping.assignable_users(rep)) == {rep}
    assert set(scoping.assignable_users(manager)) == {manager, rep, teammate}
    assert set(scoping.assignable_users(admin)) == {rep, teammate, outsider, manager, admin}
    assert set(scoping.visible_users(rep)) == {rep, teammate}
    assert set(scoping.visible_users(outsider)) == {outsider}


def test_unassigned_records_are_visible_to_admins_only(rep, manager, admin):
    assert not scoping.can_view_owned(rep, None)
    assert not scoping.can_view_owned(manager, None)
    assert scoping.can_view_owned(admin, None)


def test_anonymous_sees_nothing(deals):
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
