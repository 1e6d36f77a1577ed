"""The "+ Deal" page of the header (`/deals/new/`): a new deal owned by the user in any stage of
an active pipeline; `?stage=<id>` preselects the stage (the board's columns link here)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from deals import forms, services


@require_http_methods(["GET", "POST"])
def deal_new(request):
    if request.method == "POST":
        form = forms.NewDealForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            deal = services.deal_quick_add(
                actor=request.user,
                stage=data["stage"],
                title=data["title"],
                value=data["value"],
                organization_name=data["organization"],
                expected_close_date=data["expected_close_date"],
            )
            messages.success(request, _("“%(deal)s” added.") % {"deal": deal.title})
            return redirect(reverse("deals:detail", args=[deal.pk]))
        status = 400
    else:
        initial = {}
        stage = request.GET.get("stage", "")
        if stage.isdigit():
            initial["stage"] = int(stage)
        form = forms.NewDealForm(initial=initial)
        status = 200
    template = "deals/deal_new.html#form" if request.htmx else "deals/deal_new.html"
    return render(request, template, {"form": form}, status=status)
