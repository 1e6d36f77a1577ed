"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import (
    activities,
    contacts,
    deals,
    leads,
    organizations,
    pipelines,
    products,
    quotes,
    users,
    webhooks,
)

ROUTERS = [
    ("/deals", deals.router),
    ("/pipelines", pipelines.router),
    ("/lost-reasons", pipelines.lost_reasons_router),
    ("/products", products.router),
    ("/organizations", organizations.router),
    ("/contacts", contacts.router),
    ("/leads", leads.router),
    ("/activities", activities.router),
    ("/quotes", quotes.router),
    ("/users", users.router),
    ("/teams", users.teams_router),
    ("/webhooks", webhooks.router),
]
