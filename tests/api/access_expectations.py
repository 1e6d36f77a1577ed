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
    listed=roles whose list contains `cast.deal` (list operations only)).
Adding a resource is a matter of adding its rows (and, if it needs one, a record to the cast).
"""

from dataclasses import dataclass

ROLES = ("owner", "teammate", "outsider", "manager", "manager_south", "admin")
SEE = frozenset({"owner", "teammate", "manager", "admin"})  # who sees the owner's records


def everyone(code):
    return dict.fromkeys(ROLES, code)


def see(code):
    """A record of the owner: the owner, her team, the team's manager and the admin see it."""
    return {role: code if role in SEE else 404 for role in ROLES}


def change(code):
    """A change to the owner's record: the owner, the team's manager and the admin may; the
    teammate sees it but may not change it (403); outside the scope it does not exist (404)."""
    return {**see(code), "teammate": 403}


@dataclass(frozen=True)
class Op:
    url: object  # cast -> str
    expected: dict
    body: object = None  # cast -> dict
    listed: frozenset | None = None  # list operations: roles that find cast.deal in the results
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
