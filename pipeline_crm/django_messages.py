"""Messages of Django itself that its German catalog (Django 6.1) leaves untranslated.

They are written here as message ids so that the project's catalog, which comes first
(LOCALE_PATHS), carries their German and `makemessages` keeps them (docs/translations.md).
Nothing imports this module; each string is exactly Django's.
"""

from django.utils.translation import gettext_noop

DJANGO_MESSAGES = [
    gettext_noop("- Select an option -"),  # the empty choice of a model field's select
    gettext_noop("Search %(name)s"),  # the admin's changelist search form (its heading)
    gettext_noop("Reset password"),  # the admin's user form
    gettext_noop("Password-based authentication"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
]
