from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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
