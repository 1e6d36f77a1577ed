import pytest

from leads import services
from leads.models import ScoringSettings, WebFormSettings
from tests import factories
from tests.workers import worker_broker  # noqa: F401 (a fixture of the tests that kill workers)


@pytest.fixture(autouse=True)
def _settings_rows(request):
    """The migration creates the two settings rows; a transactional test elsewhere may
    have flushed them from a reused test database, so make sure they are there."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            ScoringSettings.get_solo()
            WebFormSettings.get_solo()
            return


@pytest.fixture
def make_lead():
    """make_lead(owner=..., **fields): a lead created through the service (score and history included)."""

    def _make(*, owner, actor=None, **fields):
        fields.setdefault("last_name", "Lovelace")
        fields.setdefault("first_name", "Lena")
        fields.setdefault("company_name", "Acme GmbH")
        fields.setdefault("email", f"lead{factories.LeadFactory._meta.model.objects.count() + 1}@acme.example")
        return services.lead_create(actor=actor or owner, owner=owner, **fields)

    return _make
