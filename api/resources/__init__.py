"""The API's resources, one Router each, mounted under /api/v1/ in this order."""

from api.resources import deals, pipelines, products, users

ROUTERS = [
    ("/deals", deals.router),
    ("/pipelines", pipelines.router),
    ("/lost-reasons", pipelines.lost_reasons_router),
    ("/products", products.router),
    ("/users", users.router),
    ("/teams", users.teams_router),
]
