from django.urls import path

from analytics import goal_views, views

app_name = "analytics"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/deals/", views.deals_behind, name="drilldown"),
    path("dashboard/export/<slug:section>.csv", views.export_csv, name="export"),
    path("goals/", goal_views.goals_page, name="goals"),
    path("goals/new/", goal_views.goal_new, name="goal_new"),
    path("goals/<int:goal_id>/edit/", goal_views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/delete/", goal_views.goal_delete, name="goal_delete"),
    path("goals/mine/", goal_views.goals_mine, name="goals_mine"),
    path("goals/dashboard/", goal_views.dashboard_goals, name="goals_dashboard"),
]
