"""The migrations and `core/store/tables.py` describe the same tables."""

from __future__ import annotations

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from core.store.piccolo_app import APP_CONFIG


async def test_no_table_change_waits_for_a_migration():
    # What `piccolo migrations new store --auto` would write: a change to tables.py without its
    # migration shows here, and so would a baseline that the next migration cannot build on.
    statements = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    assert [line for alter in statements for line in alter.statements] == []
