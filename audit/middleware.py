"""Every change made while handling a request is recorded with the signed-in user and
"web" as its source ("admin" inside the Django admin)."""

from django.urls import reverse

from audit import context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        admin_prefix = reverse("admin:index")
        source = context.Source.ADMIN if request.path.startswith(admin_prefix) else context.Source.WEB
        # Lazy: the user is only looked at when an entry is written.
        with context.recorded_as(source, actor=lambda: getattr(request, "user", None)):
            return self.get_response(request)
