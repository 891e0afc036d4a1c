"""The store's piccolo migrations: the baseline and whatever comes after it (docs/architecture.md)."""

from __future__ import annotations

import inspect

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

__all__ = ["TablesFirstManager"]


class TablesFirstManager(MigrationManager):
    """A migration manager that runs its raw steps after its table steps, in one transaction.

    Piccolo runs raw steps before ``add_table``/``add_column`` (piccolo's migration manager orders them so), so SQL on a
    table made by the same migration (its policy, keys, triggers) would find no table.
    """

    async def run(self, backwards: bool = False) -> None:
        if backwards or self.preview:
            await super().run(backwards=backwards)
            return
        raw_steps, self.raw = self.raw, []
        try:
            # piccolo's own transaction inside joins this one: the tables and the SQL commit together.
            async with engine_finder().transaction():
                await super().run()
                for step in raw_steps:
                    if inspect.iscoroutinefunction(step):
                        await step()
                    else:
                        step()
        finally:
            self.raw = raw_steps
