"""The keys that tell likely duplicates apart, and the indexed matches of organizations and
contacts (unscoped; directory.duplicates scopes them)."""

import pytest

from customers import duplicates
from customers.models import ContactChannel, Organization
from tests import factories


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Müller GmbH", "mueller"),
        ("  MUELLER   gmbh. ", "mueller"),
        ("Müller & Co. KG", "mueller"),
        ("Schmidt und Co. KG", "schmidt"),
        ("Bäckerei Weiß e.K.", "baeckerei weiss"),
        ("Acme, Inc.", "acme"),
        ("Acme Ltd", "acme"),
        ("Café Crème SARL", "cafe creme"),
        ("AG", "ag"),  # a name that is only a legal form stays as it is
        ("Müller Logistik GmbH", "mueller logistik"),
    ],
)
def test_the_name_key_ignores_case_spaces_umlauts_and_legal_forms(name, key):
    assert duplicates.name_key(name) == key


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://www.Example.org/de/kontakt", "example.org"),
        ("example.org", "example.org"),
        ("ann@Example.ORG", "example.org"),
        ("", ""),
    ],
)
def test_the_domain_of_a_website_or_an_address(text, domain):
    assert duplicates.domain(text) == domain


def test_a_free_mail_domain_matches_nothing():
    assert duplicates.matching_domain("ann@gmail.com") == ""


@pytest.mark.django_db
def test_an_organization_keeps_its_keys_in_step_when_saved():
    organization = factories.OrganizationFactory(name="Müller GmbH", website="https://www.mueller.example")
    assert (organization.name_key, organization.website_domain) == ("mueller", "mueller.example")
    organization.name = "Schulz AG"
    organization.save(update_fields=["name"])
    organization.refresh_from_db()
    assert organization.name_key == "schulz"


@pytest.mark.django_db
def test_organizations_match_by_name_domain_and_vat_id():
    by_name = factories.OrganizationFactory(name="Mueller GmbH")
    by_domain = factories.OrganizationFactory(name="Other", website="https://www.mueller.example")
    by_vat = factories.OrganizationFactory(name="Third", vat_id="DE123456789")
    factories.OrganizationFactory(name="Unrelated")
    matches = duplicates.organization_matches(
        name="Müller", email_domain="mueller.example", vat_id="de 123 456 789"
    ).order_by("pk")
    flags = {m.pk: (m.same_name, m.same_domain, m.same_vat) for m in matches}
    assert flags == {
        by_name.pk: (True, False, False),
        by_domain.pk: (False, True, False),
        by_vat.pk: (False, False, True),
    }


@pytest.mark.django_db
def test_nothing_typed_matches_nothing(django_assert_num_queries):
    factories.OrganizationFactory(name="Anything")
    with django_assert_num_queries(0):
        assert list(duplicates.organization_matches(name="", website="https://gmail.com")) == []
        assert list(duplicates.contact_matches(emails=[""], phones=["not a number"])) == []


@pytest.mark.django_db
def test_an_organization_in_the_trash_or_excluded_is_no_match():
    gone = factories.OrganizationFactory(name="Mueller")
    Organization.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    kept = factories.OrganizationFactory(name="Mueller")
    assert list(duplicates.organization_matches(name="Müller")) == [kept]
    assert list(duplicates.organization_matches(name="Müller", exclude=[kept.pk])) == []


@pytest.mark.django_db
def test_contacts_match_by_main_and_further_addresses_and_numbers():
    main = factories.ContactFactory(email="Ann.Lee@Acme.example")
    further = factories.ContactFactory(email="other@acme.example")
    ContactChannel.objects.create(contact=further, kind="email", value="ANN.LEE@acme.example")
    phone = factories.ContactFactory(email="", phone="+49301234567")
    factories.ContactFactory(email="nobody@acme.example")
    matches = duplicates.contact_matches(emails=[" ann.lee@acme.EXAMPLE "], phones=["030 1234567"])
    flags = {m.pk: (m.same_email, m.same_phone) for m in matches}
    assert flags == {main.pk: (True, False), further.pk: (True, False), phone.pk: (False, True)}
