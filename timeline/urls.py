from django.urls import path

from timeline import views

app_name = "timeline"

urlpatterns = [
    path("deals/<int:deal_id>/timeline/", views.deal_timeline, name="deal"),
    path("leads/<int:lead_id>/timeline/", views.lead_timeline, name="lead"),
]
