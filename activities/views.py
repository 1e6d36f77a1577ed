from django.shortcuts import render

from activities.models import Activity


def activity_list(request):
    activities = (
        Activity.objects.filter(assignee=request.user, done_at__isnull=True)
        .select_related("deal", "lead")
        .order_by("due_at", "id")[:100]
    )
    return render(request, "activities/activity_list.html", {"activities": activities})
