"""The nurturing app's URLs under one namespace: the public consent and tracking pages (no
login) and the sequences and segments pages."""

from nurturing import consent_urls, sequence_urls, tracking_urls

app_name = "nurturing"

urlpatterns = [*consent_urls.urlpatterns, *tracking_urls.urlpatterns, *sequence_urls.urlpatterns]
