"""Trend signals from the database: the service reads the tenant's cases and names them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.errors import NotPermitted
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.trends import TrendService

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def complaint(title: str, respondent: str) -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title=title,
        content="公开栏未更新",
        anonymous=True,
        fields={"situation": "not_compiled", "respondent": respondent},
    )


async def test_repeats_and_a_common_issue_come_with_their_serials(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    serials = {}
    titles = [
        "幸福村公开栏三个月未更新",
        "幸福村公开栏三个月没更新",
        "反映幸福村公开栏三个月未更新",
        "幸福村公开栏已三个月未更新",
        "幸福村的公开栏三个月未更新",
    ]
    for i, title in enumerate(titles):
        clock.at = NOW + timedelta(hours=i)
        view = await service.intake(
            tenant.id, complaint(title, "幸福村委会" if i < 3 else f"单位{i}"), actors["operator"]
        )
        serials[view.case.id] = view.case.serial
    clock.at = NOW + timedelta(days=1)
    await service.intake(tenant.id, complaint("城东路灯不亮", "城建办"), actors["operator"])

    signals = await TrendService(clock).signals(tenant.id, actors["supervisor"])
    kinds = {s.kind: s for s in signals}
    repeat = kinds["repeat_respondent"]
    assert set(repeat.case_ids) == set(list(serials)[:3])
    assert list(repeat.serials) == [serials[i] for i in repeat.case_ids]
    common = kinds["common_issue"]
    assert set(common.case_ids) == set(serials) and set(common.serials) == set(serials.values())
    with pytest.raises(NotPermitted):
        await TrendService(clock).signals(tenant.id, actors["handler"])
