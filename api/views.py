"""The preferences' personal access tokens: create (the token is shown once, in the answer to
the POST that made it, and never again), list, revoke; and the admins' overview of every
user's tokens. The work is done by `api.tokens`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import scoping
from api import tokens
from api.forms import TokenForm


def _no_store(response):
    add_never_cache_headers(response)  # the page may carry a new token: no cache keeps it
    return response


@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's tokens and the form for a new one. A valid POST answers the page itself (no
    redirect) with the new token in it: it is never stored, so it cannot be shown again."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_token = raw = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new_token, raw = tokens.token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=form.expires_at(),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error("expires_on" if field == "expires_at" else field, errors)
        if new_token is None:
            status = 400
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": tokens.tokens_for_user(user=request.user),
        "new_token": new_token,
        "raw_token": raw,
        "is_admin": scoping.is_admin(request.user),
    }
    return _no_store(render(request, "api/tokens.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def token_revoke(request, token_id):
    """GET: the confirmation; POST: revoke. Someone else's token is a 404 (an admin's: any)."""
    token = tokens.token_for_actor(actor=request.user, token_id=token_id)
    if token is None:
        raise Http404
    back = "api-tokens" if token.user_id == request.user.pk else "api-tokens-all"
    if request.method == "GET":
        return render(request, "api/token_revoke.html", {"token": token, "back": back})
    tokens.token_revoke(actor=request.user, token_id=token.pk)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect(back)


@never_cache
@require_GET
def token_all(request):
    """Admins: every user's tokens, to find and revoke one (others: 403)."""
    if not scoping.is_admin(request.user):
        raise PermissionDenied
    page = Paginator(tokens.all_tokens(), 50).get_page(request.GET.get("page"))
    return render(request, "api/tokens_all.html", {"page": page, "tokens": page.object_list})
