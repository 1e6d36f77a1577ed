"""The rep's and the manager's quote pages. `/deals/<id>/quotes/new/`, `/quotes/<id>/` and
`/quotes/<id>/pdf/` are contract paths (DESIGN §9). The customer's page `/q/<token>/` (no login)
has its own module, quotes/public_urls.py, included here so that its names share the `quotes`
namespace (`quotes:public`, …): two includes with one namespace cannot both be reversed."""

from django.urls import include, path

from quotes import action_views, views

app_name = "quotes"

urlpatterns = [
    path("deals/<int:deal_id>/quotes/", views.deal_panel, name="deal_panel"),
    path("deals/<int:deal_id>/quotes/new/", views.quote_new, name="new"),
    path("quotes/approvals/", action_views.approvals, name="approvals"),
    path("quotes/<int:quote_id>/", views.quote_detail, name="detail"),
    path("quotes/<int:quote_id>/lines/", views.line_add, name="line_add"),
    path("quotes/<int:quote_id>/lines/<int:line_id>/", views.line_edit, name="line_edit"),
    path("quotes/<int:quote_id>/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path("quotes/<int:quote_id>/approval/request/", action_views.approval_request, name="approval_request"),
    path("quotes/<int:quote_id>/approval/withdraw/", action_views.approval_withdraw, name="approval_withdraw"),
    path("quotes/<int:quote_id>/approval/decide/", action_views.approval_decide, name="approval_decide"),
    path("quotes/<int:quote_id>/send/", action_views.quote_send, name="send"),
    path("quotes/<int:quote_id>/revise/", action_views.quote_revise, name="revise"),
    path("quotes/<int:quote_id>/cancel/", action_views.quote_cancel, name="cancel"),
    path("quotes/<int:quote_id>/link/revoke/", action_views.link_revoke, name="link_revoke"),
    path("quotes/<int:quote_id>/link/renew/", action_views.link_renew, name="link_renew"),
    path("quotes/<int:quote_id>/pdf/", action_views.quote_pdf, name="pdf"),
    path("q/", include("quotes.public_urls")),
]
