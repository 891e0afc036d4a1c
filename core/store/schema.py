"""Bringing a database up to date: migrations, SQLite's journal mode and the app role's grants."""

from __future__ import annotations

import contextlib
import io
import re

from core.store import dialect
from core.store.engine import DB

__all__ = ["MigrationFailed", "grant_app_role", "migrate"]

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class MigrationFailed(RuntimeError):
    """The migrations did not run through; the message says why."""


async def migrate(*, app_role: str | None = None, app_password: str | None = None) -> str:
    """Run every pending migration as the owner, then make `app_role` able to use the tables.

    `app_password`, when given, is the role's login password (the one in its connection URL).

    Returns what piccolo reported. The app role gets no TRUNCATE, no BYPASSRLS, and only
    INSERT and SELECT on the append-only event log.
    """
    # Imported here: piccolo's migration commands pull in black (over 100 ms), which only the
    # migrate command needs, not every process that builds the services.
    from piccolo.apps.migrations.commands.forwards import run_forwards

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result = await run_forwards("all")
    if not result.success:
        raise MigrationFailed(f"{result.message}\n{output.getvalue()}")
    if dialect.has_rls():
        if app_role:
            await grant_app_role(app_role, password=app_password)
    else:  # the embedded default: readers do not block the writer
        await DB.run_ddl("PRAGMA journal_mode=WAL")
    return output.getvalue()


async def grant_app_role(role: str, *, password: str | None = None) -> None:
    """Create (if needed) and grant the app's role: NOSUPERUSER, NOBYPASSRLS, no TRUNCATE.

    With `password`, the role logs in with it (set on every run, so a changed URL takes effect).
    """
    if not _ROLE_NAME.match(role):
        raise ValueError(f"invalid role name {role!r}")
    current = (await DB.run_ddl("SELECT current_user AS name"))[0]["name"]
    if role == current:
        return  # one role for everything: a dev set-up; RLS still applies to non-superusers
    await DB.run_ddl(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} LOGIN; END IF; END $$"
    )
    if password:
        # DDL takes no parameters: the password goes in as a quoted literal, quotes doubled.
        await DB.run_ddl(f"ALTER ROLE {role} LOGIN PASSWORD '{password.replace(chr(39), chr(39) * 2)}'")
    for statement in (
        f"ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS",
        f"ALTER ROLE {role} SET idle_in_transaction_session_timeout = '30s'",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        # The event log and the accountability ledger are append-only for the app.
        f"REVOKE UPDATE, DELETE ON case_event FROM {role}",
        f"REVOKE UPDATE, DELETE ON ledger_entry FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON migration FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The scheduler's only window on other tenants: (tenant, id) pairs of due work.
        f"GRANT EXECUTE ON FUNCTION huiying_claim_due_timers(timestamptz, int, interval) TO {role}",
        f"GRANT EXECUTE ON FUNCTION huiying_claim_due_notifications(timestamptz, int, interval) TO {role}",
        f"GRANT EXECUTE ON FUNCTION huiying_claim_due_renders(timestamptz, int, interval) TO {role}",
        # Text search: ids of the caller's own tenant's matching cases (tenant from app.tenant_id).
        f"GRANT EXECUTE ON FUNCTION huiying_case_text_matches(text) TO {role}",
    ):
        await DB.run_ddl(statement)
