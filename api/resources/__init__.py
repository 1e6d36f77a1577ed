"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import deals

ROUTERS = [
    ("/deals", deals.router),
]
