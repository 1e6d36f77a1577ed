from django.urls import path

from mail import message_views

app_name = "mail"

urlpatterns = [
    path("mail/messages/<int:message_id>/", message_views.message_detail, name="message"),
    path("mail/messages/<int:message_id>/html/", message_views.message_html, name="message_html"),
    path("mail/messages/<int:message_id>/create-contact/", message_views.create_contact, name="create_contact"),
    path("mail/messages/<int:message_id>/create-lead/", message_views.create_lead, name="create_lead"),
    path("mail/attachments/<int:attachment_id>/", message_views.attachment_download, name="attachment"),
    path("mail/threads/<int:thread_id>/pick-deal/", message_views.thread_pick_deal, name="pick_deal"),
    path("mail/deals/<int:deal_id>/last-contacted/", message_views.deal_last_contacted, name="deal_last_contacted"),
]
