"""Django's LoginRequiredMiddleware, aware of htmx.

A page left open after its session ended (the board overnight, a logout in another tab)
still polls and posts with htmx. A plain redirect to the login page would be followed by the
browser inside that request and its HTML swapped into a column or dropped; instead the
htmx request gets `HX-Redirect` to the login page, which returns to the page the user was on.
"""

from django.contrib.auth import middleware
from django.contrib.auth.views import redirect_to_login
from django_htmx.http import HttpResponseClientRedirect


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    def handle_no_permission(self, request, view_func):
        htmx = getattr(request, "htmx", None)
        if not htmx:
            return super().handle_no_permission(request, view_func)
        page = htmx.current_url_abs_path or "/"
        login = redirect_to_login(page, self.get_login_url(view_func), self.get_redirect_field_name(view_func))
        return HttpResponseClientRedirect(login.url)
