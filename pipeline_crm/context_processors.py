from django.conf import settings

from accounts import localization


def crm(request):
    """Values every page needs: the currency, the signed-in user's role flags, the language menu."""
    user = getattr(request, "user", None)
    return {
        "CRM_CURRENCY": settings.CRM_CURRENCY,
        "user_is_admin": bool(user and user.is_authenticated and user.is_crm_admin),
        "CRM_LANGUAGE_MENU": localization.language_menu(),
    }
