"""`huiying audit verify`, run as a person runs it, finds altered and removed case events."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from core.domain.cases import CaseKind, Channel
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.events import case_serials, chain_records

HUIYING = str(Path(sys.executable).with_name("huiying"))
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def huiying(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HUIYING, *args], input="", capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


async def tenant_with_cases(make_tenant, registry, actors, count: int = 3):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    for n in range(count):
        draft = IntakeDraft(
            kind=CaseKind.CONSULTATION,
            channel=Channel.PHONE,
            title=f"咨询 {n}",
            content="政务公开目录在哪里查询？",
            anonymous=True,
        )
        await service.intake(tenant.id, draft, actors["operator"])
    return tenant, await chain_records(tenant.id)


async def tamper(statement: str, event_id: int) -> None:
    """Change a stored event behind the app's back, as a superuser who switched the trigger off."""
    url = os.environ["HUIYING_DATABASE_URL"]
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as connection:
            # Someone with the file drops the append-only triggers first.
            connection.execute("DROP TRIGGER IF EXISTS case_event_no_update")
            connection.execute("DROP TRIGGER IF EXISTS case_event_no_delete")
            connection.execute(statement.replace("$1", "?"), (event_id,))
        return
    connection = await asyncpg.connect(os.environ["HUIYING_OWNER_DATABASE_URL"])
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute(statement, event_id)
    finally:
        await connection.close()


async def test_a_clean_chain_verifies(make_tenant, registry, actors):
    tenant, _ = await tenant_with_cases(make_tenant, registry, actors)
    result = huiying("audit", "verify", "--tenant", tenant.slug)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"租户 {tenant.slug}：3 条记录，哈希链完整"


async def test_an_altered_event_is_named_with_its_case(make_tenant, registry, actors):
    tenant, events = await tenant_with_cases(make_tenant, registry, actors)
    clean, _ = await tenant_with_cases(make_tenant, registry, actors, count=1)
    victim = events[1]
    serial = (await case_serials(tenant.id, [victim.record["case_id"]]))[victim.record["case_id"]]
    await tamper("""UPDATE case_event SET data = '{"kind": "complaint"}' WHERE id = $1""", victim.id)

    result = huiying("audit", "verify", "--tenant", tenant.slug)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"租户 {tenant.slug}：第 2 条记录被改动（案件 {serial} 第 1 条，事件 {victim.id}）："
        "hash mismatch: the event was altered"
    )
    assert "哈希链校验未通过" in result.stderr and "Traceback" not in result.stderr

    everyone = huiying("audit", "verify")  # every tenant: the broken one fails the run
    assert everyone.returncode == 1
    lines = everyone.stdout.splitlines()
    assert result.stdout.strip() in lines
    assert f"租户 {clean.slug}：1 条记录，哈希链完整" in lines


async def test_a_removed_middle_event_breaks_the_next_link(make_tenant, registry, actors):
    tenant, events = await tenant_with_cases(make_tenant, registry, actors)
    after = events[2]
    serial = (await case_serials(tenant.id, [after.record["case_id"]]))[after.record["case_id"]]
    await tamper("DELETE FROM case_event WHERE id = $1", events[1].id)

    result = huiying("audit", "verify", "--tenant", tenant.slug)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"租户 {tenant.slug}：第 2 条记录被改动（案件 {serial} 第 1 条，事件 {after.id}）："
        "prev_hash mismatch: an event was removed or reordered"
    )


async def test_a_removed_last_event_is_caught_by_the_chain_head(make_tenant, registry, actors):
    tenant, events = await tenant_with_cases(make_tenant, registry, actors)
    await tamper("DELETE FROM case_event WHERE id = $1", events[-1].id)

    result = huiying("audit", "verify", "--tenant", tenant.slug)
    assert result.returncode == 1
    assert f"租户 {tenant.slug}：2 条记录，链头不符" in result.stdout
    assert "removed from the end" in result.stdout


def test_an_unknown_tenant_is_a_clear_error():
    result = huiying("audit", "verify", "--tenant", "no-such-tenant")
    assert result.returncode == 1
    assert "租户 no-such-tenant 不存在" in result.stderr
    assert "Traceback" not in result.stderr
