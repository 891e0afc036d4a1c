"""The piccolo app that owns every table and migration of the platform."""

import os

from piccolo.conf.apps import AppConfig

from core.store.tables import ALL_TABLES

__all__ = ["APP_CONFIG"]

APP_CONFIG = AppConfig(
    app_name="store",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
