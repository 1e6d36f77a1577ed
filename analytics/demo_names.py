"""Company names of the demo data: German-sounding, distinct and without numbers.

A name is a brand (a place or landscape word and a material or trade word: "Rheinglas",
"Isarwerk"), a line of business and, past the first few thousand, a town: "Rheinglas
Logistik GmbH", "Isarwerk Medizintechnik Bremen AG". The legal form varies but never tells
two organizations apart, because the duplicate check ignores it (customers.keys.name_key): the
brand, business and town together are unique for the first `CAPACITY` indexes, so the demo
shows no false duplicates. Leads take their names from the other end of the sequence (companies
not yet in the CRM); only when organizations and leads together pass the capacity do names repeat.
"""

import re

from customers.keys import UMLAUTS

BRAND_FIRST = ["Nord", "Süd", "Alpen", "Rhein", "Elb", "Spree", "Isar", "Main", "Hansa", "Berg", "Tal", "Wald"]
BRAND_SECOND = [
    "stahl",
    "glas",
    "werk",
    "haus",
    "licht",
    "tec",
    "form",
    "kraft",
    "bau",
    "wert",
    "stern",
    "feld",
    "quelle",
    "brück",
]
BUSINESSES = [
    "Maschinenbau",
    "Logistik",
    "Software",
    "Medizintechnik",
    "Energie",
    "Bautechnik",
    "Consulting",
    "Handel",
    "Elektrotechnik",
    "Systeme",
    "Verpackung",
    "Kunststofftechnik",
]
TOWNS = [
    "",
    "Hamburg",
    "Bremen",
    "Kiel",
    "Hannover",
    "Leipzig",
    "Dresden",
    "Köln",
    "Mainz",
    "Freiburg",
    "Augsburg",
    "Regensburg",
    "Rostock",
    "Kassel",
]
LEGAL_FORMS = ["GmbH", "AG", "KG", "GmbH & Co. KG", "SE", "UG"]
CAPACITY = len(BRAND_FIRST) * len(BRAND_SECOND) * len(BUSINESSES) * len(TOWNS)

# A stride coprime with every list length walks the combinations in a mixed order, so that
# neighbouring indexes do not share brand and business.
_STRIDE = 7_919


def company_parts(index):
    """(brand, business, town, legal form) of the `index`-th demo company (0-based)."""
    n = (index % CAPACITY) * _STRIDE % CAPACITY
    n, first = divmod(n, len(BRAND_FIRST))
    n, second = divmod(n, len(BRAND_SECOND))
    n, business = divmod(n, len(BUSINESSES))
    town = n % len(TOWNS)
    brand = BRAND_FIRST[first] + BRAND_SECOND[second]
    return brand, BUSINESSES[business], TOWNS[town], LEGAL_FORMS[index % len(LEGAL_FORMS)]


def company_name(index):
    brand, business, town, legal_form = company_parts(index)
    return " ".join(part for part in (brand, business, town, legal_form) if part)


def company_domain(index):
    """The company's web domain under .example: "rheinglas-logistik-bremen.example"."""
    brand, business, town, _legal_form = company_parts(index)
    words = (part.casefold().translate(UMLAUTS) for part in (brand, business, town) if part)
    return "-".join(re.sub(r"[^a-z0-9]+", "", word) for word in words) + ".example"


def lead_company_name(index):
    """The `index`-th lead's company (0-based), counted from the end of the sequence."""
    return company_name(CAPACITY - 1 - index)
