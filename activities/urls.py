from django.urls import path

from activities import calendar_views, views

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="list"),
    path("activities/<int:activity_id>/", views.activity_item, name="item"),
    path("activities/<int:activity_id>/edit/", views.activity_edit, name="edit"),
    path("activities/<int:activity_id>/done/", views.activity_done, name="done"),
    path("activities/<int:activity_id>/reopen/", views.activity_reopen, name="reopen"),
    path("activities/<int:activity_id>/postpone/", views.activity_postpone, name="postpone"),
    path("activities/<int:activity_id>/reschedule/", calendar_views.calendar_reschedule, name="reschedule"),
    path("activities/calendar/", calendar_views.calendar_page, name="calendar"),
    path("activities/calendar/events/", calendar_views.calendar_events, name="calendar_events"),
    path("activities/calendar/feed/", calendar_views.calendar_feed, name="calendar_feed"),
    path("calendar/<str:token>.ics", calendar_views.calendar_feed_ics, name="calendar_feed_ics"),
    path("activities/deal/<int:deal_id>/", views.deal_panel, name="deal_panel"),
    path("activities/deal/<int:deal_id>/log-done/", views.deal_log_done, name="deal_log_done"),
    path("activities/lead/<int:lead_id>/log-done/", views.lead_log_done, name="lead_log_done"),
    path("activities/lead/<int:lead_id>/", views.lead_panel, name="lead_panel"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
]
