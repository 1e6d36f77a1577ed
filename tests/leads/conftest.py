import pytest

from leads import services
from tests import factories


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
