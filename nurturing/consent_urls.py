"""The consent pages of the nurturing app (nurturing/urls.py joins them under one namespace)."""

urlpatterns = []
