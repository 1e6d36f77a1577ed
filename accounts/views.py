from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import network, services
from accounts.forms import PasswordResetRequestForm, PreferencesForm


def preferences(request):
    """The user's profile (name, e-mail, signature, avatar colour) and settings; bad input comes
    back with its messages (400)."""
    form = PreferencesForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method != "POST":
        return render(request, "accounts/preferences.html", {"form": form})
    if form.is_valid():
        form.save()
        messages.success(request, _("Your preferences were saved."))
        return redirect("accounts:preferences")
    messages.error(request, _("Your preferences were not saved. Please correct the marked fields."))
    return render(request, "accounts/preferences.html", {"form": form}, status=400)


@require_POST
def language_set(request):
    """The user menu's language switch: store the choice on the user and go back to the page
    (`next`, else the referring page, else the board)."""
    if not services.user_language_set(user=request.user, language=request.POST.get("language", "")):
        return HttpResponseBadRequest(_("Unknown language."))
    return redirect(_back_url(request))


def _back_url(request):
    for candidate in (request.POST.get("next", ""), request.META.get("HTTP_REFERER", "")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "deals:board"


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset(request):
    """Ask for a reset link. Every valid address gets the same answer — the "sent" page —
    whether or not an account has it; only a rate limit (per IP, per address) refuses."""
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "registration/password_reset_form.html", {"form": form}, status=400)
        email = form.cleaned_data["email"]
        refusal = services.password_reset_refusal(client_ip=network.client_ip(request), email=email)
        if refusal:
            form.add_error(None, refusal)
            return render(request, "registration/password_reset_form.html", {"form": form}, status=429)
        services.password_reset_request(email=email, language=get_language())
        return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The new password from a reset link. The link proved the mailbox, so the user name's
    login lockout ends with it (failures of the same clients against other names still count)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_lockout_clear(username=form.user.get_username())
        return response


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a stale form (expired token, logged in elsewhere) in the product's look,
    with a link back to the page that held the form, so that a reload fixes it."""
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    context = {"reload_url": referer if referer and same_site else request.get_full_path()}
    return render(request, "403_csrf.html", context, status=403)
