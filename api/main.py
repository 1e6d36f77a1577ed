"""The REST API (`/api/v1/`), built with django-ninja (docs/api.md says why).

Each resource is a Router in `api/resources/` whose operations call the apps' scoped
selectors and services, the same ones the pages call: the API has no rules of its own
about who may see or change what. Authentication, the rate limit and problem+json errors
apply to every operation from here.
"""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from api import authentication, errors, throttling


class Renderer(JSONRenderer):
    # Decimal and dates are already strings in the schemas; this only sets the media type.
    media_type = "application/json"


class Api(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        # The view function's name (`deal_list`, `deal_move`): readable and stable while the
        # function keeps its name; tests/api/test_schema.py checks that they are unique.
        return operation.view_func.__name__


api = Api(
    title="Pipeline CRM API",
    version="1",
    description="Deals, leads, customers, activities, quotes and more, with the same rights and rules as the app. "
    "See docs/api.md.",
    urls_namespace="api",
    auth=authentication.AUTH,
    throttle=[throttling.PerCallerThrottle()],
    renderer=Renderer(),
    docs_url=None,
)
errors.install(api)


def _add_routers():
    from api.resources import ROUTERS

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)


_add_routers()
