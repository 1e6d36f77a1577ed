from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe


@require_GET
@never_cache
@login_not_required
def healthz(request):
    """200 when the database answers a query, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "database": str(exc.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_safe
@never_cache
@login_not_required
def healthz_live(request):
    """Liveness: 200 "ok" while the process serves requests, without touching the database,
    the session or the cache. Also the load test's baseline, the cheapest Django view
    (bench/README.md); /healthz is the readiness check that asks the database."""
    return HttpResponse(b"ok", content_type="text/plain")


def home(request):
    return redirect("deals:board")
