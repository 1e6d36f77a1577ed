from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="list"),
]
