from django.urls import path

from timeline import views

app_name = "organizations"

urlpatterns = [
    path("organizations/<int:organization_id>/", views.organization_detail, name="detail"),
    path("organizations/<int:organization_id>/timeline/", views.organization_timeline, name="timeline"),
]
