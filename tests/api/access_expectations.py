"""What each role gets from each API operation: the table of the API's access matrix
(tests/api/test_access_matrix.py walks `api.main.api`'s routers and fails for an operation
without a row here).

The rules are the pages' (DESIGN §5, tests/core/access_expectations.py): a record outside the
caller's scope is a 404, a record visible but not changeable is a 403, lists show only what
the caller may see. On top of the table, for every operation: no credentials → 401; a read
token on a write → 403 (the test checks both without a row saying so).

A row: OPERATIONS[(METHOD, path as the router declares it, under /api/v1)] = Op(
    url=lambda cast: the URL (path filled in, query string if wanted),
    body=lambda cast: the JSON body (writes), expected={role: status},
    listed=roles whose list contains the owner's record (list operations only),
    record=lambda cast: that record's id (default: the owner's deal)).
Adding a resource is a matter of adding its rows (and, if it needs one, a record to the cast).

Writes send a body valid for whoever may make the change, so that the access check is what
decides: a 2xx for those who may, 403 / 404 for the others. The codes are the pages' (the same
action on the page, tests/core/access_expectations.py), not whatever the API answers.
"""

from dataclasses import dataclass

from django.utils import timezone

ROLES = ("owner", "teammate", "outsider", "manager", "manager_south", "admin")
SEE = frozenset({"owner", "teammate", "manager", "admin"})  # who sees the owner's records
CHANGE = frozenset({"owner", "manager", "admin"})  # who may change them
ALL = frozenset(ROLES)


def everyone(code):
    return dict.fromkeys(ROLES, code)


def see(code):
    """A record of the owner: the owner, her team, the team's manager and the admin see it."""
    return {role: code if role in SEE else 404 for role in ROLES}


def admin_only(code):
    """Configuration kept by admins (the product catalogue): everyone else 403."""
    return {role: code if role == "admin" else 403 for role in ROLES}


def restorable(code):
    """The trash: who may restore the owner's record (who may change her records) finds it; the
    teammate does not (404, as anyone outside the scope)."""
    return {role: code if role in CHANGE else 404 for role in ROLES}


def change(code):
    """A change to the owner's record: the owner, the team's manager and the admin may; the
    teammate sees it but may not change it (403); outside the scope it does not exist (404)."""
    return {**see(code), "teammate": 403}


@dataclass(frozen=True)
class Op:
    url: object  # cast -> str
    expected: dict
    body: object = None  # cast -> dict
    listed: frozenset | None = None  # list operations: roles that find the record in the results
    record: object = lambda cast: cast.deal.pk  # cast -> the id a list should (or should not) contain
    public: bool = False  # answers without credentials (the schema)


def _next_stage(cast):
    return cast.deal.pipeline.stages.exclude(pk=cast.deal.stage_id).order_by("order").first().pk


OPERATIONS = {
    # The schema describes the API, holds no data and is what clients generate code from: public.
    ("GET", "/openapi.json"): Op(url=lambda cast: "/api/v1/openapi.json", expected=everyone(200), public=True),
    # --- deals ---
    ("GET", "/deals/"): Op(url=lambda cast: "/api/v1/deals/?status=all", expected=everyone(200), listed=SEE),
    ("GET", "/deals/{int:deal_id}"): Op(url=lambda cast: f"/api/v1/deals/{cast.deal.pk}", expected=see(200)),
    ("POST", "/deals/{int:deal_id}/move"): Op(
        url=lambda cast: f"/api/v1/deals/{cast.deal.pk}/move",
        body=lambda cast: {"stage_id": _next_stage(cast), "version": cast.deal.version},
        expected=change(200),
    ),
}


def _url(template):
    """`template` formatted with the cast's records: "/deals/{deal.pk}" → "/api/v1/deals/12"."""
    return lambda cast: "/api/v1" + template.format(**cast.records, **cast.users)


def _sent_quote(cast):
    """A quote of the owner's deal as sending leaves it (a number and the stored PDF); made on first
    use (only the PDF's row needs it)."""
    import hashlib

    from django.core.files.base import ContentFile

    from quotes.models import Quote

    quote = cast.quote
    now = timezone.now()
    quote.state, quote.sent_at, quote.issue_date = Quote.State.SENT, now, now.date()
    quote.number, quote.number_year, quote.number_seq = "AN-MATRIX-1", 1999, 1
    quote.pdf.save("matrix.pdf", ContentFile(b"%PDF-1.7 matrix"), save=False)
    quote.pdf_sha256 = hashlib.sha256(b"%PDF-1.7 matrix").hexdigest()
    quote.save()
    return f"/api/v1/quotes/{quote.pk}/pdf"


OPERATIONS.update(
    {
        # --- deals: anyone adds a deal of their own ("+ Deal"); changes as the deal page ---
        ("POST", "/deals/"): Op(
            url=_url("/deals/"),
            body=lambda cast: {"title": "Matrix new deal", "stage_id": cast.deal.stage_id},
            expected=everyone(201),
        ),
        ("PATCH", "/deals/{int:deal_id}"): Op(
            url=_url("/deals/{deal.pk}"),
            body=lambda cast: {"version": cast.deal.version, "title": "Matrix deal, renamed"},
            expected=change(200),
        ),
        ("POST", "/deals/{int:deal_id}/win"): Op(
            url=_url("/deals/{deal.pk}/win"), body=lambda cast: {"version": cast.deal.version}, expected=change(200)
        ),
        ("POST", "/deals/{int:deal_id}/lose"): Op(
            url=_url("/deals/{deal.pk}/lose"),
            body=lambda cast: {"version": cast.deal.version, "reason_id": cast.lost_reason.pk},
            expected=change(200),
        ),
        ("POST", "/deals/{int:deal_id}/reopen"): Op(
            url=_url("/deals/{won_deal.pk}/reopen"),
            body=lambda cast: {"version": cast.won_deal.version},
            expected=change(200),
        ),
        # The line items are seen with the deal and changed by who may change it.
        ("GET", "/deals/{int:deal_id}/line-items"): Op(url=_url("/deals/{deal.pk}/line-items"), expected=see(200)),
        ("POST", "/deals/{int:deal_id}/line-items"): Op(
            url=_url("/deals/{deal.pk}/line-items"),
            body=lambda cast: {"description": "Matrix line", "quantity": "2", "unit_price": "5"},
            expected=change(201),
        ),
        ("PATCH", "/deals/{int:deal_id}/line-items/{int:line_id}"): Op(
            url=_url("/deals/{deal.pk}/line-items/{line_item.pk}"),
            body=lambda cast: {"quantity": "2"},
            expected=change(200),
        ),
        ("DELETE", "/deals/{int:deal_id}/line-items/{int:line_id}"): Op(
            url=_url("/deals/{deal.pk}/line-items/{line_item.pk}"), expected=change(204)
        ),
        # --- what every deal needs: pipelines, stages, lost reasons (the board shows them to all) ---
        ("GET", "/pipelines/"): Op(
            url=_url("/pipelines/"), expected=everyone(200), listed=ALL, record=lambda cast: cast.deal.pipeline_id
        ),
        ("GET", "/pipelines/{int:pipeline_id}"): Op(url=_url("/pipelines/{deal.pipeline_id}"), expected=everyone(200)),
        ("GET", "/pipelines/{int:pipeline_id}/stages"): Op(
            url=_url("/pipelines/{deal.pipeline_id}/stages"), expected=everyone(200)
        ),
        ("GET", "/lost-reasons/"): Op(
            url=_url("/lost-reasons/"), expected=everyone(200), listed=ALL, record=lambda cast: cast.lost_reason.pk
        ),
        # --- the product catalogue: everyone reads it, admins keep it ---
        ("GET", "/products/"): Op(
            url=_url("/products/"), expected=everyone(200), listed=ALL, record=lambda cast: cast.product.pk
        ),
        ("GET", "/products/{int:product_id}"): Op(url=_url("/products/{product.pk}"), expected=everyone(200)),
        ("POST", "/products/"): Op(
            url=_url("/products/"),
            body=lambda cast: {"name": "Matrix new product", "unit_price": "10"},
            expected=admin_only(201),
        ),
        ("PATCH", "/products/{int:product_id}"): Op(
            url=_url("/products/{product.pk}"), body=lambda cast: {"unit": "day"}, expected=admin_only(200)
        ),
        ("POST", "/products/{int:product_id}/active"): Op(
            url=_url("/products/{product.pk}/active"), body=lambda cast: {"active": False}, expected=admin_only(200)
        ),
        # --- organizations and contacts: seen with the owner's records; whoever sees one edits its
        # facts; deleting and restoring as changing the owner's records (customers.services.can_delete) ---
        ("GET", "/organizations/"): Op(
            url=_url("/organizations/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.organization.pk
        ),
        ("GET", "/organizations/trash"): Op(
            url=_url("/organizations/trash"),
            expected=everyone(200),
            listed=CHANGE,
            record=lambda cast: cast.trashed_organization.pk,
        ),
        ("GET", "/organizations/{int:organization_id}"): Op(
            url=_url("/organizations/{organization.pk}"), expected=see(200)
        ),
        ("POST", "/organizations/"): Op(
            url=_url("/organizations/"), body=lambda cast: {"name": "Matrix new organization"}, expected=everyone(201)
        ),
        ("PATCH", "/organizations/{int:organization_id}"): Op(
            url=_url("/organizations/{organization.pk}"), body=lambda cast: {"city": "Hamburg"}, expected=see(200)
        ),
        ("DELETE", "/organizations/{int:organization_id}"): Op(
            url=_url("/organizations/{spare_organization.pk}"), expected=change(204)
        ),
        ("POST", "/organizations/{int:organization_id}/restore"): Op(
            url=_url("/organizations/{trashed_organization.pk}/restore"), expected=restorable(200)
        ),
        ("GET", "/contacts/"): Op(
            url=_url("/contacts/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.contact.pk
        ),
        ("GET", "/contacts/trash"): Op(
            url=_url("/contacts/trash"),
            expected=everyone(200),
            listed=CHANGE,
            record=lambda cast: cast.trashed_contact.pk,
        ),
        ("GET", "/contacts/{int:contact_id}"): Op(url=_url("/contacts/{contact.pk}"), expected=see(200)),
        ("POST", "/contacts/"): Op(
            url=_url("/contacts/"), body=lambda cast: {"last_name": "Matrix"}, expected=everyone(201)
        ),
        ("PATCH", "/contacts/{int:contact_id}"): Op(
            url=_url("/contacts/{contact.pk}"), body=lambda cast: {"job_title": "CFO"}, expected=see(200)
        ),
        ("DELETE", "/contacts/{int:contact_id}"): Op(url=_url("/contacts/{spare_contact.pk}"), expected=change(204)),
        ("POST", "/contacts/{int:contact_id}/restore"): Op(
            url=_url("/contacts/{trashed_contact.pk}/restore"), expected=restorable(200)
        ),
        # --- leads: seen as deals are; changed, moved along and converted by who may change them ---
        ("GET", "/leads/"): Op(
            url=_url("/leads/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.lead.pk
        ),
        ("GET", "/leads/{int:lead_id}"): Op(url=_url("/leads/{lead.pk}"), expected=see(200)),
        ("POST", "/leads/"): Op(url=_url("/leads/"), body=lambda cast: {"last_name": "Matrix"}, expected=everyone(201)),
        ("PATCH", "/leads/{int:lead_id}"): Op(
            url=_url("/leads/{lead.pk}"), body=lambda cast: {"job_title": "CFO"}, expected=change(200)
        ),
        ("POST", "/leads/{int:lead_id}/status"): Op(
            url=_url("/leads/{lead.pk}/status"), body=lambda cast: {"to_status": "contacted"}, expected=change(200)
        ),
        ("POST", "/leads/{int:lead_id}/convert"): Op(
            url=_url("/leads/{lead.pk}/convert"), body=lambda cast: {}, expected=change(201)
        ),
        # --- activities: seen with their deal; planned and changed by who may change the deal ---
        ("GET", "/activities/"): Op(
            url=_url("/activities/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.activity.pk
        ),
        ("GET", "/activities/{int:activity_id}"): Op(url=_url("/activities/{activity.pk}"), expected=see(200)),
        ("POST", "/activities/"): Op(
            url=_url("/activities/"),
            body=lambda cast: {"kind": "call", "subject": "Matrix follow-up", "deal_id": cast.deal.pk},
            expected=change(201),
        ),
        ("PATCH", "/activities/{int:activity_id}"): Op(
            url=_url("/activities/{activity.pk}"),
            body=lambda cast: {"subject": "Matrix call, moved"},
            expected=change(200),
        ),
        ("POST", "/activities/{int:activity_id}/done"): Op(
            url=_url("/activities/{activity.pk}/done"), expected=change(200)
        ),
        ("POST", "/activities/{int:activity_id}/reopen"): Op(
            url=_url("/activities/{activity.pk}/reopen"), expected=change(200)
        ),
        ("POST", "/activities/{int:activity_id}/postpone"): Op(
            url=_url("/activities/{activity.pk}/postpone"), expected=change(200)
        ),
        # --- quotes: as visible as their deal; made, edited and sent by who may change it ---
        ("GET", "/quotes/"): Op(
            url=_url("/quotes/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.quote.pk
        ),
        ("GET", "/quotes/{int:quote_id}"): Op(url=_url("/quotes/{quote.pk}"), expected=see(200)),
        ("GET", "/quotes/{int:quote_id}/pdf"): Op(url=_sent_quote, expected=see(200)),
        ("POST", "/quotes/"): Op(
            url=_url("/quotes/"), body=lambda cast: {"deal_id": cast.deal.pk}, expected=change(201)
        ),
        ("PATCH", "/quotes/{int:quote_id}"): Op(
            url=_url("/quotes/{quote.pk}"), body=lambda cast: {"title": "Matrix quote"}, expected=change(200)
        ),
        ("POST", "/quotes/{int:quote_id}/lines"): Op(
            url=_url("/quotes/{quote.pk}/lines"),
            body=lambda cast: {"description": "Matrix line", "unit_price": "5", "vat_rate": "19"},
            expected=change(201),
        ),
        ("PATCH", "/quotes/{int:quote_id}/lines/{int:line_id}"): Op(
            url=lambda cast: f"/api/v1/quotes/{cast.quote.pk}/lines/{cast.quote.lines.get().pk}",
            body=lambda cast: {"quantity": "2"},
            expected=change(200),
        ),
        ("DELETE", "/quotes/{int:quote_id}/lines/{int:line_id}"): Op(
            url=lambda cast: f"/api/v1/quotes/{cast.quote.pk}/lines/{cast.quote.lines.get().pk}",
            expected=change(200),
        ),
        # Sent to the deal's contact with what the page's send form is prefilled with.
        ("POST", "/quotes/{int:quote_id}/send"): Op(
            url=_url("/quotes/{quote.pk}/send"), body=lambda cast: {}, expected=change(200)
        ),
        # --- users and teams: the people whose records you see, as the pages' owner filters ---
        ("GET", "/users/"): Op(
            url=_url("/users/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.owner.pk
        ),
        ("GET", "/users/{int:user_id}"): Op(url=_url("/users/{owner.pk}"), expected=see(200)),
        ("GET", "/teams/"): Op(
            url=_url("/teams/"), expected=everyone(200), listed=SEE, record=lambda cast: cast.owner.team_id
        ),
        ("GET", "/teams/{int:team_id}"): Op(url=_url("/teams/{owner.team_id}"), expected=see(200)),
    }
)


# --- webhook subscriptions (docs/api.md, "Webhooks: subscriptions"): personal, like an e-mail
# template. Its owner and the admin manage it; nobody else learns it exists (404), not the
# teammate, not the team's manager: the pages' rule (tests/core/access_webhooks.py). ---


def _own(code):
    """The owner's subscription: she and the admin; anyone else 404."""
    return {role: code if role in ("owner", "admin") else 404 for role in ROLES}


def _subscription(cast):
    """The owner's subscription, made on first use (only the webhook rows need it)."""
    from webhooks.models import Subscription

    subscription = Subscription.objects.filter(owner=cast.owner, description="Matrix webhook").first()
    if subscription is None:
        from webhooks import services

        subscription, _secret = services.subscription_create(
            actor=cast.owner, url="https://93.184.216.34/matrix", events=["deal.won"], description="Matrix webhook"
        )
    return subscription


def _webhook(suffix=""):
    return lambda cast: f"/api/v1/webhooks/{_subscription(cast).pk}{suffix}"


OPERATIONS.update(
    {
        # Everyone's own list; the admin's holds everyone's.
        ("GET", "/webhooks/"): Op(
            url=lambda cast: _subscription(cast) and "/api/v1/webhooks/",
            expected=everyone(200),
            listed=frozenset({"owner", "admin"}),
            record=lambda cast: _subscription(cast).pk,
        ),
        # Every signed-in user subscribes their own URLs.
        ("POST", "/webhooks/"): Op(
            url=lambda cast: "/api/v1/webhooks/",
            body=lambda cast: {"url": "https://93.184.216.34/new", "events": ["deal.created"]},
            expected=everyone(201),
        ),
        ("GET", "/webhooks/{int:subscription_id}"): Op(url=_webhook(), expected=_own(200)),
        ("PATCH", "/webhooks/{int:subscription_id}"): Op(
            url=_webhook(), body=lambda cast: {"description": "Matrix webhook, renamed"}, expected=_own(200)
        ),
        ("DELETE", "/webhooks/{int:subscription_id}"): Op(url=_webhook(), expected=_own(204)),
        ("GET", "/webhooks/{int:subscription_id}/secret"): Op(url=_webhook("/secret"), expected=_own(200)),
        ("POST", "/webhooks/{int:subscription_id}/secret/rotate"): Op(
            url=_webhook("/secret/rotate"), expected=_own(200)
        ),
        # Re-enabling an active subscription changes nothing and answers as for a disabled one.
        ("POST", "/webhooks/{int:subscription_id}/enable"): Op(url=_webhook("/enable"), expected=_own(200)),
        ("GET", "/webhooks/{int:subscription_id}/deliveries"): Op(url=_webhook("/deliveries"), expected=_own(200)),
    }
)
