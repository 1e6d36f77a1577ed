"""The page that converts an open lead into a deal (see deals/conversion.py): the lead page's
"Convert to deal", then this form with its defaults filled in — two steps."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import scoping
from accounts.models import User
from deals import conversion, conversion_selectors, selectors
from leads import selectors as lead_selectors
from leads import services as lead_services
from pipeline_crm import widgets


class ConvertLeadForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Deal title"), max_length=200)
    pipeline = forms.ModelChoiceField(label=gettext_lazy("Pipeline"), queryset=None, empty_label=None)
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=None, empty_label=None)
    value = forms.DecimalField(label=gettext_lazy("Value"), min_value=0, max_digits=14, decimal_places=2)
    expected_close_date = forms.DateField(
        label=gettext_lazy("Expected close date"), required=False, widget=widgets.DateInput
    )

    def __init__(self, *args, user, lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = selectors.pipeline_list()
        owners = scoping.assignable_users(user)
        if lead.owner_id:
            owners = owners | User.objects.filter(pk=lead.owner_id)
        self.fields["owner"].queryset = owners.distinct().order_by("username")
        default = selectors.pipeline_get_default()
        self.initial.setdefault("pipeline", default.pk if default else None)
        self.initial.setdefault("owner", lead.owner_id or user.pk)
        self.initial.setdefault("title", lead.company_name or lead.full_name)
        today = timezone.localdate()
        if default is not None:
            self.initial.setdefault(
                "value", conversion_selectors.typical_won_value(user=user, pipeline=default, today=today)
            )
        self.initial.setdefault("value", 0)
        self.initial.setdefault("expected_close_date", today + timedelta(days=conversion.DEFAULT_CLOSE_DAYS))


@require_http_methods(["GET", "POST"])
def convert_lead(request, lead_id):
    """404 outside the scope, 403 if the user may not change the lead; a lead that is not
    open (disqualified or already converted) gets a clear message (409) and nothing is saved."""
    lead = lead_selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    if not lead_services.can_change(request.user, lead):
        raise PermissionDenied(_("You may not convert this lead."))
    form = ConvertLeadForm(request.POST if request.method == "POST" else None, user=request.user, lead=lead)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                deal = conversion.lead_convert(
                    lead_id=lead.pk,
                    actor=request.user,
                    pipeline_id=data["pipeline"].pk,
                    owner=data["owner"],
                    value=data["value"],
                    title=data["title"],
                    expected_close_date=data["expected_close_date"],
                )
            except conversion.ConversionError as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(
                    request,
                    _("Lead converted: the deal “%(title)s” is in %(stage)s.")
                    % {"title": deal.title, "stage": deal.stage},
                )
                return redirect("deals:detail", deal_id=deal.pk)
        else:
            status = 400
    refusal = ""
    if request.method == "GET" and not lead_services.may_convert(lead):
        status = 409
        refusal = (
            _("This lead has already been converted into a deal.")
            if lead.status == lead.Status.CONVERTED
            else _("Only an open lead can be converted; this one is %(status)s.")
            % {"status": lead.get_status_display()}
        )
    return render(request, "deals/convert_lead.html", {"form": form, "lead": lead, "refusal": refusal}, status=status)
