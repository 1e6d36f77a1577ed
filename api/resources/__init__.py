"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import contacts, deals, leads, organizations

ROUTERS = [
    ("/deals", deals.router),
    ("/organizations", organizations.router),
    ("/contacts", contacts.router),
    ("/leads", leads.router),
]
