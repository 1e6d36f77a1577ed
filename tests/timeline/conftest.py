import pytest
from django.contrib.contenttypes.models import ContentType

from activities.models import Activity
from customers.models import Contact, Organization
from deals.models import Deal
from leads.models import Lead


@pytest.fixture
def warm_content_types(db):
    """Content types are cached per process in production; count queries like there."""
    for model in (Deal, Lead, Organization, Contact, Activity):
        ContentType.objects.get_for_model(model)
