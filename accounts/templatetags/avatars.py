from django import template

from accounts import avatar as avatars

register = template.Library()


@register.simple_tag
def avatar(user):
    """The initials avatar of `user` in their colour (accounts/avatar.py)."""
    return avatars.avatar_html(user)
