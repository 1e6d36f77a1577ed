from django.urls import path

from mail import views

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
]
