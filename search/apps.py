from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        from django.db.backends.signals import connection_created

        from search import fold

        connection_created.connect(fold.register_sqlite_function, dispatch_uid="search_fold_sqlite")
