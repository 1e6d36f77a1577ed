from django.urls import path

from mail import mailbox_views

app_name = "mail"

urlpatterns = [
    path("accounts/mailbox/", mailbox_views.mailbox_page, name="mailbox"),
    path("accounts/mailbox/test/", mailbox_views.mailbox_test, name="mailbox_test"),
    path("accounts/mailbox/status/", mailbox_views.mailbox_status, name="mailbox_status"),
    path("accounts/mailbox/sync/", mailbox_views.mailbox_sync, name="mailbox_sync"),
    path("accounts/mailbox/preferences/", mailbox_views.mailbox_preferences, name="mailbox_preferences"),
    path("accounts/mailbox/disconnect/", mailbox_views.mailbox_disconnect, name="mailbox_disconnect"),
    path("accounts/mailbox/bcc-address/", mailbox_views.mailbox_bcc_address, name="mailbox_bcc_address"),
]
