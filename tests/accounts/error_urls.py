"""The product's URLs plus views that fail on purpose, for the error-page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from pipeline_crm.urls import urlpatterns as product_urlpatterns


def refuse(request):
    raise PermissionDenied("You may not change this lead.")


def bad(request):
    raise BadRequest("junk")


def crash(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("fail/403/", refuse),
    path("fail/400/", bad),
    path("fail/500/", crash),
    *product_urlpatterns,
]
