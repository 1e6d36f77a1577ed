"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import activities, deals, quotes

ROUTERS = [
    ("/deals", deals.router),
    ("/activities", activities.router),
    ("/quotes", quotes.router),
]
