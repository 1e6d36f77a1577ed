"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import deals, webhooks

ROUTERS = [
    ("/deals", deals.router),
    ("/webhooks", webhooks.router),
]
