from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="list"),
    path("leads/export.csv", views.lead_export, name="export"),
    path("leads/new/", views.lead_create, name="create"),
    path("leads/<int:lead_id>/", views.lead_detail, name="detail"),
    path("leads/<int:lead_id>/edit/", views.lead_edit, name="edit"),
    path("leads/<int:lead_id>/qualify/", views.lead_qualify, name="qualify"),
    path("leads/<int:lead_id>/status/", views.lead_status, name="status"),
    path("leads/<int:lead_id>/consent/", views.lead_consent, name="consent"),
    path("leads/import/", views.import_upload, name="import"),
    path("leads/import/<int:import_id>/", views.import_detail, name="import_detail"),
    path("leads/import/<int:import_id>/encoding/", views.import_reread, name="import_reread"),
    path("leads/import/<int:import_id>/columns/", views.import_columns, name="import_columns"),
    path("leads/import/<int:import_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("leads/import/<int:import_id>/discard/", views.import_discard, name="import_discard"),
    path("leads/import/<int:import_id>/retry/", views.import_retry, name="import_retry"),
    path("forms/lead/", views.webform, name="webform"),
    path("forms/lead/thanks/", views.webform_thanks, name="webform_thanks"),
]
