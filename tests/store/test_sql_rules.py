"""Rules the store spells in SQL for speed agree with their one Python definition.

Each rule runs here on the engine of the run (PostgreSQL in `make test`'s first pass, SQLite in
its second) over the same inputs as the Python rule, and the answers are compared. The serial
and the event hash are finished in SQL only where writers queue (PostgreSQL); SQLite computes
both in Python, so there is no SQL of theirs to compare on that run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from core.domain.audit import chain_record, event_hash, event_text_around_prev
from core.domain.calendar import Period
from core.domain.cases import CaseKind, Channel, case_serial
from core.domain.intake import IntakeDraft
from core.domain.sla import Timer, TimerState, due_phases
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.store.case_search import CaseQuery, search_cases, text_matches
from core.store.cases import serial_sql
from core.store.engine import DB
from core.store.events import event_hash_sql
from core.store.tables import CaseRow, SlaTimer
from core.store.timers import DUE_SQL, TimerRepository
from core.store.tx import tenant_tx
from tests.helpers import on_postgres

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

postgres_only = pytest.mark.skipif(
    not on_postgres(), reason="SQLite numbers cases and hashes events in Python: no SQL to compare"
)


@postgres_only
@pytest.mark.parametrize("number", [1, 42, 999_999, 1_000_000, 12_345_678])
async def test_the_serial_in_sql_is_the_domains(number):
    rows = await CaseRow.raw(
        f"SELECT {serial_sql('{}', '{}', 'v.n')} AS serial FROM (SELECT {{}}::int AS n) v",
        "NX",
        "2026",
        number,
    )
    assert rows[0]["serial"] == case_serial("NX", 2026, number)


@postgres_only
@pytest.mark.parametrize("prev_hash", ["", "0" * 64, "ab" * 32])
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"opinion": "已转交属地处理，请于 15 日内答复。"},
        {"quote": 'he said "no"', "path": "C:\\temp\\x", "emoji": "🙂", "n": 3, "ok": True, "none": None},
        {"nested": {"list": [1, 2.5, "三"], "deep": {"k": "\u2028 line separator"}}},
    ],
)
async def test_the_event_hash_in_sql_is_the_domains(prev_hash, data):
    record = chain_record(
        tenant_id=7,
        case_id=11,
        seq=2,
        name="case_replied",
        action="reply",
        from_state="handling",
        to_state="replied",
        actor="办理员",
        at=NOW,
        data=MappingProxyType(data),
    )
    before, after = event_text_around_prev(record)
    rows = await CaseRow.raw(
        f"SELECT {event_hash_sql('{}', '{}::text', '{}')} AS hash", before, prev_hash, after
    )
    assert rows[0]["hash"] == event_hash(prev_hash, record)


def _timer(kind: str, state: TimerState, *, warn: timedelta, due: timedelta) -> Timer:
    return Timer(
        kind=kind,
        started_at=NOW - timedelta(days=10),
        due_at=NOW + due,
        warn_at=NOW + warn,
        state=state,
        basis="test",
        provisional=False,
        period=Period.parse("15 working days"),
    )


# (state, warning relative to now, due relative to now, warning already fired, breach already fired)
TIMERS = [
    (state, warn, due, warned, breached)
    for state in TimerState
    for warn, due in [
        (timedelta(hours=1), timedelta(days=1)),  # nothing due yet
        (timedelta(0), timedelta(days=1)),  # the warning exactly now
        (-timedelta(hours=1), timedelta(days=1)),  # the warning past
        (-timedelta(days=2), -timedelta(seconds=1)),  # both past
        (-timedelta(days=2), timedelta(0)),  # the breach exactly now
    ]
    for warned, breached in [(False, False), (True, False), (True, True), (False, True)]
]


async def test_the_due_predicate_in_sql_is_the_domains(make_tenant, registry, actors):
    tenant = await make_tenant()
    draft = IntakeDraft(
        kind=CaseKind.CONSULTATION, channel=Channel.PHONE, title="计时", content="计时", anonymous=True
    )
    case = (await CaseService(registry, FixedClock(NOW)).intake(tenant.id, draft, actors["operator"])).case
    expected: dict[str, bool] = {}
    async with tenant_tx(tenant.id):
        timers = TimerRepository(tenant.id)
        for n, (state, warn, due, warned, breached) in enumerate(TIMERS):
            timer = _timer(f"rule-{n}", state, warn=warn, due=due)
            await timers.add(case.id, f"rule-{n}", timer)
            warned_at = NOW - timedelta(days=3) if warned else None
            breached_at = NOW - timedelta(days=3) if breached else None
            expected[f"rule-{n}"] = any(due_phases(timer, warned_at, breached_at, NOW))
            await SlaTimer.update({SlaTimer.warned_at: warned_at, SlaTimer.breached_at: breached_at}).where(
                (SlaTimer.tenant_id == tenant.id) & (SlaTimer.label == f"rule-{n}")
            )
        rows = await SlaTimer.raw(
            f"SELECT t.label FROM sla_timer t WHERE t.tenant_id = {{}} AND t.label LIKE 'rule-%' "
            f"AND {DUE_SQL.format(t='t', at='{}')}",
            tenant.id,
            NOW,
            NOW,
        )
    assert {row["label"] for row in rows} == {label for label, due in expected.items() if due}
    assert any(expected.values()) and not all(expected.values())  # the inputs reach both answers


@pytest.mark.skipif(
    not on_postgres(), reason="SQLite claims due timers with DUE_SQL itself (core/store/jobs.py)"
)
async def test_the_schedulers_claim_function_spells_the_due_predicate():
    rows = await DB.run_ddl(
        "SELECT pg_get_functiondef('huiying_claim_due_timers(timestamptz, int, interval)'::regprocedure)"
        " AS body"
    )

    def words(sql: str) -> str:
        return re.sub(r"\s+", " ", sql).strip()

    assert words(DUE_SQL.format(t="s", at="$1")) in words(rows[0]["body"])


TEXTS = [
    ("噪音扰民", "夜间施工噪音持续到凌晨"),
    ("ABC 商店", "售后拒绝退款"),
    ("abc shop", "refund refused"),
    ("100% 纯棉", "实际含涤纶"),
    ("a_b 物业", "电梯停运"),
    ("反斜杠 C:\\temp", "路径"),
    ("退款", "商家称 abc 不退"),
]
NEEDLES = ["噪音", "噪", "abc", "ABC", "Abc", "%", "100%", "_", "a_b", "\\", "C:\\t", "退", "凌晨", "不存在"]


async def test_the_text_match_in_sql_is_the_domains(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    ids = {}
    for title, content in TEXTS:
        draft = IntakeDraft(
            kind=CaseKind.CONSULTATION, channel=Channel.PHONE, title=title, content=content, anonymous=True
        )
        ids[(await service.intake(tenant.id, draft, actors["operator"])).case.id] = (title, content)
    for needle in NEEDLES:
        async with tenant_tx(tenant.id):
            page = await search_cases(tenant.id, CaseQuery(text=needle, limit=200))
        found = {case.id for case in page.cases}
        assert found == {case_id for case_id, texts in ids.items() if text_matches(needle, *texts)}, needle
