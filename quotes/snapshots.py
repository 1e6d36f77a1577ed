"""The seller and the buyer as a quote states them: copied into the quote when it is sent, so a sent
quote shows what was true then (a draft's PDF preview reads them live)."""


def seller_snapshot(profile):
    fields = (
        "company_name", "legal_form", "street", "postal_code", "city", "country", "phone", "email", "website",
        "registered_office", "register_court", "register_number", "managing_directors", "vat_id", "tax_number",
        "bank_name", "iban", "bic",
    )  # fmt: skip
    snapshot = {name: getattr(profile, name) for name in fields}
    snapshot["logo"] = profile.logo.name if profile.logo else ""
    return snapshot


def buyer_snapshot(deal):
    organization, contact = deal.organization, deal.contact
    buyer = {"organization": "", "street": "", "postal_code": "", "city": "", "country": "", "vat_id": ""}
    if organization is not None:
        buyer.update(
            organization=organization.name,
            street=organization.street,
            postal_code=organization.postal_code,
            city=organization.city,
            country=organization.country,
            vat_id=organization.vat_id,
        )
    buyer["contact"] = f"{contact.first_name} {contact.last_name}".strip() if contact is not None else ""
    buyer["email"] = contact.email if contact is not None else ""
    return buyer
