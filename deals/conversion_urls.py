from django.urls import path

from deals import conversion_views

app_name = "conversion"

urlpatterns = [
    path("leads/<int:lead_id>/convert/", conversion_views.convert_lead, name="convert_lead"),
]
