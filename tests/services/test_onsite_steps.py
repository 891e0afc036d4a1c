"""接、报、传、跟 as steps: the leader's instruction, arrival on site, follow-up until verified."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import (
    AcceptCase,
    ArriveOnSite,
    DispatchCase,
    DispatchMode,
    FollowUp,
    InstructCase,
    RegisterCase,
)
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.domain.payloads import command_from_payload
from core.domain.sla import TimerState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


async def test_dispatch_starts_the_arrival_clock_and_arrival_stops_it(make_tenant, actors):
    registry = PluginRegistry.discover(
        extra={"onsite": importlib.import_module("tests.fixture_plugins.onsite")}
    )
    tenant = await make_tenant("onsite", registry_=registry)
    clock = FixedClock(NOW)
    service = CaseService(registry, clock)
    draft = IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title="餐馆拒不退款",
        content="现场纠纷",
        anonymous=True,
    )
    case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    instructed = await service.perform(
        tenant.id, case_id, InstructCase(instruction="请一中队立即到场处置"), actors["leader"]
    )
    assert instructed.case.state is CaseState.ACCEPTED  # a recorded step, not a move
    with pytest.raises(NotPermitted):
        await service.perform(tenant.id, case_id, InstructCase(instruction="越权批示"), actors["operator"])

    clock.advance(timedelta(minutes=4))
    dispatch = DispatchCase(unit_code="jcs", cause="消费纠纷", opinion="到场处置", mode=DispatchMode.DIVERT)
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    timers = {t.timer.kind: t.timer for t in view.timers}
    assert timers["dispatch"].state is TimerState.STOPPED
    assert timers["arrival"].due_at == NOW + timedelta(minutes=34)

    clock.advance(timedelta(minutes=20))
    view = await service.perform(tenant.id, case_id, ArriveOnSite(note="已到现场"), actors["handler"])
    assert {t.timer.kind: t.timer.state for t in view.timers}["arrival"] is TimerState.STOPPED
    view = await service.perform(
        tenant.id, case_id, FollowUp(note="回访：已当场退款", verified=True), actors["operator"]
    )
    events = await service.events(tenant.id, case_id, actors["operator"])
    assert [e.name for e in events][-4:] == [
        "case_instructed",
        "case_dispatched",
        "case_arrived_on_site",
        "case_followed_up",
    ]
    # 传: before dispatch the instruction goes to the intake officers (and the leader on duty).
    assert events[-4].data == {
        "instruction": "请一中队立即到场处置",
        "timers": {},
        "relayed_to": ["operator"],
    }
    assert events[-3].data["mode"] == "divert"
    assert events[-1].data["verified"] is True


def test_payloads_of_the_new_steps_are_checked():
    assert (
        command_from_payload(
            Action.DISPATCH, {"unit_code": "a", "cause": "c", "opinion": "o", "mode": "self"}
        ).mode
        is DispatchMode.SELF
    )
    with pytest.raises(InvalidCommand, match="批示内容"):
        command_from_payload(Action.INSTRUCT, {})
    with pytest.raises(InvalidCommand, match="true 或 false"):
        command_from_payload(Action.FOLLOW_UP, {"note": "n", "verified": "yes"})


async def test_a_mass_incident_goes_to_the_head_at_once(make_tenant, actors):
    """The test plugin answers hy_case_escalation for flagged cases; others are not escalated."""
    from core.domain.cases import SeverityFlag
    from core.store.outbox import OutboxRepository
    from core.store.tx import tenant_tx

    registry = PluginRegistry.discover(
        extra={"onsite": importlib.import_module("tests.fixture_plugins.onsite")}
    )
    tenant = await make_tenant("onsite", registry_=registry)
    service = CaseService(registry, FixedClock(NOW))
    draft = IntakeDraft(
        kind=CaseKind.REPORT,
        channel=Channel.PHONE,
        title="多名消费者围堵商场",
        content="现场约五十人",
        anonymous=True,
    )
    quiet = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await service.perform(tenant.id, quiet, RegisterCase(), actors["operator"])
    loud = (await service.intake(tenant.id, draft, actors["operator"])).case.id
    await service.perform(
        tenant.id, loud, RegisterCase(flags=frozenset({SeverityFlag.MASS})), actors["operator"]
    )
    assert "case_auto_escalated" not in [
        e.name for e in await service.events(tenant.id, quiet, actors["operator"])
    ]
    escalated = [
        e
        for e in await service.events(tenant.id, loud, actors["operator"])
        if e.name == "case_auto_escalated"
    ]
    assert (
        len(escalated) == 1
        and escalated[0].data["at_once"] is True
        and escalated[0].data["told"] == ["leader"]
    )
    async with tenant_tx(tenant.id):
        told = await OutboxRepository(tenant.id).for_recipient("leader", "inbox")
    assert any(n.subject.startswith("重大事项即报") and n.case_id == loud for n in told)
