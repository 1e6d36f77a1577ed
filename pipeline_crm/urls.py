from django.contrib import admin
from django.urls import include, path

from pipeline_crm import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    # Before the accounts app's includes: /accounts/mailbox/ is the mail app's page.
    path("", include("mail.urls")),
    path("accounts/", include("accounts.auth_urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("deals.urls")),
    path("", include("leads.urls")),
    path("", include("deals.conversion_urls")),
    path("", include("deals.product_urls")),
    path("", include("activities.urls")),
    path("", include("quotes.urls")),
    path("", include("timeline.urls")),
    path("", include("directory.organization_urls")),
    path("", include("directory.contact_urls")),
    path("", include("directory.merge_urls")),
    path("", include("lists.urls")),
    path("", include("transfer.urls")),
    path("", include("nurturing.urls")),
    path("", include("analytics.urls")),
    path("", include("search.urls")),
    path("", include("api.urls")),
    path("webhooks/", include("webhooks.urls")),
]
