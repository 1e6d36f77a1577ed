"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import activities, contacts, deals, leads, organizations, quotes

ROUTERS = [
    ("/deals", deals.router),
    ("/organizations", organizations.router),
    ("/contacts", contacts.router),
    ("/leads", leads.router),
    ("/activities", activities.router),
    ("/quotes", quotes.router),
]
