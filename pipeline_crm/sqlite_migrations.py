"""SQLite only: a migration that rebuilds `deals_deal` or `leads_organization` (Django rebuilds a
table to add a column with a default, or to remove one: create a copy, drop, rename the copy back).
The deal summary's triggers (deals/0009) name both tables, and SQLite checks every trigger when a
table is renamed: at that moment the table they name does not exist, and the rename fails. With
`legacy_alter_table` on, SQLite renames without that check, and the triggers name the table again
once the copy has its name. Put `LEGACY_ON` first and `LEGACY_OFF` last in such a migration (also
when only its reverse rebuilds, e.g. adding a nullable column); each undoes the other backwards.
"""

from django.db import migrations


def _legacy(on):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(f"PRAGMA legacy_alter_table = {'ON' if on else 'OFF'}")

    return run


LEGACY_ON = migrations.RunPython(_legacy(True), _legacy(False), elidable=False)
LEGACY_OFF = migrations.RunPython(_legacy(False), _legacy(True), elidable=False)
