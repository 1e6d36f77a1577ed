from django.urls import path

from deals import board_saved_views, new_deal_views, objection_views, views

app_name = "deals"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:pipeline_id>/", views.board, name="board_pipeline"),
    path("board/<int:pipeline_id>/poll/", views.board_poll, name="board_poll"),
    path("board/<int:pipeline_id>/views/", board_saved_views.board_views, name="board_views"),
    path("board/<int:pipeline_id>/stages/<int:stage_id>/more/", views.column_more, name="column_more"),
    path("board/<int:pipeline_id>/stages/<int:stage_id>/add/", views.deal_quick_add, name="quick_add"),
    path("deals/", views.deal_list, name="list"),
    path("deals/new/", new_deal_views.deal_new, name="new"),
    path("deals/<int:deal_id>/", views.deal_detail, name="detail"),
    path("deals/<int:deal_id>/move/", views.deal_move, name="move"),
    path("deals/<int:deal_id>/win/", views.deal_win, name="win"),
    path("deals/<int:deal_id>/follow-up/", views.deal_follow_up, name="follow_up"),
    path("deals/<int:deal_id>/lose/", views.deal_lose, name="lose"),
    path("deals/<int:deal_id>/reopen/", views.deal_reopen, name="reopen"),
    path("deals/<int:deal_id>/line-items/", views.line_item_add, name="line_item_add"),
    path("deals/<int:deal_id>/line-items/<int:line_id>/", views.line_item_edit, name="line_item_edit"),
    path("deals/<int:deal_id>/line-items/<int:line_id>/remove/", views.line_item_remove, name="line_item_remove"),
    path("deals/<int:deal_id>/objections/", objection_views.objections_panel, name="objections"),
    path("deals/<int:deal_id>/objections/add/", objection_views.objection_add, name="objection_add"),
    path("deals/<int:deal_id>/objections/<int:objection_id>/", objection_views.objection_edit, name="objection_edit"),
    path(
        "deals/<int:deal_id>/objections/<int:objection_id>/remove/",
        objection_views.objection_delete,
        name="objection_delete",
    ),
    path("deals/<int:deal_id>/customer-options/", views.customer_options, name="customer_options"),
    path("deals/<int:deal_id>/organizations/new/", views.organization_new, name="organization_new"),
    path("deals/<int:deal_id>/contacts/new/", views.contact_new, name="contact_new"),
]
