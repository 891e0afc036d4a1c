"""Reading what monthly statistics count: events, documents and breaches in a span of time."""

from __future__ import annotations

from datetime import UTC, datetime

from piccolo.query.functions.aggregate import Count

from core.domain.events import EventName
from core.domain.reporting import CASE_ATTRIBUTES, CaseTally
from core.domain.trends import RESPONDENT_FIELDS, TrendRecord
from core.store.rows import ids_in, json_value
from core.store.tables import CaseEvent, CaseRow, Document, SlaTimer
from core.store.tx import require_tenant

__all__ = [
    "COUNTED_EVENTS",
    "MonthFacts",
    "month_facts",
    "received_tallies",
    "satisfaction_counts",
    "trend_records",
]

COUNTED_EVENTS = [
    EventName.ACCEPTED,
    EventName.REFUSED,
    EventName.REFERRED_OUT,
    EventName.DISPATCHED,
    EventName.REPLIED,
    EventName.EXTENDED,
    EventName.FEEDBACK_RECORDED,
]


class MonthFacts:
    """What happened in a tenant between two instants, as plain rows for the service to count."""

    def __init__(self) -> None:
        self.received: list[int] = []  # case ids received
        self.events: list[tuple[int, str, dict, datetime]] = []  # (case id, event name, data, at)
        self.starts: dict[int, datetime] = {}  # replied case id -> its first dispatch (or acceptance)
        self.notices: list[int] = []  # case ids given a supervision notice
        self.breached: set[int] = set()  # case ids with a deadline breached in the span
        self.units: dict[int, str | None] = {}  # case id -> its unit now


async def month_facts(tenant_id: int, start: datetime, end: datetime) -> MonthFacts:
    """Everything monthly statistics need for [start, end), inside the caller's `tenant_tx`."""
    require_tenant(tenant_id)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    facts = MonthFacts()
    received = await CaseRow.select(CaseRow.id).where(
        (CaseRow.tenant_id == tenant_id) & (CaseRow.received_at >= start) & (CaseRow.received_at < end)
    )
    facts.received = [row["id"] for row in received]
    events = (
        await CaseEvent.select(CaseEvent.case_id, CaseEvent.name, CaseEvent.data, CaseEvent.at)
        .where(
            (CaseEvent.tenant_id == tenant_id)
            & (CaseEvent.at >= start)
            & (CaseEvent.at < end)
            & CaseEvent.name.is_in(COUNTED_EVENTS)
        )
        .order_by(CaseEvent.id)
        .output(load_json=True)
    )
    facts.events = [(row["case_id"], row["name"], row["data"] or {}, row["at"]) for row in events]
    replied = sorted({e[0] for e in facts.events if e[1] == EventName.REPLIED})
    if replied:
        # Handling time runs from the first dispatch (or, never dispatched, the acceptance),
        # which may lie in an earlier month.
        starts = (
            await CaseEvent.select(CaseEvent.case_id, CaseEvent.name, CaseEvent.at)
            .where(
                (CaseEvent.tenant_id == tenant_id)
                & CaseEvent.case_id.is_in(replied)
                & CaseEvent.name.is_in([EventName.DISPATCHED, EventName.ACCEPTED])
                & (CaseEvent.at < end)
            )
            .order_by(CaseEvent.id)
        )
        accepted: dict[int, datetime] = {}
        for row in starts:
            target = facts.starts if row["name"] == EventName.DISPATCHED else accepted
            target.setdefault(row["case_id"], row["at"])
        for case_id, at in accepted.items():
            facts.starts.setdefault(case_id, at)
    notices = await Document.select(Document.case_id).where(
        (Document.tenant_id == tenant_id)
        & (Document.kind == "supervision_notice")
        & (Document.created_at >= start)
        & (Document.created_at < end)
    )
    facts.notices = [row["case_id"] for row in notices if row["case_id"] is not None]
    breached = await SlaTimer.select(SlaTimer.case_id).where(
        (SlaTimer.tenant_id == tenant_id) & (SlaTimer.breached_at >= start) & (SlaTimer.breached_at < end)
    )
    facts.breached = {row["case_id"] for row in breached}
    ids = sorted({*facts.received, *(e[0] for e in facts.events), *facts.notices, *facts.breached})
    if ids:
        rows = await CaseRow.select(CaseRow.id, CaseRow.unit_code).where(
            (CaseRow.tenant_id == tenant_id) & CaseRow.id.is_in(ids)
        )
        facts.units = {row["id"]: row["unit_code"] for row in rows}
    return facts


async def satisfaction_counts(
    tenant_id: int,
    start: datetime,
    end: datetime,
    *,
    states: list[str],
    unit_code: str | None = None,
    handler: str | None = None,
) -> dict[str, int]:
    """Cases received in [start, end) in `states` with a verdict, counted by verdict (one query)."""
    require_tenant(tenant_id)
    where = (
        (CaseRow.tenant_id == tenant_id)
        & (CaseRow.received_at >= start.astimezone(UTC))
        & (CaseRow.received_at < end.astimezone(UTC))
        & CaseRow.state.is_in(states)
        & CaseRow.satisfaction.is_not_null()
    )
    if unit_code is not None:
        where &= CaseRow.unit_code == unit_code
    if handler is not None:
        where &= CaseRow.handler == handler
    rows = (
        await CaseRow.select(CaseRow.satisfaction, Count(CaseRow.id, alias="n"))
        .where(where)
        .group_by(CaseRow.satisfaction)
    )
    return {row["satisfaction"]: row["n"] for row in rows if row["satisfaction"]}


async def trend_records(tenant_id: int, since: datetime) -> list[TrendRecord]:
    """What trend detection reads of the cases received since `since`."""
    require_tenant(tenant_id)
    rows = (
        await CaseRow.select(
            CaseRow.id, CaseRow.serial, CaseRow.received_at, CaseRow.category, CaseRow.title, CaseRow.fields
        )
        .where((CaseRow.tenant_id == tenant_id) & (CaseRow.received_at >= since))
        .output(load_json=True)
    )
    records = []
    for row in rows:
        fields = row["fields"] or {}
        respondent = next((str(fields[k]) for k in RESPONDENT_FIELDS if fields.get(k)), "")
        records.append(
            TrendRecord(
                case_id=row["id"],
                serial=row["serial"],
                received_at=row["received_at"],
                category=row["category"] or "",
                respondent=respondent,
                title=row["title"],
            )
        )
    return records


_SATISFIED = ("satisfied", "basically_satisfied")
_VERDICTS = (*_SATISFIED, "dissatisfied")


async def received_tallies(tenant_id: int, start: datetime, end: datetime) -> list[CaseTally]:
    """The cases received in [start, end), each with whether it was replied to and ran late by `end`."""
    require_tenant(tenant_id)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    columns = [getattr(CaseRow, name) for name in sorted(CASE_ATTRIBUTES - {"satisfaction"})]
    rows = await CaseRow.select(CaseRow.id, CaseRow.fields, CaseRow.satisfaction, *columns).where(
        (CaseRow.tenant_id == tenant_id) & (CaseRow.received_at >= start) & (CaseRow.received_at < end)
    )
    ids = [row["id"] for row in rows]
    replied: set[int] = set()
    late: set[int] = set()
    if ids:
        replies = await CaseEvent.select(CaseEvent.case_id).where(
            (CaseEvent.tenant_id == tenant_id)
            & ids_in(CaseEvent.case_id, ids)
            & (CaseEvent.name == EventName.REPLIED)
            & (CaseEvent.at < end)
        )
        replied = {row["case_id"] for row in replies}
        breaches = await SlaTimer.select(SlaTimer.case_id).where(
            (SlaTimer.tenant_id == tenant_id) & ids_in(SlaTimer.case_id, ids) & (SlaTimer.breached_at < end)
        )
        late = {row["case_id"] for row in breaches}
    return [
        CaseTally(
            attributes={name: row[name] for name in CASE_ATTRIBUTES},
            fields=json_value(row["fields"]) or {},
            replied=row["id"] in replied,
            late=row["id"] in late,
            satisfied=row["satisfaction"] in _SATISFIED if row["satisfaction"] in _VERDICTS else None,
        )
        for row in rows
    ]
