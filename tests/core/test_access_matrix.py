"""The access-control matrix: every URL pattern of the product × every role, generated from
the URLconf, so that a new view cannot escape it.

Roles (DESIGN §5, `accounts/scoping.py`): an anonymous visitor; the owner rep (alice) of the
records below; her teammate (bob, same team); a rep of another team (charlie); the manager
of the owner's team (maria); a manager of another team (mark); an admin (ada, superuser).

For each pattern, EXPECTATIONS (tests/core/access_expectations.py) says how to build its arguments from the cast's records and
what each role gets for GET and for POST (with a CSRF token), and where the product answers
htmx differently, for the htmx request too. Every POST is also sent without a CSRF token,
which answers 403 for every role. The codes follow DESIGN §5: out of scope → 404, visible
but not changeable → 403, anonymous → the login page, the public web form open to all.

The Django admin is checked generically (`admin_expectation`): it is staff-only, so every
admin URL sends anonymous visitors, reps and managers to a login page (the admin's login
page itself answers 200 and tells a signed-in user that they lack access; its logout sends
them back to the index); the admin gets every page its ModelAdmin permits (200) and a 403
for what it refuses (adding history rows, for instance). Only the admin's own GET is sent
to the admin's pages: a superuser may do everything there by design.

The cast is built once per module inside a transaction that is rolled back at the end;
each test runs in a savepoint of its own, so the writes a test makes never reach the next.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin as django_admin
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import cache
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import SavedView, User
from accounts.services import rate_limit_key
from activities.models import DigestLog, OutgoingEmail, RuleFiring
from analytics.models import DailySnapshot, Goal
from api import tokens as api_tokens
from customers.models import MergeRecord, Tag
from deals.models import CloseDateChange, Deal, PriceList
from leads.models import Lead, LeadImport, LeadStatusChange, Persona, ScoringSettings, WebFormSettings
from lists.models import BulkAction
from mail.models import Mailbox
from nurturing.models import ConsentConfirmation, Send, Suppression
from quotes.models import CompanyProfile, DiscountPolicy, PipelineQuoteSettings, Quote
from tests import factories
from tests.core.access_expectations import (
    ADMIN_ACTIONS,
    ADMIN_LOGIN,
    ADMIN_SPECIAL,
    EITHER_LOGIN,
    EXPECTATIONS,
    KNOWN_GAPS,
    LOGIN,
    ROLES,
    SECRET,
)

# --- the cast -------------------------------------------------------------------------------


@dataclass
class Cast:
    users: dict
    deal: Deal
    won_deal: Deal
    lead: Lead
    activity: object
    lead_activity: object
    notification: object
    lead_import: LeadImport
    # The owner's e-mails: one linked to her deal (shared), one linked to nothing (private).
    linked_message: object = None
    unlinked_message: object = None
    send: object = None  # a marketing e-mail to the lead (its unsubscribe and preferences links)
    confirmation: object = None  # the lead's double opt-in confirmation
    goal: object = None  # the owner's goal for this month
    admin_objects: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)

    def __getattr__(self, name):  # cast.owner, cast.teammate, …
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


def _matrix_webhook(owner):
    from events.models import OutboxEvent
    from webhooks import services
    from webhooks.models import Attempt, Delivery

    subscription, _secret = services.subscription_create(
        actor=owner, url="https://93.184.216.34/matrix", events=["deal.won"], description="Matrix webhook"
    )
    event = OutboxEvent.objects.create(type="deal.won", subject_type="deal", subject_id=0)
    delivery = Delivery.objects.create(subscription=subscription, event=event, attempts=1)
    Attempt.objects.create(delivery=delivery, status_code=500, response_ms=10)


def build_cast():
    north, south = factories.TeamFactory(name="North"), factories.TeamFactory(name="South")
    owner = factories.UserFactory(username="alice", team=north)
    teammate = factories.UserFactory(username="bob", team=north)
    outsider = factories.UserFactory(username="charlie", team=south)
    manager = factories.UserFactory(username="maria", role=User.Role.MANAGER)
    manager_south = factories.UserFactory(username="mark", role=User.Role.MANAGER)
    north.managers.add(manager)
    south.managers.add(manager_south)
    admin = factories.UserFactory(username="ada", role=User.Role.ADMIN, is_staff=True, is_superuser=True)
    users = {
        "owner": owner,
        "teammate": teammate,
        "outsider": outsider,
        "manager": manager,
        "manager_south": manager_south,
        "admin": admin,
    }
    deal = factories.DealFactory(owner=owner, title=SECRET)
    won_deal = factories.DealFactory(owner=owner, title=SECRET, status=Deal.Status.WON, won_at=timezone.now())
    lead = factories.LeadFactory(owner=owner, company_name=SECRET, status=Lead.Status.QUALIFIED)
    activity = factories.ActivityFactory(deal=deal, subject=SECRET)
    lead_activity = factories.ActivityFactory(deal=None, lead=lead, subject=SECRET)
    notification = factories.NotificationFactory(user=owner, deal=deal, message=SECRET)
    lead_import = LeadImport.objects.create(created_by=owner, file_name="matrix.csv")

    # One row of every model the admin shows, so that its change, history and delete pages exist.
    rule = factories.FollowUpRuleFactory()
    now = timezone.now()
    # The deal's contact: deleting it is refused (a deal points at it), so the matrix's POSTs leave it.
    contact = factories.ContactFactory(organization=deal.organization)
    Deal.objects.filter(pk=deal.pk).update(contact=contact)
    # A second contact (of the won deal's organization) to merge with it, and a merge to look at.
    factories.ContactFactory(organization=won_deal.organization)
    MergeRecord.objects.create(kind="organization", survivor_id=deal.organization_id, merged_ids=[0], actor=owner)
    deal.line_items.create(description="Matrix line", unit_price=1)
    deal.objections.create(stage=deal.stage, kind="price", note="Matrix objection")
    product = factories.ProductFactory()
    PriceList.objects.create(name="Matrix prices").prices.create(product=product, unit_price=1)
    factories.LostReasonFactory()
    Persona.objects.create(name="Matrix persona")
    Group.objects.create(name="Matrix group")
    ScoringSettings.get_solo()
    WebFormSettings.get_solo()
    LeadStatusChange.objects.create(lead=lead, from_status="new", to_status="qualified", actor=owner)
    CloseDateChange.objects.create(deal=deal, new_date=now.date(), actor=owner)
    OutgoingEmail.objects.create(key="matrix", user=owner, to="alice@example.com", subject="Hi", body="Hi")
    DigestLog.objects.create(user=owner, date=now.date())
    RuleFiring.objects.create(rule=rule, occurrence="matrix", deal=deal, occurred_at=now)
    DailySnapshot.objects.create(
        day=now.date() - timedelta(days=1), pipeline=deal.pipeline, stage=deal.stage, owner=owner
    )
    # Lists: a tag, the owner's view shared with her team, her last bulk action (of no rows).
    Tag.objects.create(name="Matrix tag")
    SavedView.objects.create(owner=owner, list_key="deals", name="Matrix view", query="status=all", shared=True)
    BulkAction.objects.create(actor=owner, list_key="deals", kind="tag", target="Matrix tag")
    # Quotes: the company profile, a discount policy, a pipeline's quote settings, a draft quote.
    CompanyProfile.current()
    DiscountPolicy.objects.create(team=None)
    PipelineQuoteSettings.objects.create(pipeline=deal.pipeline)
    Quote.objects.create(deal=deal, title=SECRET, valid_until=now.date())
    # Mail: the shared BCC dropbox (the admin's mailbox page).
    Mailbox.objects.create(kind=Mailbox.Kind.DROPBOX, email_address="dropbox@example.com")
    # Mail: the owner's message linked to her deal, and one from an unknown sender that only she
    # may read; the deal's contact wrote both (the second before the deal, picked by nobody yet).
    linked_message, unlinked_message = _matrix_messages(owner, deal, contact)
    # Nurturing: an active sequence (its numbers page) and lead source costs (their admin pages).
    from leads.models import Campaign, SourceCost
    from nurturing.models import Sequence

    Sequence.objects.create(name="Matrix sequence", owner=manager, status=Sequence.Status.ACTIVE)
    Campaign.objects.create(source=Lead.Source.TRADE_FAIR, name="Matrix fair", cost=1)
    SourceCost.objects.create(source=Lead.Source.TRADE_FAIR, month=now.date().replace(day=1), cost=1)
    # Login throttling's records (django-axes).
    access = {"username": "matrix", "ip_address": "192.0.2.1", "user_agent": "matrix", "http_accept": "*/*"}
    AccessAttempt.objects.create(
        **access, path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1
    )
    AccessFailureLog.objects.create(**access, path_info="/accounts/login/")
    AccessLog.objects.create(**access, path_info="/accounts/login/")
    # Nurturing: a marketing e-mail to the lead, its opt-in confirmation, a blocked address.
    send = Send.objects.create(lead=lead, address=lead.email.lower(), domain="example.com")
    confirmation = ConsentConfirmation.objects.create(lead=lead, address=lead.email.lower())
    Suppression.objects.create(address="blocked@example.com", reason=Suppression.Reason.MANUAL)
    # Goals: the owner's goal for this month (its edit and delete pages).
    goal = Goal.objects.create(
        user=owner,
        metric=Goal.Metric.WON_DEALS,
        period=Goal.Period.MONTH,
        period_start=now.date().replace(day=1),
        target=3,
    )
    # API: the owner's personal access token (its revoke page; the admin's token pages).
    api_tokens.token_create(user=owner, name="Matrix token")
    # Webhooks: the owner's subscription with one delivery and its attempt (their admin pages).
    _matrix_webhook(owner)
    admin_objects = {model: model._default_manager.order_by("pk").first() for model in django_admin.site._registry}
    sessions = {role: _session_for(user) for role, user in users.items()}
    return Cast(
        sessions=sessions,
        users=users,
        deal=deal,
        won_deal=won_deal,
        lead=lead,
        activity=activity,
        lead_activity=lead_activity,
        notification=notification,
        lead_import=lead_import,
        admin_objects=admin_objects,
        linked_message=linked_message,
        unlinked_message=unlinked_message,
        send=send,
        confirmation=confirmation,
        goal=goal,
    )


def _matrix_messages(owner, deal, contact):
    """The owner's two e-mails (tests/mail/factories.py), stored and linked as the sync does; the
    unlinked one waits for a deal choice between the deal and a second open deal of its contact."""
    from mail import linking
    from tests.mail.factories import stored_message

    contact.email = "matrix.contact@example.com"
    contact.save(update_fields=["email"])
    linked = linking.link_message(
        stored_message(owner=owner, sender=contact.email, to=[owner.email], subject=SECRET, text=SECRET)
    )
    assert linked.deal_id == deal.pk and linked.shared
    factories.DealFactory(owner=owner, organization=deal.organization, contact=contact, title=SECRET)
    unlinked = linking.link_message(
        stored_message(
            owner=owner,
            sender={"name": "Frieda Fremd", "address": "frieda@unknown.example"},
            to=[owner.email],
            cc=[contact.email],
            subject=SECRET,
            text=SECRET,
            html=f"<p>{SECRET}</p>",
            attachments=[("matrix.txt", "text/plain", SECRET.encode())],
        )
    )
    assert unlinked.deal_id is None and unlinked.thread.needs_deal_choice and not unlinked.shared
    return linked, unlinked


def _session_for(user):
    """A signed-in session, made once: cheaper than a login per request."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.UserWithTeamBackend"  # the one that loads users
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


@pytest.fixture(scope="module")
def cast(django_db_setup, django_db_blocker):
    """The cast and their records, once per module, rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_cast()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def admin_expectation(route, cast):
    """(kwargs, {role: {method: code}}) for an admin URL, or None if it is unknown."""
    name, model = route.name, route.model
    admin_codes = ADMIN_SPECIAL.get(name)
    kwargs = {}
    if model is not None:
        obj = cast.admin_objects[model]
        kwargs["object_id"] = obj.pk
        action = name.rsplit("_", 1)[-1]
        if admin_codes is None and action in ADMIN_ACTIONS:
            model_admin = django_admin.site._registry[model]
            request = RequestFactory().get("/")
            request.user = cast.admin
            check = getattr(model_admin, ADMIN_ACTIONS[action])
            allowed = check(request) if action == "add" else check(request, obj)
            admin_codes = {"GET": 200 if allowed else 403}
    if admin_codes is None:
        return None
    kwargs |= {
        "content_type_id": ContentType.objects.get_for_model(Deal).pk,
        "object_id": kwargs.get("object_id", cast.deal.pk),
        "id": cast.owner.pk,
        "app_label": "deals",
        "url": "nope/",
    }
    if name == "admin:login":  # the form (telling a signed-in user that they lack access)
        refused = {"GET": 200, "POST": 200}
    elif name == "admin:logout":  # back to the index, which sends them to the admin's login
        refused = {"GET": 302, "POST": 302}
    else:
        refused = {"GET": ADMIN_LOGIN, "POST": ADMIN_LOGIN}
    expected = dict.fromkeys(ROLES[1:-1], refused)
    # Anonymous visitors meet the admin's login (site pages) or, first, the product's
    # login-required middleware (model pages): either login page will do.
    anonymous = 200 if name == "admin:login" else EITHER_LOGIN
    expected["anonymous"] = {"GET": anonymous, "POST": anonymous}
    expected["admin"] = admin_codes
    return kwargs, expected


# --- the URLconf ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # the full route, as written in the URLconf
    name: str
    view: str
    model: type | None = None

    def __str__(self):
        return self.pattern

    @property
    def is_admin(self):
        return self.pattern.startswith("admin/")


def _admin_model(pattern):
    for model in django_admin.site._registry:
        if pattern.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else ""
            if not name and pattern.startswith("admin/"):
                name = "admin:<catch-all>" if "(?P<url>" in pattern else "admin:<object redirect>"
            view = f"{entry.callback.__module__}.{getattr(entry.callback, '__qualname__', entry.callback)}"
            yield Route(pattern, name, view, _admin_model(pattern) if pattern.startswith("admin/") else None)


# The API's operations answer tokens and problem+json, not the login page: their own matrix
# walks them (tests/api/test_access_matrix.py).
API_PREFIX = "api/v1/"
ROUTES = [route for route in walk(get_resolver().url_patterns) if not route.pattern.startswith(API_PREFIX)]


def fill(pattern, kwargs):
    """The URL of a route with its arguments filled in (path converters and regex groups)."""

    def value(match):
        name = match.group("name")
        if name not in kwargs:
            raise KeyError(f"{pattern}: no value for <{name}>; give the entry a kwargs=lambda cast: {{…}}")
        return str(kwargs[name])

    url = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, pattern)
    url = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, url)
    return "/" + url.replace("^", "").replace("$", "")


# --- the tests ------------------------------------------------------------------------------


def _missing_message(route):
    return (
        f"No access expectation for the URL pattern {route.pattern!r} (view {route.view}).\n"
        "Add an entry to EXPECTATIONS in tests/core/access_expectations.py saying how to build its\n"
        "arguments from the cast and what each role gets, for example:\n"
        f"    {route.pattern!r}: Expect(\n"
        "        kwargs=lambda cast: {'deal_id': cast.deal.pk},\n"
        "        get=see(200),        # everyone(…), public(…), see(…), change(…), own(…), or a dict per role\n"
        "        post=change(302),    # not_allowed() for a GET-only view\n"
        "    ),"
    )


def _outcome(response):
    # A plain redirect, or for htmx the page-wide HX-Redirect (accounts.middleware).
    location = response.get("Location", "") or response.get("HX-Redirect", "")
    if response.status_code in (200, 302) and location.startswith("/accounts/login/"):
        return LOGIN
    if response.status_code == 302 and location.startswith("/admin/login/"):
        return ADMIN_LOGIN
    return response.status_code


def _client(role, cast, *, csrf):
    client = Client(enforce_csrf_checks=csrf)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = cast.sessions[role]
    return client


def _requests(route, role, cast):
    """(label, method, url, data, headers, expected) for one route and role."""
    if route.is_admin:
        found = admin_expectation(route, cast)
        if found is None:
            pytest.fail(
                f"No expectation for the admin URL {route.pattern!r} (name {route.name!r}, view {route.view}).\n"
                "Add what the admin gets to ADMIN_SPECIAL in tests/core/access_expectations.py."
            )
        kwargs, expected = found
        url = fill(route.pattern, kwargs)
        for method, code in expected[role].items():
            yield method, method, url, {}, {}, code
        return
    spec = EXPECTATIONS.get(route.pattern)
    if spec is None:
        pytest.fail(_missing_message(route))
    url = fill(route.pattern, spec.kwargs(cast) if spec.kwargs else {})
    query = spec.query(cast) if spec.query else {}
    data = spec.data(cast) if spec.data else {}
    yield "GET", "GET", url, query, {}, spec.get[role]
    yield "POST", "POST", url, data, {}, spec.post[role]
    if spec.htmx_post is not None:
        htmx_data = spec.htmx_data(cast) if spec.htmx_data else data
        yield "POST (htmx)", "POST", url, htmx_data, {"HX-Request": "true"}, spec.htmx_post[role]


@pytest.fixture(scope="module", autouse=True)
def _files_in_memory():
    # Quotes store their PDF: the matrix writes no files to disk.
    storages = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="module", autouse=True)
def _generous_webform_limit():
    # The web form counts every POST per IP; the matrix posts to it once per role. The quote
    # link counts every unknown link per IP; the matrix opens one per role and method.
    with override_settings(LEADS_WEBFORM_RATE_LIMIT=10_000, CRM_QUOTE_LINK_MAX_MISSES=10_000):
        yield
    cache.delete(rate_limit_key("quote-link-miss", "127.0.0.1"))  # later modules start afresh


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_url_answers_each_role_as_designed(cast, db, route, role):
    failures = []
    gaps = []
    for label, method, url, data, headers, expected in _requests(route, role, cast):
        client = _client(role, cast, csrf=False)
        send = client.get if method == "GET" else client.post
        with transaction.atomic():  # each request sees the cast as built (a win must not spoil the next one)
            response = send(url, data, headers=headers)
            transaction.set_rollback(True)
        got = _outcome(response)
        gap = KNOWN_GAPS.get((route.pattern, role, label))
        if not _matches(got, expected):
            if gap:
                gaps.append(gap)
                continue
            failures.append(f"{label} {url} as {role}: expected {expected}, got {got} {_detail(response)}")
        elif gap:
            failures.append(f"{label} {url} as {role} now answers {expected}: delete its KNOWN_GAPS entry ({gap})")
        if got == 404 and not response.streaming and SECRET in response.content.decode(errors="replace"):
            failures.append(f"{label} {url} as {role}: the 404 shows the record it hides")
    # Every unsafe request without a CSRF token is refused, whoever sends it. (In the admin,
    # where it is the same wrapper for every page, as the admin: the one it could harm.) The
    # one exception is the RFC 8058 one-click unsubscribe, which mail clients send without one.
    spec = EXPECTATIONS.get(route.pattern)
    if spec is not None and spec.csrf_exempt:
        with transaction.atomic():
            bare = _client(role, cast, csrf=True).post(_first_url(route, role, cast), spec.data(cast))
            transaction.set_rollback(True)
        if not _matches(_outcome(bare), spec.post[role]):
            failures.append(
                f"One-click POST without a CSRF token as {role}: expected {spec.post[role]}, got {_outcome(bare)}"
            )
    elif not route.is_admin or role == "admin":
        bare = _client(role, cast, csrf=True).post(_first_url(route, role, cast), {})
        if bare.status_code != 403:
            failures.append(f"POST without a CSRF token as {role}: expected 403, got {_outcome(bare)}")
    assert not failures, "\n".join(failures)
    if gaps:
        pytest.xfail("; ".join(gaps))


def _matches(got, expected):
    return got in expected if isinstance(expected, frozenset) else got == expected


def _first_url(route, role, cast):
    return next(_requests(route, role, cast))[2]


def _detail(response):
    location = response.get("Location")
    if location:
        return f"(to {location})"
    if response.streaming:
        return ""
    return f"({response.content[:120]!r})"


def test_every_expectation_names_a_url_pattern():
    patterns = {route.pattern for route in ROUTES}
    stale = sorted(set(EXPECTATIONS) - patterns)
    assert not stale, f"EXPECTATIONS has entries for URL patterns that no longer exist: {stale}"
    stale_gaps = sorted({key[0] for key in KNOWN_GAPS} - patterns)
    assert not stale_gaps, f"KNOWN_GAPS names URL patterns that no longer exist: {stale_gaps}"


def test_the_walk_reaches_every_part_of_the_urlconf():
    patterns = {route.pattern for route in ROUTES}
    assert {"board/", "deals/<int:deal_id>/move/", "forms/lead/", "i18n/setlang/", "admin/"} <= patterns
    assert any(route.model is Deal for route in ROUTES)  # the admin's model pages are in
