from django.conf import settings


def crm(request):
    """Values every page needs: the currency and the signed-in user's role flags."""
    user = getattr(request, "user", None)
    return {
        "CRM_CURRENCY": settings.CRM_CURRENCY,
        "user_is_admin": bool(user and user.is_authenticated and user.is_crm_admin),
    }
