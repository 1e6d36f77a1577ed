from django.urls import path

from deals import product_views

app_name = "products"

urlpatterns = [
    path("products/", product_views.product_list, name="list"),
    path("products/new/", product_views.product_new, name="new"),
    path("products/<int:product_id>/", product_views.product_edit, name="edit"),
    path("products/<int:product_id>/active/", product_views.product_active, name="active"),
]
