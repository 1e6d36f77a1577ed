"""System checks that read the database (run by `manage.py check --database default` and `migrate`)."""

from django.core import checks
from django.db import DatabaseError, connections

from activities import subjects


@checks.register(checks.Tags.database)
def check_rule_subjects(app_configs=None, databases=None, **kwargs):
    """activities.W001: a follow-up rule saved before subjects were validated uses an unknown
    placeholder or a stray brace; its activities show that text as written until the rule is fixed."""
    from activities.models import FollowUpRule

    warnings = []
    for alias in databases or []:
        try:
            if FollowUpRule._meta.db_table not in connections[alias].introspection.table_names():
                continue  # before the first migration
            rules = list(FollowUpRule.objects.using(alias).order_by("pk").values_list("pk", "name", "subject_template"))
        except DatabaseError:
            continue
        for pk, name, template in rules:
            problems = subjects.template_errors(template)
            if problems:
                warnings.append(
                    checks.Warning(
                        f"“{name}”: subject “{template}”: "
                        + " ".join(message for error in problems for message in error.messages),
                        hint="Correct the subject in Django admin (Activities → Follow-up rules); until then the "
                        "rule's activities show it as written.",
                        obj=f"activities.FollowUpRule {pk}",
                        id="activities.W001",
                    )
                )
    return warnings
