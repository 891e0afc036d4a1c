"""Monthly statistics per unit: received, dispatched, replied (on time), late, supervision notices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase, ReplyMode, ReplyToCase, SignForCase
from core.domain.errors import NotPermitted
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.statistics import StatisticsService
from core.services.timers import TimerJobs
from core.store.repositories import CaseRepository
from core.store.tx import tenant_tx

OCT_8 = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)  # 09:00 Shanghai, the first working day after the holiday


def complaint(title: str) -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title=title,
        content="公开栏未更新",
        anonymous=True,
        fields={"situation": "not_compiled", "respondent": "村委会"},
    )


async def test_a_month_unit_by_unit_and_as_a_circular(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(OCT_8)
    service = CaseService(registry, clock)
    ids = []
    for title, unit in (("按时答复", "jcs"), ("逾期未复", "jcs"), ("另一单位", "dzb")):
        case_id = (await service.intake(tenant.id, complaint(title), actors["operator"])).case.id
        await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
        await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
        await service.perform(
            tenant.id, case_id, DispatchCase(unit_code=unit, cause="c", opinion="o"), actors["leader"]
        )
        ids.append(case_id)
    await service.perform(tenant.id, ids[0], SignForCase(handler="handler"), actors["handler"])
    await service.perform(
        tenant.id, ids[0], ReplyToCase(mode=ReplyMode.PHONE, content="已整改"), actors["handler"]
    )
    clock.at = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)  # handling was due 10-15
    async with tenant_tx(tenant.id):
        late_timer = next(
            t.id for t in await CaseRepository(tenant.id).timers(ids[1]) if t.timer.kind == "handling"
        )
    await TimerJobs(registry, clock).fire(tenant.id, late_timer)

    report = await StatisticsService().monthly(tenant.id, actors["supervisor"], 2026, 10)
    lines = {line.unit_code: line for line in report.lines}
    jcs, dzb = lines["jcs"], lines["dzb"]
    assert (jcs.received, jcs.dispatched, jcs.replied, jcs.replied_on_time, jcs.late) == (2, 2, 1, 1, 1)
    assert jcs.supervision_notices == 1
    assert (dzb.received, dzb.dispatched, dzb.replied, dzb.late, dzb.supervision_notices) == (1, 1, 0, 0, 0)
    assert report.totals.received == 3 and report.totals.supervision_notices == 1
    circular = report.circular()
    assert "2026 年 10 月投诉举报办理情况通报" in circular and "镇监察室　2　2　1　1　1　1" in circular

    september = await StatisticsService().monthly(tenant.id, actors["supervisor"], 2026, 9)
    assert september.totals.received == 0
    with pytest.raises(NotPermitted):
        await StatisticsService().monthly(tenant.id, actors["handler"], 2026, 10)
