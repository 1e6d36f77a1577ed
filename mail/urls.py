from django.urls import path

from mail import mailbox_views, message_views, views

app_name = "mail"

urlpatterns = [
    path("mail/compose/", views.compose, name="compose"),
    path("mail/compose/addresses/", views.addresses, name="addresses"),
    path("mail/compose/template/", views.compose_template, name="compose_template"),
    path("mail/messages/<int:message_id>/reply/", views.reply, name="reply"),
    path("mail/outbox/", views.outbox, name="outbox"),
    path("mail/outbox/<int:message_id>/", views.outbox_message, name="outbox_message"),
    path("mail/templates/", views.template_list, name="templates"),
    path("mail/templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("mail/templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("mail/templates/<int:template_id>/preview/", views.template_preview, name="template_preview"),
    path("accounts/mailbox/", mailbox_views.mailbox_page, name="mailbox"),
    path("accounts/mailbox/test/", mailbox_views.mailbox_test, name="mailbox_test"),
    path("accounts/mailbox/status/", mailbox_views.mailbox_status, name="mailbox_status"),
    path("accounts/mailbox/sync/", mailbox_views.mailbox_sync, name="mailbox_sync"),
    path("accounts/mailbox/preferences/", mailbox_views.mailbox_preferences, name="mailbox_preferences"),
    path("accounts/mailbox/disconnect/", mailbox_views.mailbox_disconnect, name="mailbox_disconnect"),
    path("accounts/mailbox/bcc-address/", mailbox_views.mailbox_bcc_address, name="mailbox_bcc_address"),
    path("mail/messages/<int:message_id>/", message_views.message_detail, name="message"),
    path("mail/messages/<int:message_id>/html/", message_views.message_html, name="message_html"),
    path("mail/messages/<int:message_id>/create-contact/", message_views.create_contact, name="create_contact"),
    path("mail/messages/<int:message_id>/create-lead/", message_views.create_lead, name="create_lead"),
    path("mail/attachments/<int:attachment_id>/", message_views.attachment_download, name="attachment"),
    path("mail/threads/<int:thread_id>/pick-deal/", message_views.thread_pick_deal, name="pick_deal"),
    path("mail/deals/<int:deal_id>/last-contacted/", message_views.deal_last_contacted, name="deal_last_contacted"),
]
