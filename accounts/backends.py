from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    A login from a request is refused while its user name or client IP is locked out. A call
    without a request (the test client's `login()`, a shell) comes from no client that could
    be throttled, so it passes on to the next backend instead of failing as axes would.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class UserWithTeamBackend(ModelBackend):
    """The standard backend, but the user of every request arrives with their team.

    Every page shows the team in the user menu and the scoping rules read `team_id`;
    loading the team with the user saves one query on every request.
    """

    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related("team").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
