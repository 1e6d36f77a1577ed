from analytics import demo_names
from customers.keys import name_key


def test_every_demo_company_up_to_the_capacity_is_distinct_for_the_duplicate_check():
    keys = {name_key(demo_names.company_name(i)) for i in range(demo_names.CAPACITY)}
    domains = {demo_names.company_domain(i) for i in range(demo_names.CAPACITY)}
    assert len(keys) == len(domains) == demo_names.CAPACITY


def test_demo_company_names_read_like_german_companies():
    assert demo_names.company_name(0) == "Nordstahl Maschinenbau GmbH"
    assert demo_names.company_domain(0) == "nordstahl-maschinenbau.example"
    name = demo_names.company_name(7)
    assert not any(c.isdigit() for c in name)
    assert name.split()[-1] in {"GmbH", "AG", "KG", "SE", "UG"}


def test_lead_companies_come_from_the_other_end_of_the_sequence():
    assert demo_names.lead_company_name(0) == demo_names.company_name(demo_names.CAPACITY - 1)
    organizations = {demo_names.company_name(i) for i in range(100)}
    assert not organizations & {demo_names.lead_company_name(i) for i in range(100)}
