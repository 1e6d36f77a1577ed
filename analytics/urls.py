from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/deals/", views.deals_behind, name="drilldown"),
    path("dashboard/export/<slug:section>.csv", views.export_csv, name="export"),
]
