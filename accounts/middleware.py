"""Django's LoginRequiredMiddleware, aware of htmx; and the user's language and time zone.

A page left open after its session ended (the board overnight, a logout in another tab)
still polls and posts with htmx. A plain redirect to the login page would be followed by the
browser inside that request and its HTML swapped into a column or dropped; instead the
htmx request gets `HX-Redirect` to the login page, which returns to the page the user was on.
"""

from django.contrib.auth import middleware
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone, translation
from django_htmx.http import HttpResponseClientRedirect

from accounts import localization


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    def handle_no_permission(self, request, view_func):
        htmx = getattr(request, "htmx", None)
        if not htmx:
            return super().handle_no_permission(request, view_func)
        page = htmx.current_url_abs_path or "/"
        login = redirect_to_login(page, self.get_login_url(view_func), self.get_redirect_field_name(view_func))
        return HttpResponseClientRedirect(login.url)


class UserLocaleMiddleware:
    """The signed-in user's language and time zone for the pages that need a login.

    LocaleMiddleware has already chosen the browser's language (Accept-Language, then
    LANGUAGE_CODE); a user who picked a language in the preferences or the user menu gets that
    one instead. The user's time zone (else the installation's) is activated for the request,
    so "today", "overdue" and every time shown are the user's.

    Only views that need a login (after LoginRequiredMiddleware): the login page and the
    public pages for customers follow the browser, and reading them loads no user.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        timezone.activate(localization.user_time_zone(user))
        language = localization.supported_language(user.language)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return None
