from django.urls import path

from transfer import views

app_name = "transfer"

urlpatterns = [
    path("import/<slug:record_type>/", views.import_upload, name="upload"),
    path("imports/<int:job_id>/", views.import_detail, name="detail"),
    path("imports/<int:job_id>/check/", views.import_check, name="check"),
    path("imports/<int:job_id>/confirm/", views.import_confirm, name="confirm"),
    path("imports/<int:job_id>/discard/", views.import_discard, name="discard"),
    path("export/<slug:record_type>.<slug:file_format>", views.export, name="export"),
]
