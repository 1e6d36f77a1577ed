"""Schemathesis over the whole committed schema: every operation, generated valid and invalid
requests, as an admin's and as a rep's write token. The one check: no 5xx (bad input is a 4xx
problem, never a server error).

Generic on purpose: the operations come from the schema (api/openapi.json is the code's,
tests/api/test_schema.py sees to that), so an operation merged later is fuzzed without a line
here. Path and body parameters named `<model>_id` are pointed at existing rows of the model of
that name half of the time (`deal_id` → a Deal, `stage_id` → a Stage), so that the operations
get past their 404s and run their real work on seeded data.

Bounded: MAX_EXAMPLES per operation and role in the fuzzing phase (plus the schema's
explicit examples), so the run stays within a couple of minutes on SQLite.
`-m "not schemathesis"` leaves it out of a quick local run; CI (`make test`) runs it.
"""

import json
from functools import cache

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from api import schema_file
from api.models import ApiToken
from tests import factories
from tests.api.helpers import token_for

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]

MAX_EXAMPLES = 30

# The explicit examples and the fuzzing phase (valid and invalid requests). The coverage phase
# is left out: it sends ~100 boundary variants per list operation (each filter parameter in
# turn), which would take the run over its time budget once every resource is in; the fuzzing
# phase's invalid requests cover the same kinds of bad input at random.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(json.loads(schema_file.render()), config=CONFIG)
schema.app = get_wsgi_application()

# The seeded rows' ids, by model name, for the test that runs (set by the `seeded` fixture).
_KNOWN = {}


@cache
def _model_named(name):
    for model in apps.get_models():
        if model._meta.model_name == name.replace("_", ""):
            return model
    return None


def _known_ids(param):
    """Ids of existing rows for a parameter named `<model>_id` (e.g. deal_id, stage_id)."""
    if not param.endswith("_id"):
        return []
    name = param[: -len("_id")]
    if name not in _KNOWN:
        model = _model_named(name)
        _KNOWN[name] = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:20]) if model else []
    return _KNOWN[name]


def _point_at_rows(values):
    """Half of the generated integer `*_id`s replaced by an existing row's id (the choice made
    from the generated value, so that hypothesis still shrinks and replays)."""
    if not isinstance(values, dict):
        return values
    mapped = dict(values)
    for name, value in values.items():
        ids = _known_ids(name) if isinstance(name, str) else []
        if ids and isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            mapped[name] = ids[(value // 2) % len(ids)]
    return mapped


@schema.hook
def map_path_parameters(context, path_parameters):
    return _point_at_rows(path_parameters)


@schema.hook
def map_body(context, body):
    return _point_at_rows(body)


@schema.hook
def map_query(context, query):
    return _point_at_rows(query)


@pytest.fixture
def _connection_kept():
    """The WSGI app closes the database connection after each request (request_started and
    request_finished → close_old_connections), which would end the test's transaction on
    PostgreSQL. Django's test client disconnects the same handler; so does this, for the test."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(_connection_kept, rep, teammate, outsider, manager, admin, stages, settings):
    """A few records of every kind the API offers, owned across the cast."""
    settings.API_RATE_LIMIT = "100000/min"
    _KNOWN.clear()
    for owner in (rep, rep, teammate, outsider):
        deal = factories.DealFactory(owner=owner, stage=stages[0])
        factories.ContactFactory(organization=deal.organization)
        factories.LeadFactory(owner=owner)
        factories.ActivityFactory(deal=deal)
    yield
    _KNOWN.clear()


def _fuzz(case, user):
    raw = _TOKENS.get(user.pk)
    if raw is None:
        raw = _TOKENS[user.pk] = token_for(user, ApiToken.Scope.WRITE, name="schemathesis")
    case.call_and_validate(headers={"Authorization": f"Bearer {raw}"}, checks=[not_a_server_error])


_TOKENS = {}


@pytest.fixture
def tokens_reset():
    _TOKENS.clear()
    yield
    _TOKENS.clear()


_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@schema.parametrize()
@_SETTINGS
def test_no_operation_answers_an_admin_with_a_server_error(case, seeded, tokens_reset, admin):
    _fuzz(case, admin)


@schema.parametrize()
@_SETTINGS
def test_no_operation_answers_a_rep_with_a_server_error(case, seeded, tokens_reset, rep):
    _fuzz(case, rep)
