"""What each role gets from each URL pattern: the table of the access-control matrix
(tests/core/test_access_matrix.py, which walks the URLconf and sends the requests).

A new URL pattern needs an entry in EXPECTATIONS (the matrix fails until it has one);
admin URLs are covered by a generic rule and need an ADMIN_SPECIAL entry only when they
are not a ModelAdmin's changelist, add, change, history or delete page.
"""

import hashlib
import uuid
from dataclasses import dataclass

from accounts.models import SavedView
from api.models import ApiToken
from customers.models import MergeRecord, Tag
from deals import selectors as deal_selectors
from deals.models import LostReason, Product
from lists.models import BulkAction

ROLES = ("anonymous", "owner", "teammate", "outsider", "manager", "manager_south", "admin")
LOGIN = "login"  # 302 to /accounts/login/?next=…
ADMIN_LOGIN = "admin login"  # 302 to /admin/login/?next=…
EITHER_LOGIN = frozenset({LOGIN, ADMIN_LOGIN})  # either login page will do
SECRET = "Matrix deal of Alice"  # a refusal must not show it


# --- what each role gets --------------------------------------------------------------------


def _codes(anonymous=LOGIN, **codes):
    return {"anonymous": anonymous, **codes}


def everyone(code, anonymous=LOGIN):
    """Every signed-in user gets `code` (pages that are the user's own, e.g. their list)."""
    return _codes(anonymous, **dict.fromkeys(ROLES[1:], code))


def public(code):
    """Open to everyone, anonymous visitors included."""
    return everyone(code, anonymous=code)


def not_allowed(anonymous=LOGIN):
    """The view does not answer this method: 405 (anonymous visitors are asked to log in first)."""
    return everyone(405, anonymous=anonymous)


def see(code):
    """A record of the owner: visible to the owner, the team and the team's manager, and the admin."""
    return _codes(owner=code, teammate=code, outsider=404, manager=code, manager_south=404, admin=code)


def change(code):
    """A change to the owner's record: the owner, the team's manager and the admin; the teammate
    sees the record but may not change it (403); outside the scope it does not exist (404)."""
    return _codes(owner=code, teammate=403, outsider=404, manager=code, manager_south=404, admin=code)


def own(code):
    """Personal to the owner (a notification, an upload): anyone else, the admin too, gets 404."""
    return _codes(owner=code, teammate=404, outsider=404, manager=404, manager_south=404, admin=404)


def admin_only(code):
    """Configuration kept by admins in the app (the product catalogue): everyone else 403."""
    return _codes(**dict.fromkeys(ROLES[1:-1], 403), admin=code)


@dataclass(frozen=True)
class Expect:
    """What the roles get from one URL pattern.

    kwargs(cast) -> the URL's arguments; query(cast) -> GET parameters; data(cast) -> the POST
    body (default: empty, which is enough where the access check comes before validation);
    htmx_post: the codes of the same POST sent by htmx (HX-Request), where they differ.
    """

    get: dict
    post: dict
    kwargs: object = None
    query: object = None
    data: object = None
    htmx_post: dict | None = None
    htmx_data: object = None
    # RFC 8058 one-click unsubscribe: mail clients POST without cookies or CSRF token, so the
    # view is CSRF-exempt and the bare POST gets `post` instead of the 403 every other URL gives.
    csrf_exempt: bool = False


def _deal(cast):
    return {"deal_id": cast.deal.pk}


def _lead(cast):
    return {"lead_id": cast.lead.pk}


def _organization(cast):
    return {"organization_id": cast.deal.organization_id}


def _contact(cast):
    return {"contact_id": cast.deal.organization.contacts.get().pk}


def _two_organizations(cast):
    return {"ids": [cast.deal.organization_id, cast.won_deal.organization_id]}


def _two_contacts(cast):
    return {"ids": [_contact(cast)["contact_id"], cast.won_deal.organization.contacts.get().pk]}


def _log_activity(cast):
    """A call logged as done on the owner's deal (of the organization and of its contact)."""
    return {"log-kind": "call", "log-subject": "Matrix call", "log-target": f"deal-{cast.deal.pk}", "log-when": "done"}


def _merge(cast):
    return {"merge_id": MergeRecord.objects.get().pk}


def _everyone_but_admin(code):
    return dict.fromkeys(("owner", "teammate", "outsider", "manager", "manager_south"), code)


def _activity(cast):
    return {"activity_id": cast.activity.pk}


def _import_job(cast):
    """The owner's import of organizations, made on first use (personal to the owner)."""
    from transfer.models import ImportJob

    job, _created = ImportJob.objects.get_or_create(
        created_by=cast.owner,
        file_name="matrix-import.csv",
        defaults={
            "record_type": "organizations",
            "headers": ["Company"],
            "mapping": ["name"],
            "source": b"Company\nA\n",
        },
    )
    return {"job_id": job.pk}


def _column(cast):
    return {"pipeline_id": cast.deal.pipeline_id, "stage_id": cast.deal.stage_id}


def _line(cast):
    return {"deal_id": cast.deal.pk, "line_id": cast.deal.line_items.get().pk}


def _objection(cast):
    return {"deal_id": cast.deal.pk, "objection_id": cast.deal.objections.get().pk}


def _objection_data(prefix):
    return lambda cast: {f"{prefix}-kind": "timing", f"{prefix}-handling": "open", f"{prefix}-note": "Matrix"}


def _line_data(prefix):
    return lambda cast: {f"{prefix}-description": "Matrix line", f"{prefix}-quantity": "2", f"{prefix}-unit_price": "5"}


def _product(cast):
    return {"product_id": Product.objects.order_by("pk").first().pk}


def _next_stage(cast):
    return cast.deal.pipeline.stages.exclude(pk=cast.deal.stage_id).order_by("order").first().pk


def _saved_view(cast):
    return {"view_id": SavedView.objects.get(owner=cast.owner, name="Matrix view").pk}


def _tag(cast):
    return {"tag_id": Tag.objects.get(name="Matrix tag").pk}


def _admin_only(code):
    return _codes(owner=403, teammate=403, outsider=403, manager=403, manager_south=403, admin=code)


EXPECTATIONS = {
    # --- the site and accounts ---
    "": Expect(get=everyone(302), post=everyone(302)),
    "healthz": Expect(get=public(200), post=public(405)),
    "healthz/live": Expect(get=public(200), post=public(405)),
    # The API's browsable documentation (the operations have their own matrix, tests/api/).
    "api/docs/": Expect(get=everyone(200), post=not_allowed()),
    "accounts/login/": Expect(get=everyone(302, anonymous=200), post=everyone(302, anonymous=200)),
    # Logging out sends everyone to the login page.
    "accounts/logout/": Expect(get=not_allowed(), post=everyone(LOGIN)),
    # An empty POST is bad input: the page again with its messages (400).
    "accounts/preferences/": Expect(get=everyone(200), post=everyone(400)),
    # Personal access tokens: the user's own list (an empty POST is bad input, 400); an admin
    # also sees every user's tokens and may revoke any of them; anyone else's token is a 404.
    "accounts/tokens/": Expect(get=everyone(200), post=everyone(400)),
    "accounts/tokens/all/": Expect(get=admin_only(200), post=not_allowed()),
    "accounts/tokens/<int:token_id>/revoke/": Expect(
        kwargs=lambda cast: {"token_id": ApiToken.objects.get(user=cast.owner).pk},
        get=_codes(owner=200, teammate=404, outsider=404, manager=404, manager_south=404, admin=200),
        post=_codes(owner=302, teammate=404, outsider=404, manager=404, manager_south=404, admin=302),
    ),
    # The mailbox page and its parts: each user works on their own mailbox only (there is no
    # other user's to ask for). An empty POST is bad input: the page again with its messages.
    "accounts/mailbox/": Expect(get=everyone(200), post=everyone(200)),
    "accounts/mailbox/test/": Expect(get=not_allowed(), post=everyone(200), htmx_post=everyone(200)),
    "accounts/mailbox/status/": Expect(get=everyone(200), post=not_allowed()),
    # Not connected: "Sync now" says so (a message, back to the page; htmx: the status block).
    "accounts/mailbox/sync/": Expect(get=not_allowed(), post=everyone(302), htmx_post=everyone(200)),
    "accounts/mailbox/preferences/": Expect(
        get=not_allowed(), post=everyone(302), data=lambda cast: {"sharing": "none", "signature": "Matrix"}
    ),
    "accounts/mailbox/disconnect/": Expect(get=not_allowed(), post=everyone(302)),
    "accounts/mailbox/bcc-address/": Expect(get=not_allowed(), post=everyone(302), htmx_post=everyone(200)),
    # Password reset is public (a signed-in user may ask for a link too); the answer is the same
    # whether or not the address has an account.
    "accounts/password_reset/": Expect(
        get=public(200),
        post=public(302),
        # A new address each time: the per-address limit (3 an hour) must not answer 429 here.
        data=lambda cast: {"email": f"nobody-{uuid.uuid4().hex}@example.com"},
    ),
    "accounts/password_reset/done/": Expect(get=public(200), post=public(405)),
    "accounts/reset/<uidb64>/<token>/": Expect(
        kwargs=lambda cast: {"uidb64": "MQ", "token": "not-a-token"}, get=public(200), post=public(200)
    ),
    "accounts/reset/done/": Expect(get=public(200), post=public(405)),
    "accounts/password_change/": Expect(get=everyone(200), post=everyone(200)),
    "accounts/password_change/done/": Expect(get=everyone(200), post=everyone(405)),
    # The user menu's language switch: stored on the user, back to `next` ("" = the browser's).
    "accounts/language/": Expect(
        get=not_allowed(), post=everyone(302), data=lambda cast: {"language": "", "next": "/"}
    ),
    # No page offers a language switch to anonymous visitors (they get their browser's language).
    "i18n/setlang/": Expect(get=everyone(302), post=everyone(302), data=lambda cast: {"language": "de", "next": "/"}),
    # --- board and deals ---
    "board/": Expect(get=everyone(200), post=not_allowed()),
    "board/<int:pipeline_id>/": Expect(
        kwargs=lambda cast: {"pipeline_id": cast.deal.pipeline_id}, get=everyone(200), post=not_allowed()
    ),
    "board/<int:pipeline_id>/poll/": Expect(
        kwargs=lambda cast: {"pipeline_id": cast.deal.pipeline_id}, get=everyone(200), post=not_allowed()
    ),
    "board/<int:pipeline_id>/stages/<int:stage_id>/more/": Expect(
        kwargs=_column,
        query=lambda cast: {"after": deal_selectors.cursor_encode(cast.deal)},
        get=everyone(200),
        post=not_allowed(),
    ),
    "board/<int:pipeline_id>/stages/<int:stage_id>/add/": Expect(
        kwargs=_column,
        get=not_allowed(),
        data=lambda cast: {"title": "Quick deal", "value": "100"},
        post=everyone(302),
        htmx_post=everyone(200),
    ),
    # The board's saved views menu; saving an empty name is refused with the board (400).
    "board/<int:pipeline_id>/views/": Expect(
        kwargs=lambda cast: {"pipeline_id": cast.deal.pipeline_id},
        get=everyone(200),
        post=everyone(400),
    ),
    # The header's "+ Deal": anyone signed in adds a deal of their own (an empty form: 400).
    "deals/new/": Expect(get=everyone(200), post=everyone(400)),
    "deals/<int:deal_id>/": Expect(kwargs=_deal, get=see(200), post=change(400)),
    "deals/<int:deal_id>/move/": Expect(
        kwargs=_deal,
        get=change(200),
        data=lambda cast: {"stage": _next_stage(cast), "version": cast.deal.version},
        post=change(302),
        htmx_post=change(200),
    ),
    # The cast's deal is open: whoever may change it hears why a follow-up needs a won deal (400).
    "deals/<int:deal_id>/follow-up/": Expect(kwargs=_deal, get=not_allowed(), post=change(400)),
    "deals/<int:deal_id>/win/": Expect(
        kwargs=_deal,
        get=not_allowed(),
        data=lambda cast: {"version": cast.deal.version},
        post=change(302),
        htmx_data=lambda cast: {"version": cast.deal.version, "from": "board"},
        htmx_post=change(200),
    ),
    "deals/<int:deal_id>/lose/": Expect(
        kwargs=_deal,
        get=not_allowed(),
        data=lambda cast: {"version": cast.deal.version, "reason": LostReason.objects.first().pk},
        post=change(302),
        htmx_data=lambda cast: {"version": cast.deal.version, "reason": LostReason.objects.first().pk, "from": "board"},
        htmx_post=change(200),
    ),
    "deals/<int:deal_id>/reopen/": Expect(
        kwargs=lambda cast: {"deal_id": cast.won_deal.pk},
        get=not_allowed(),
        data=lambda cast: {"version": cast.won_deal.version},
        post=change(302),
        htmx_data=lambda cast: {"version": cast.won_deal.version, "from": "board"},
        htmx_post=change(200),
    ),
    # --- the deal page's line items and new customers (changes of the deal) ---
    "deals/<int:deal_id>/line-items/": Expect(
        kwargs=_deal, get=not_allowed(), data=_line_data("new_line"), post=change(302), htmx_post=change(200)
    ),
    "deals/<int:deal_id>/line-items/<int:line_id>/": Expect(
        kwargs=_line,
        get=not_allowed(),
        data=lambda cast: _line_data(f"line-{cast.deal.line_items.get().pk}")(cast),
        post=change(302),
        htmx_post=change(200),
    ),
    "deals/<int:deal_id>/line-items/<int:line_id>/remove/": Expect(
        kwargs=_line, get=not_allowed(), post=change(302), htmx_post=change(200)
    ),
    # --- the deal page's objections (changes of the deal) ---
    "deals/<int:deal_id>/objections/": Expect(kwargs=_deal, get=see(200), post=not_allowed()),
    "deals/<int:deal_id>/objections/add/": Expect(
        kwargs=_deal, get=not_allowed(), data=_objection_data("new_objection"), post=change(302), htmx_post=change(200)
    ),
    "deals/<int:deal_id>/objections/<int:objection_id>/": Expect(
        kwargs=_objection,
        get=not_allowed(),
        data=lambda cast: _objection_data(f"objection-{cast.deal.objections.get().pk}")(cast),
        post=change(302),
        htmx_post=change(200),
    ),
    "deals/<int:deal_id>/objections/<int:objection_id>/remove/": Expect(
        kwargs=_objection, get=not_allowed(), post=change(302), htmx_post=change(200)
    ),
    "deals/<int:deal_id>/customer-options/": Expect(
        kwargs=_deal, query=lambda cast: {"kind": "organization", "q": "a"}, get=see(200), post=not_allowed()
    ),
    "deals/<int:deal_id>/organizations/new/": Expect(
        kwargs=_deal,
        get=not_allowed(),
        data=lambda cast: {"new_org-name": "Matrix organization"},
        post=change(302),
        htmx_post=change(200),
    ),
    "deals/<int:deal_id>/contacts/new/": Expect(
        kwargs=_deal,
        get=not_allowed(),
        data=lambda cast: {"new_contact-last_name": "Matrix"},
        post=change(302),
        htmx_post=change(200),
    ),
    # --- the product catalogue: everyone reads it, admins keep it ---
    "products/": Expect(get=everyone(200), post=not_allowed()),
    "products/new/": Expect(get=admin_only(200), post=admin_only(400), data=lambda cast: {"name": ""}),
    "products/<int:product_id>/": Expect(
        kwargs=_product, get=admin_only(200), post=admin_only(400), data=lambda cast: {"name": ""}
    ),
    "products/<int:product_id>/active/": Expect(
        kwargs=_product, get=not_allowed(), post=admin_only(302), data=lambda cast: {"active": "0"}
    ),
    # --- leads ---
    "leads/": Expect(get=everyone(200), post=not_allowed()),
    "leads/export.csv": Expect(get=everyone(200), post=not_allowed()),
    "leads/new/": Expect(get=everyone(200), post=everyone(400), data=lambda cast: {"email": "not-an-e-mail"}),
    "leads/<int:lead_id>/": Expect(kwargs=_lead, get=see(200), post=not_allowed()),
    "leads/<int:lead_id>/edit/": Expect(
        kwargs=_lead, get=change(200), post=change(400), data=lambda cast: {"email": "not-an-e-mail"}
    ),
    "leads/<int:lead_id>/qualify/": Expect(
        kwargs=_lead,
        get=not_allowed(),
        data=lambda cast: {"need": 3, "budget": 2, "authority": 1, "timing": 0},
        post=change(302),
        htmx_post=change(200),
    ),
    "leads/<int:lead_id>/status/": Expect(kwargs=_lead, get=not_allowed(), post=change(400)),
    "leads/<int:lead_id>/consent/": Expect(kwargs=_lead, get=not_allowed(), post=change(400)),
    "leads/<int:lead_id>/convert/": Expect(kwargs=_lead, get=change(200), post=change(400)),
    "leads/import/": Expect(get=everyone(200), post=everyone(400), data=lambda cast: {"encoding": "utf-8-sig"}),
    "leads/import/<int:import_id>/": Expect(
        kwargs=lambda cast: {"import_id": cast.lead_import.pk}, get=own(200), post=not_allowed()
    ),
    "leads/import/<int:import_id>/encoding/": Expect(
        kwargs=lambda cast: {"import_id": cast.lead_import.pk}, get=not_allowed(), post=own(400)
    ),
    # The cast's import keeps no file: "upload it again" on the preview.
    "leads/import/<int:import_id>/columns/": Expect(
        kwargs=lambda cast: {"import_id": cast.lead_import.pk}, get=not_allowed(), post=own(302)
    ),
    "leads/import/<int:import_id>/confirm/": Expect(
        kwargs=lambda cast: {"import_id": cast.lead_import.pk}, get=not_allowed(), post=own(302)
    ),
    "leads/import/<int:import_id>/retry/": Expect(
        kwargs=lambda cast: {"import_id": cast.lead_import.pk}, get=not_allowed(), post=own(302)
    ),
    "leads/import/<int:import_id>/discard/": Expect(
        kwargs=lambda cast: {"import_id": cast.lead_import.pk}, get=not_allowed(), post=own(302)
    ),
    "forms/lead/": Expect(get=public(200), post=public(400)),
    "forms/lead/thanks/": Expect(get=public(200), post=public(405)),
    # --- the customer's quote link (no login; the link's secret is the key) ---
    # An unknown link answers 404 to everyone, signed in or not; the page is GET only, the
    # answers POST only (tests/quotes/test_public_*.py test a real link).
    "q/<str:token>/": Expect(kwargs=lambda cast: {"token": "not-a-link"}, get=public(404), post=public(405)),
    "q/<str:token>/pdf/": Expect(kwargs=lambda cast: {"token": "not-a-link"}, get=public(404), post=public(405)),
    "q/<str:token>/accept/": Expect(kwargs=lambda cast: {"token": "not-a-link"}, get=public(405), post=public(404)),
    "q/<str:token>/decline/": Expect(kwargs=lambda cast: {"token": "not-a-link"}, get=public(405), post=public(404)),
    # --- import and export (transfer) ---
    "import/<slug:record_type>/": Expect(
        kwargs=lambda cast: {"record_type": "organizations"}, get=everyone(200), post=everyone(400)
    ),
    "imports/<int:job_id>/": Expect(kwargs=_import_job, get=own(200), post=not_allowed()),
    # An empty mapping names no required field: the owner hears so (400), anybody else gets 404.
    "imports/<int:job_id>/check/": Expect(kwargs=_import_job, get=not_allowed(), post=own(400)),
    "imports/<int:job_id>/confirm/": Expect(kwargs=_import_job, get=not_allowed(), post=own(302)),
    "imports/<int:job_id>/discard/": Expect(kwargs=_import_job, get=not_allowed(), post=own(302)),
    "export/<slug:record_type>.<slug:file_format>": Expect(
        kwargs=lambda cast: {"record_type": "organizations", "file_format": "xlsx"},
        get=everyone(200),
        post=not_allowed(),
    ),
    # --- activities and notifications ---
    "activities/": Expect(get=everyone(200), post=not_allowed()),
    "activities/<int:activity_id>/": Expect(kwargs=_activity, get=see(302), post=not_allowed()),
    "activities/<int:activity_id>/edit/": Expect(kwargs=_activity, get=change(200), post=change(200)),
    "activities/<int:activity_id>/done/": Expect(
        kwargs=_activity, get=not_allowed(), post=change(302), htmx_post=change(200)
    ),
    "activities/<int:activity_id>/reopen/": Expect(
        kwargs=_activity, get=not_allowed(), post=change(302), htmx_post=change(200)
    ),
    "activities/<int:activity_id>/postpone/": Expect(
        kwargs=_activity, get=not_allowed(), post=change(302), htmx_post=change(200)
    ),
    # The calendar: an empty reschedule or log-done post is refused with its reason (400) after the access check.
    "activities/calendar/": Expect(get=everyone(200), post=not_allowed()),
    "activities/calendar/events/": Expect(
        query=lambda cast: {"start": "2026-03-02T00:00:00", "end": "2026-03-09T00:00:00"},
        get=everyone(200),
        post=not_allowed(),
    ),
    "activities/calendar/feed/": Expect(get=not_allowed(), post=everyone(400)),
    "activities/<int:activity_id>/reschedule/": Expect(kwargs=_activity, get=not_allowed(), post=change(400)),
    # The feed's key is the only credential (no login); a wrong key is 404 for everyone.
    "calendar/<str:token>.ics": Expect(kwargs=lambda cast: {"token": "1-not-a-key"}, get=public(404), post=public(405)),
    "activities/deal/<int:deal_id>/log-done/": Expect(kwargs=_deal, get=not_allowed(), post=change(400)),
    "activities/lead/<int:lead_id>/log-done/": Expect(kwargs=_lead, get=not_allowed(), post=change(400)),
    "activities/deal/<int:deal_id>/": Expect(kwargs=_deal, get=see(200), post=change(200)),
    "activities/lead/<int:lead_id>/": Expect(kwargs=_lead, get=see(200), post=change(200)),
    "notifications/": Expect(get=everyone(200), post=not_allowed()),
    "notifications/badge/": Expect(get=everyone(200), post=not_allowed()),
    "notifications/read-all/": Expect(get=not_allowed(), post=everyone(302), htmx_post=everyone(200)),
    "notifications/<int:notification_id>/read/": Expect(
        kwargs=lambda cast: {"notification_id": cast.notification.pk},
        get=not_allowed(),
        post=own(302),
        htmx_post=own(200),
    ),
    "notifications/<int:notification_id>/open/": Expect(
        kwargs=lambda cast: {"notification_id": cast.notification.pk}, get=not_allowed(), post=own(302)
    ),
    # --- timelines and the organization page (visible with one of its visible deals or leads) ---
    "deals/<int:deal_id>/timeline/": Expect(kwargs=_deal, get=see(200), post=not_allowed()),
    "leads/<int:lead_id>/timeline/": Expect(kwargs=_lead, get=see(200), post=not_allowed()),
    # --- organizations and contacts: shared customer records, seen through the owner's deal ---
    # Whoever sees one may edit its facts; deleting needs an admin or a manager (the records have no
    # owner), and is refused (400) while the deal points at them.
    "organizations/": Expect(get=everyone(200), post=not_allowed()),
    "organizations/new/": Expect(get=everyone(200), post=everyone(400), data=lambda cast: {"name": ""}),
    "organizations/suggest/": Expect(get=everyone(200), post=not_allowed(), query=lambda cast: {"q": "Co"}),
    "organizations/trash/": Expect(get=everyone(200), post=not_allowed()),
    "organizations/<int:organization_id>/": Expect(kwargs=_organization, get=see(200), post=not_allowed()),
    "organizations/<int:organization_id>/edit/": Expect(
        kwargs=_organization, get=see(200), post=see(400), data=lambda cast: {"name": ""}
    ),
    "organizations/<int:organization_id>/delete/": Expect(
        kwargs=_organization,
        get=see(200),
        post=_codes(owner=403, teammate=403, outsider=404, manager=400, manager_south=404, admin=400),
    ),
    # Nothing of the cast is in the trash.
    "organizations/<int:organization_id>/restore/": Expect(kwargs=_organization, get=not_allowed(), post=everyone(404)),
    "organizations/<int:organization_id>/timeline/": Expect(kwargs=_organization, get=see(200), post=not_allowed()),
    # Logging an activity from the 360° page: the teammate sees the deal but may not change it (400).
    "organizations/<int:organization_id>/log-activity/": Expect(
        kwargs=_organization,
        get=not_allowed(),
        data=_log_activity,
        post=_codes(owner=302, teammate=400, outsider=404, manager=302, manager_south=404, admin=302),
        htmx_post=_codes(owner=200, teammate=400, outsider=404, manager=200, manager_south=404, admin=200),
    ),
    "contacts/": Expect(get=everyone(200), post=not_allowed()),
    "contacts/new/": Expect(get=everyone(200), post=everyone(400), data=lambda cast: {"last_name": ""}),
    "contacts/trash/": Expect(get=everyone(200), post=not_allowed()),
    "contacts/<int:contact_id>/": Expect(kwargs=_contact, get=see(200), post=not_allowed()),
    "contacts/<int:contact_id>/edit/": Expect(
        kwargs=_contact, get=see(200), post=see(400), data=lambda cast: {"last_name": ""}
    ),
    "contacts/<int:contact_id>/delete/": Expect(
        kwargs=_contact,
        get=see(200),
        post=_codes(owner=403, teammate=403, outsider=404, manager=400, manager_south=404, admin=400),
    ),
    "contacts/<int:contact_id>/restore/": Expect(kwargs=_contact, get=not_allowed(), post=everyone(404)),
    "contacts/<int:contact_id>/timeline/": Expect(kwargs=_contact, get=see(200), post=not_allowed()),
    "contacts/<int:contact_id>/log-activity/": Expect(
        kwargs=_contact,
        get=not_allowed(),
        data=_log_activity,
        post=_codes(owner=302, teammate=400, outsider=404, manager=302, manager_south=404, admin=302),
        htmx_post=_codes(owner=200, teammate=400, outsider=404, manager=200, manager_south=404, admin=200),
    ),
    # --- duplicates and merges: the lists are the admins'; merging needs an admin or a manager
    # (the cast's customers have no owner); the POST without picks answers 400 to them ---
    "organizations/duplicates/": Expect(get=_codes(**_everyone_but_admin(403), admin=200), post=not_allowed()),
    "contacts/duplicates/": Expect(get=_codes(**_everyone_but_admin(403), admin=200), post=not_allowed()),
    "organizations/merge/": Expect(
        query=_two_organizations,
        data=_two_organizations,
        get=_codes(owner=403, teammate=403, outsider=404, manager=200, manager_south=404, admin=200),
        post=_codes(owner=403, teammate=403, outsider=404, manager=400, manager_south=404, admin=400),
    ),
    "contacts/merge/": Expect(
        query=_two_contacts,
        data=_two_contacts,
        get=_codes(owner=403, teammate=403, outsider=404, manager=200, manager_south=404, admin=200),
        post=_codes(owner=403, teammate=403, outsider=404, manager=400, manager_south=404, admin=400),
    ),
    # The cast's merge was made by the owner; its merged-away record is gone, so undoing answers 400.
    "merges/<int:merge_id>/": Expect(kwargs=_merge, get=see(200), post=not_allowed()),
    "merges/<int:merge_id>/undo/": Expect(
        kwargs=_merge,
        get=not_allowed(),
        post=_codes(owner=403, teammate=403, outsider=404, manager=400, manager_south=404, admin=400),
    ),
    # Recording consent needs its source: the empty POST answers 400 to whoever sees the contact.
    "contacts/<int:contact_id>/consent/": Expect(kwargs=_contact, get=not_allowed(), post=see(400)),
    "contacts/<int:contact_id>/consent/ask/": Expect(kwargs=_contact, get=not_allowed(), post=see(302)),
    # --- nurturing: the public consent pages (the token is the key; no login, the same for all) ---
    "u/<str:token>/": Expect(
        kwargs=lambda cast: {"token": cast.send.token},
        get=public(200),
        post=public(200),  # unsubscribed (each request is rolled back)
        data=lambda cast: {"List-Unsubscribe": "One-Click"},
        csrf_exempt=True,
    ),
    "e/u/<str:token>/": Expect(
        kwargs=lambda cast: {"token": cast.send.token},
        get=public(200),
        post=public(200),  # unsubscribed (each request is rolled back)
        data=lambda cast: {"List-Unsubscribe": "One-Click"},
        csrf_exempt=True,
    ),
    "e/p/<str:token>/": Expect(
        kwargs=lambda cast: {"token": cast.send.token},
        get=public(200),
        post=public(400),  # no action chosen
    ),
    "e/c/<str:token>/": Expect(
        kwargs=lambda cast: {"token": cast.confirmation.token},
        get=public(200),
        post=public(200),  # confirmed
    ),
    # --- analytics ---
    "dashboard/": Expect(get=everyone(200), post=everyone(200)),
    # The deals behind a figure: every role drills into its own scope (tests/analytics/test_drilldown.py).
    "dashboard/deals/": Expect(get=everyone(200), post=not_allowed(), query=lambda cast: {"metric": "open"}),
    "dashboard/export/<slug:section>.csv": Expect(
        kwargs=lambda cast: {"section": "funnel"}, get=everyone(200), post=everyone(200)
    ),
    # Goals: every role sees its scope; managers and admins set goals within it (tests/analytics/test_goals_views.py).
    "goals/": Expect(get=everyone(200), post=not_allowed()),
    "goals/new/": Expect(
        get=not_allowed(),
        post=_codes(owner=403, teammate=403, outsider=403, manager=400, manager_south=400, admin=400),
    ),
    # The cast's goal is the owner's: her teammate and the other team do not see it; she may not change it.
    "goals/<int:goal_id>/edit/": Expect(
        kwargs=lambda cast: {"goal_id": cast.goal.pk},
        get=_codes(owner=403, teammate=404, outsider=404, manager=200, manager_south=404, admin=200),
        post=_codes(owner=403, teammate=404, outsider=404, manager=400, manager_south=404, admin=400),
    ),
    "goals/<int:goal_id>/delete/": Expect(
        kwargs=lambda cast: {"goal_id": cast.goal.pk},
        get=not_allowed(),
        post=_codes(owner=403, teammate=404, outsider=404, manager=302, manager_south=404, admin=302),
    ),
    "goals/mine/": Expect(get=everyone(200), post=not_allowed()),
    "goals/dashboard/": Expect(get=everyone(200), post=not_allowed()),
    # --- global search: every signed-in user searches their own scope (tests/search) ---
    "search/": Expect(get=everyone(200), post=not_allowed(), query=lambda cast: {"q": "Matrix"}),
}

EXPECTATIONS.update(
    {
        # --- the deal list, saved views, bulk actions and tags (docs/lists.md) ---
        "deals/": Expect(get=everyone(200), post=not_allowed()),
        "lists/<slug:list_key>/toolbar/": Expect(
            kwargs=lambda cast: {"list_key": "deals"}, get=everyone(200), post=not_allowed()
        ),
        # An empty name is refused (400) for everyone.
        "lists/<slug:list_key>/views/": Expect(
            kwargs=lambda cast: {"list_key": "deals"}, get=not_allowed(), post=everyone(400)
        ),
        # The owner's view, shared with her team: her team and its manager open it; the admin,
        # outside the team, does not see it.
        "lists/views/<int:view_id>/": Expect(
            kwargs=_saved_view,
            get=_codes(owner=302, teammate=302, outsider=404, manager=302, manager_south=404, admin=404),
            post=not_allowed(),
        ),
        # Only the owner changes it (an empty name: 400).
        "lists/views/<int:view_id>/edit/": Expect(
            kwargs=_saved_view,
            get=not_allowed(),
            post=_codes(owner=400, teammate=403, outsider=404, manager=403, manager_south=404, admin=404),
        ),
        "lists/views/<int:view_id>/delete/": Expect(
            kwargs=_saved_view,
            get=not_allowed(),
            post=_codes(owner=302, teammate=403, outsider=404, manager=403, manager_south=404, admin=404),
        ),
        # Nothing selected: 400 for everyone.
        "lists/<slug:list_key>/bulk/": Expect(
            kwargs=lambda cast: {"list_key": "deals"}, get=not_allowed(), post=everyone(400)
        ),
        # A bulk action is its actor's: anyone else does not find it.
        "lists/bulk/<int:action_id>/undo/": Expect(
            kwargs=lambda cast: {"action_id": BulkAction.objects.get(actor=cast.owner).pk},
            get=not_allowed(),
            post=own(302),
        ),
        # The deal's tags: seen with the deal; changed by who may change it (no tag named: 400).
        "lists/<slug:list_key>/<int:record_id>/tags/": Expect(
            kwargs=lambda cast: {"list_key": "deals", "record_id": cast.deal.pk},
            get=see(200),
            post=change(400),
        ),
        # Admins manage tags.
        "tags/": Expect(get=_admin_only(200), post=_admin_only(400)),
        "tags/<int:tag_id>/": Expect(kwargs=_tag, get=not_allowed(), post=_admin_only(400)),
        "tags/<int:tag_id>/delete/": Expect(kwargs=_tag, get=not_allowed(), post=_admin_only(302)),
    }
)


# --- quotes on the deal page (docs/quotes.md): made on first use for the cast's deal ---


def _quote(cast, kind="draft"):
    """A quote of the owner's deal: "draft" (no discount), "discount" (a draft above the limit),
    "pending" (waiting for approval), "sent" (with a stored PDF and a link)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from quotes import services as quote_services
    from quotes.models import Quote

    found = Quote.objects.filter(deal=cast.deal, title=f"Matrix {kind}").first()
    if found is not None:
        return found
    quote = quote_services.quote_create(deal_id=cast.deal.pk, actor=cast.owner)
    Quote.objects.filter(pk=quote.pk).update(title=f"Matrix {kind}")
    if kind in ("discount", "pending"):
        line = quote.lines.get()
        quote_services.quote_line_update(quote_id=quote.pk, line_id=line.pk, actor=cast.owner, discount_percent=30)
    if kind == "pending":
        quote_services.quote_request_approval(quote_id=quote.pk, actor=cast.owner)
    if kind == "sent":
        now = timezone.now()
        quote.refresh_from_db()
        quote.state, quote.sent_at, quote.issue_date = Quote.State.SENT, now, now.date()
        quote.number, quote.number_year, quote.number_seq = "AN-MATRIX-1", 1999, 1
        quote.token_hash = quote_services.hash_token("matrix-token")
        quote.pdf.save("matrix.pdf", ContentFile(b"%PDF-1.7 matrix"), save=False)
        quote.pdf_sha256 = hashlib.sha256(b"%PDF-1.7 matrix").hexdigest()
        quote.save()
    return Quote.objects.get(pk=quote.pk)


def _quote_kwargs(kind="draft"):
    return lambda cast: {"quote_id": _quote(cast, kind).pk}


def _quote_line(cast):
    quote = _quote(cast)
    return {"quote_id": quote.pk, "line_id": quote.lines.get().pk}


def _quote_line_data(prefix):
    return lambda cast: {
        f"{prefix}-description": "Matrix line",
        f"{prefix}-quantity": "2",
        f"{prefix}-unit_price": "5",
        f"{prefix}-vat_rate": "19",
    }


EXPECTATIONS.update(
    {
        "deals/<int:deal_id>/quotes/": Expect(kwargs=_deal, get=see(200), post=not_allowed()),
        "deals/<int:deal_id>/quotes/new/": Expect(kwargs=_deal, get=change(200), post=change(302)),
        # Managers and admins decide on discounts; reps have nothing to approve.
        "quotes/approvals/": Expect(
            get=_codes(owner=403, teammate=403, outsider=403, manager=200, manager_south=200, admin=200),
            post=not_allowed(),
        ),
        # An empty header form answers 400 to whoever may change the draft.
        "quotes/<int:quote_id>/": Expect(kwargs=_quote_kwargs(), get=see(200), post=change(400)),
        "quotes/<int:quote_id>/lines/": Expect(
            kwargs=_quote_kwargs(),
            get=not_allowed(),
            data=_quote_line_data("new_line"),
            post=change(302),
            htmx_post=change(200),
        ),
        "quotes/<int:quote_id>/lines/<int:line_id>/": Expect(
            kwargs=_quote_line,
            get=not_allowed(),
            data=lambda cast: _quote_line_data(f"line-{_quote_line(cast)['line_id']}")(cast),
            post=change(302),
            htmx_post=change(200),
        ),
        "quotes/<int:quote_id>/lines/<int:line_id>/remove/": Expect(
            kwargs=_quote_line, get=not_allowed(), post=change(302), htmx_post=change(200)
        ),
        "quotes/<int:quote_id>/approval/request/": Expect(
            kwargs=_quote_kwargs("discount"), get=not_allowed(), post=change(302)
        ),
        "quotes/<int:quote_id>/approval/withdraw/": Expect(
            kwargs=_quote_kwargs("pending"), get=not_allowed(), post=change(302)
        ),
        # Only the manager of the owner's team and the admin decide; the owner may not approve.
        "quotes/<int:quote_id>/approval/decide/": Expect(
            kwargs=_quote_kwargs("pending"),
            get=not_allowed(),
            data=lambda cast: {"decision-decision": "approve"},
            post=_codes(owner=403, teammate=403, outsider=404, manager=302, manager_south=404, admin=302),
        ),
        # An empty send form answers 400 (nothing is sent).
        "quotes/<int:quote_id>/send/": Expect(kwargs=_quote_kwargs(), get=not_allowed(), post=change(400)),
        "quotes/<int:quote_id>/revise/": Expect(kwargs=_quote_kwargs("sent"), get=not_allowed(), post=change(302)),
        "quotes/<int:quote_id>/cancel/": Expect(kwargs=_quote_kwargs("sent"), get=not_allowed(), post=change(302)),
        "quotes/<int:quote_id>/link/revoke/": Expect(kwargs=_quote_kwargs("sent"), get=not_allowed(), post=change(302)),
        # The new link is shown once, in the answer (200).
        "quotes/<int:quote_id>/link/renew/": Expect(kwargs=_quote_kwargs("sent"), get=not_allowed(), post=change(200)),
        "quotes/<int:quote_id>/pdf/": Expect(kwargs=_quote_kwargs("sent"), get=see(200), post=not_allowed()),
    }
)


# --- e-mail (docs/email.md): compose, reply, the outbox, templates ---


def _owner_message(cast, source="inbox"):
    """A message of the owner linked to the deal (shared: the owner shares linked messages), or
    one the owner wrote in the CRM ("crm"); made on first use."""
    from django.utils import timezone

    from mail.models import EmailMessage

    message, _created = EmailMessage.objects.get_or_create(
        owner=cast.owner,
        message_id=f"<matrix-{source}@crm.test>",
        defaults={
            "source": source,
            "direction": "in" if source == "inbox" else "out",
            "subject": SECRET,
            "from_address": "customer@matrix.example",
            "sent_at": timezone.now(),
            "deal": cast.deal,
            "shared": source == "inbox",
            "delivery": "received" if source == "inbox" else "queued",
        },
    )
    return {"message_id": message.pk}


def _owner_template(cast):
    from mail.models import EmailTemplate

    template, _created = EmailTemplate.objects.get_or_create(
        owner=cast.owner, name="Matrix template", defaults={"subject": SECRET, "body": "Hallo"}
    )
    return {"template_id": template.pk}


def _installation_template(cast):
    from mail.models import EmailTemplate

    return EmailTemplate.objects.filter(owner__isnull=True).order_by("pk").first().pk


def _owner_and_admin(code):
    return _codes(owner=code, teammate=404, outsider=404, manager=404, manager_south=404, admin=code)


# --- e-mail (docs/email.md, "Privacy"): the cast's two messages of the owner ---


def _message(kind):
    return lambda cast: {"message_id": getattr(cast, f"{kind}_message").pk}


def _attachment(kind):
    def kwargs(cast):
        from mail.models import Attachment

        message = getattr(cast, f"{kind}_message")
        found = Attachment.objects.filter(message=message).first()
        if found is None:
            from django.core.files.base import ContentFile

            found = Attachment(message=message, filename="linked.txt", content_type="text/plain", size=6)
            found.file.save("linked.txt", ContentFile(b"linked"), save=False)
            found.save()
        return {"attachment_id": found.pk}

    return kwargs


def _readers(code, *, linked):
    """A message linked to the owner's deal: whoever sees the deal; an unlinked one: the owner
    alone (privacy beats hierarchy: not the manager, not the admin)."""
    return see(code) if linked else own(code)


EXPECTATIONS.update(
    {
        # Whoever sees the deal may write about it (GET with ?deal=); the POST, sent without a
        # record (an e-mail about nothing in particular), answers an empty form with 400.
        "mail/compose/": Expect(query=lambda cast: {"deal": cast.deal.pk}, get=see(200), post=everyone(400)),
        "mail/compose/addresses/": Expect(query=lambda cast: {"to": "Ma"}, get=everyone(200), post=not_allowed()),
        "mail/compose/template/": Expect(
            query=lambda cast: {"deal": cast.deal.pk, "template": _installation_template(cast)},
            get=see(200),
            post=not_allowed(),
        ),
        # A linked, shared message: whoever sees its deal may answer it (empty form: 400).
        "mail/messages/<int:message_id>/reply/": Expect(kwargs=_owner_message, get=see(200), post=see(400)),
        "mail/outbox/": Expect(get=everyone(200), post=not_allowed()),
        # The outbox: the owner's own; the admin's, every one.
        "mail/outbox/<int:message_id>/": Expect(
            kwargs=lambda cast: _owner_message(cast, "crm"), get=_owner_and_admin(200), post=not_allowed()
        ),
        "mail/templates/": Expect(get=everyone(200), post=everyone(400)),
        # A personal template: its owner and the admin edit it; nobody else sees it.
        "mail/templates/<int:template_id>/": Expect(
            kwargs=_owner_template, get=_owner_and_admin(200), post=_owner_and_admin(400)
        ),
        "mail/templates/<int:template_id>/delete/": Expect(
            kwargs=_owner_template, get=not_allowed(), post=_owner_and_admin(302)
        ),
        "mail/templates/<int:template_id>/preview/": Expect(kwargs=_owner_template, get=own(200), post=not_allowed()),
        "mail/messages/<int:message_id>/": Expect(
            kwargs=_message("unlinked"), get=_readers(200, linked=False), post=not_allowed()
        ),
        "mail/messages/<int:message_id>/html/": Expect(
            kwargs=_message("linked"), get=_readers(200, linked=True), post=not_allowed()
        ),
        "mail/attachments/<int:attachment_id>/": Expect(
            kwargs=_attachment("unlinked"), get=_readers(200, linked=False), post=not_allowed()
        ),
        # An empty form: the address is not one of the message's unknown ones (400), for its readers.
        "mail/messages/<int:message_id>/create-contact/": Expect(
            kwargs=_message("linked"), get=not_allowed(), post=_readers(400, linked=True)
        ),
        # Creating the lead of the unknown sender: her readers only (the owner alone).
        "mail/messages/<int:message_id>/create-lead/": Expect(
            kwargs=_message("unlinked"),
            get=not_allowed(),
            data=lambda cast: {"address": "frieda@unknown.example"},
            post=_readers(302, linked=False),
        ),
        # Only the owner picks the deal of her conversation; an empty choice answers 400.
        "mail/threads/<int:thread_id>/pick-deal/": Expect(
            kwargs=lambda cast: {"thread_id": cast.unlinked_message.thread_id},
            get=not_allowed(),
            post=own(400),
        ),
        "mail/deals/<int:deal_id>/last-contacted/": Expect(kwargs=_deal, get=see(200), post=not_allowed()),
    }
)


# --- nurturing: tracking and numbers (docs/nurturing.md) ---


def _matrix_sequence(cast):
    from nurturing.models import Sequence

    return {"sequence_id": Sequence.objects.get(name="Matrix sequence").pk}


EXPECTATIONS.update(
    {
        # Public: a token we did not sign is a 404 (never a redirect); only GET and HEAD are answered.
        "t/c/<str:token>/": Expect(kwargs=lambda cast: {"token": "1:not-signed"}, get=public(404), post=public(405)),
        "t/o/<str:token>.gif": Expect(kwargs=lambda cast: {"token": "not-signed"}, get=public(404), post=public(405)),
        # Every signed-in user sees the numbers of an active sequence, each in their own scope.
        "sequences/<int:sequence_id>/numbers/": Expect(kwargs=_matrix_sequence, get=everyone(200), post=not_allowed()),
    }
)

# Known differences from DESIGN §5, each with its reason. Strict: once an entry answers as
# designed, the matrix fails until the entry is deleted.
KNOWN_GAPS = {}


# --- the Django admin, generically ----------------------------------------------------------

# Admin URLs that are not a ModelAdmin's changelist/add/change/history/delete page, and what the
# admin gets from them (everyone else is sent to the admin's login page).
ADMIN_SPECIAL = {
    "admin:index": {"GET": 200},
    "admin:app_list": {"GET": 200},
    "admin:login": {"GET": 302},  # already signed in: on to the index
    "admin:logout": {"GET": 405},
    "admin:password_change": {"GET": 200},
    "admin:password_change_done": {"GET": 200},
    "admin:autocomplete": {"GET": 403},  # without a field to complete
    "admin:jsi18n": {"GET": 200},
    "admin:view_on_site": {"GET": 404},  # no model defines get_absolute_url
    "admin:auth_user_password_change": {"GET": 200},
    "admin:<object redirect>": {"GET": 302},  # <model>/<id>/ → <model>/<id>/change/
    "admin:<catch-all>": {"GET": 404},
}
ADMIN_ACTIONS = {
    "changelist": "has_view_or_change_permission",
    "add": "has_add_permission",
    "change": "has_view_or_change_permission",
    "history": "has_view_or_change_permission",
    "delete": "has_delete_permission",
}


# The nurturing app's pages (kept beside this file: this one is long enough).
from tests.core import access_nurturing  # noqa: E402 (needs the helpers above)

EXPECTATIONS.update(access_nurturing.EXPECTATIONS)

# The webhook pages (kept beside this file too).
from tests.core import access_webhooks  # noqa: E402 (needs the helpers above)

EXPECTATIONS.update(access_webhooks.EXPECTATIONS)
