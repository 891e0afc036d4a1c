"""The case list's filters, read once for every endpoint that lists cases (the list, its exports)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from core.api.controllers.deps import Services
from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.errors import InvalidCommand
from core.services.values import CaseQuery

__all__ = ["case_query"]


def case_query(
    services: NamedDependency[Services],
    states: Annotated[
        list[CaseState] | None, QueryParameter(name="state", description="状态，可多选")
    ] = None,
    kind: FromQuery[CaseKind | None] = None,
    channel: FromQuery[Channel | None] = None,
    unit: FromQuery[str | None] = None,
    handler: FromQuery[str | None] = None,
    overdue: FromQuery[bool] = False,
    due_before: FromQuery[datetime | None] = None,
    received_from: FromQuery[datetime | None] = None,
    received_before: FromQuery[datetime | None] = None,
    q: Annotated[str, QueryParameter(max_length=100, description="标题或内容中的文字")] = "",
    sort: FromQuery[str] = "-received_at",
    cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> CaseQuery:
    """The filters as a `CaseQuery`; instants must carry their zone and fall in 2000–2100.

    Raises:
        InvalidCommand: a naive or out-of-range instant, named.
    """
    for name, value in (
        ("due_before", due_before),
        ("received_from", received_from),
        ("received_before", received_before),
    ):
        if value is None:
            continue
        if value.tzinfo is None:
            raise InvalidCommand(f"{name} 须带时区，如 2026-10-01T00:00:00+08:00", field=name)
        if not 2000 <= value.year <= 2100:
            raise InvalidCommand(f"{name} 应在 2000 年至 2100 年之间", field=name)
    return CaseQuery(
        states=tuple(states or ()),
        kind=kind,
        channel=channel,
        unit_code=unit,
        handler=handler,
        overdue_at=services.clock.now() if overdue else None,
        due_before=due_before,
        received_from=received_from,
        received_before=received_before,
        text=q,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
