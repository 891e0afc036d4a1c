"""The demo 12312 station (tenants/county-12312.toml) through the services.

接、报、传、跟 as steps, a month of cases counted per squad against the monthly statistics, and
a referral the complainant reads on the portal.
"""

from __future__ import annotations

import importlib
import random
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.commands import (
    AcceptCase,
    ArriveOnSite,
    CloseCase,
    DispatchCase,
    DispatchMode,
    FollowUp,
    InstructCase,
    ReferCaseOut,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    SignForCase,
)
from core.domain.errors import RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor, Role
from core.domain.sla import TimerState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.duty import DutyService
from core.services.portal import PublicPortal
from core.services.statistics import StatisticsService
from core.services.tenants import TenantConfig, onboard
from core.services.timers import TimerJobs
from core.store.outbox import OutboxRepository
from core.store.tx import tenant_tx

pytestmark = pytest.mark.postgres

REGISTRY = PluginRegistry.discover(
    extra={"commerce12312": importlib.import_module("plugins.commerce12312.hooks")}
)
TENANT_FILE = Path(__file__).resolve().parents[3] / "tenants" / "county-12312.toml"
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
# Squad staff the demo file leaves out, so every squad can sign for and answer its cases.
EXTRA_USERS = (
    {"username": "handler2", "display_name": "业务二中队 刘洋", "roles": ["handler"], "unit": "squad-2"},
    {"username": "inspector", "display_name": "监察部门 孙悦", "roles": ["handler"], "unit": "supervision"},
)
HANDLER_OF = {"squad-1": "handler", "squad-2": "handler2", "supervision": "inspector"}


async def station(unique_slug) -> tuple[Any, dict[str, Actor]]:
    """Onboard the demo tenant file under a fresh slug; its users as actors."""
    with TENANT_FILE.open("rb") as file:
        data = tomllib.load(file)
    data["slug"] = unique_slug("c12312")
    data["users"] = [*data["users"], *EXTRA_USERS]
    record = await onboard(TenantConfig.from_mapping(data, REGISTRY), REGISTRY)
    actors = {
        user["username"]: Actor(
            username=user["username"],
            roles=frozenset(Role(role) for role in user["roles"]),
            unit_code=user.get("unit"),
        )
        for user in data["users"]
    }
    return record, actors


def complaint(category: str = "消费纠纷", *, on_site: str = "yes", **overrides: Any) -> IntakeDraft:
    values: dict[str, Any] = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "某加油站加油机计量不足",
        "content": "消费者称加油 200 元，油箱仅进油一半，与站方争执。",
        "identity": {"name": "赵某", "work_unit": "县第一中学", "phone": "13900001111"},
        "fields": {
            "event_time": "2026-11-02 08:50",
            "place": "城关镇某加油站",
            "harm_scope": "一名消费者",
            "harm_degree": "经济损失约 100 元",
            "onsite_handling": "双方仍在现场争执",
            "on_site": on_site,
            "category": category,
        },
    }
    return IntakeDraft(**(values | overrides))


async def test_jie_bao_chuan_gen_as_steps(unique_slug):
    tenant, actors = await station(unique_slug)
    clock = FixedClock(NOW)
    service = CaseService(REGISTRY, clock)
    shift = await DutyService(clock).add_shift(
        tenant.id,
        actors["supervisor"],
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=11),
        leader="leader",
        officers=["operator"],
    )
    assert shift.leader == "leader"

    # 接: the eight facts; 报: the leader on shift hears of it at once, without who complained.
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    events = await service.events(tenant.id, case_id, actors["operator"])
    assert events[0].name == "case_received" and events[0].data["reported_to"] == "leader"
    async with tenant_tx(tenant.id):
        (report,) = [
            n for n in await OutboxRepository(tenant.id).for_case(case_id) if n.subject.startswith("新案件")
        ]
    assert (report.channel, report.recipient) == ("inbox", "leader")
    assert "SW-2026-000001" in report.subject and "请及时作出指示" in report.body
    assert "赵某" not in report.body + report.subject and "13900001111" not in report.body

    await service.perform(tenant.id, case_id, RegisterCase(category="消费纠纷"), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])

    # 传: the leader's instruction is recorded, and carried to the squad in the dispatch opinion.
    instruction = "请一中队立即到场，核实加油机计量"
    clock.advance(timedelta(minutes=3))
    view = await service.perform(tenant.id, case_id, InstructCase(instruction=instruction), actors["leader"])
    assert view.case.state is CaseState.ACCEPTED
    dispatch = DispatchCase(
        unit_code="squad-1", cause="投诉：加油机计量不足", opinion=instruction, mode=DispatchMode.DIVERT
    )
    clock.advance(timedelta(minutes=4))  # 7 minutes after acceptance: inside the 10
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    timers = {stored.timer.kind: stored.timer for stored in view.timers}
    assert timers["dispatch"].state is TimerState.STOPPED
    assert timers["arrival"].due_at == NOW + timedelta(minutes=37)

    clock.advance(timedelta(minutes=20))
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    await service.perform(tenant.id, case_id, ArriveOnSite(note="已到达现场"), actors["handler"])

    # 跟: checked until the facts are verified, then reported back.
    for note, verified in (("已到场，正在检定加油机", False), ("经检定计量不足，已责令退款 100 元", True)):
        clock.advance(timedelta(hours=1))
        view = await service.perform(
            tenant.id, case_id, FollowUp(note=note, verified=verified), actors["operator"]
        )
        assert view.case.state is CaseState.IN_HANDLING
    answer = ReplyToCase(mode=ReplyMode.PHONE, content="经检定加油机计量不足，已责令退还差额。")
    await service.perform(tenant.id, case_id, answer, actors["handler"])
    view = await service.perform(tenant.id, case_id, CloseCase(summary="已核实并答复"), actors["operator"])
    assert view.case.state is CaseState.CLOSED
    assert {stored.timer.kind: stored.timer.state for stored in view.timers} == {
        "dispatch": TimerState.STOPPED,
        "arrival": TimerState.STOPPED,
        "handling": TimerState.STOPPED,
    }

    events = await service.events(tenant.id, case_id, actors["operator"])
    names = [e.name for e in events]
    assert (
        names.index("case_instructed") < names.index("case_dispatched") < names.index("case_arrived_on_site")
    )
    (instructed,) = [e for e in events if e.name == "case_instructed"]
    assert (instructed.actor, instructed.data["instruction"]) == ("leader", instruction)
    (dispatched,) = [e for e in events if e.name == "case_dispatched"]
    assert (dispatched.data["unit_code"], dispatched.data["opinion"], dispatched.data["mode"]) == (
        "squad-1",
        instruction,
        "divert",
    )
    follow_ups = [e.data["verified"] for e in events if e.name == "case_followed_up"]
    assert follow_ups == [False, True]


async def test_the_leaders_instruction_is_relayed_to_the_squad_by_notification(unique_slug):
    tenant, actors = await station(unique_slug)
    service = CaseService(REGISTRY, FixedClock(NOW))
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(category="消费纠纷"), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    dispatch = DispatchCase(unit_code="squad-1", cause="投诉", opinion="请立即到场", mode=DispatchMode.DIVERT)
    await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    await service.perform(tenant.id, case_id, InstructCase(instruction="务必当日办结"), actors["leader"])
    async with tenant_tx(tenant.id):
        notes = await OutboxRepository(tenant.id).for_case(case_id)
    assert any(n.recipient == "handler" and "请立即到场" in n.body for n in notes)  # the dispatch
    assert any(n.recipient == "handler" and "务必当日办结" in n.body for n in notes)  # 传: the instruction
    events = await service.events(tenant.id, case_id, actors["leader"])
    assert "handler" in events[-1].data["relayed_to"]


# --- 办结反馈制度 三: monthly statistics per squad ---------------------------------------------------

ROUTES = {
    "消费纠纷": "squad-1",
    "单用途预付卡": "squad-1",
    "成品油": "squad-2",
    "cadre_misconduct": "supervision",
}
PATHS = ("on_time", "late_replied", "late_open", "open", "undispatched", "referred")


async def test_a_month_of_cases_is_counted_per_squad_as_an_independent_tally(unique_slug):
    tenant, actors = await station(unique_slug)
    clock = FixedClock(NOW)
    service = CaseService(REGISTRY, clock)
    jobs = TimerJobs(REGISTRY, clock)
    rng = random.Random(12312)
    local = timedelta(hours=8)

    # Each case: (received instant, category, path). One October case is answered in November.
    plan = [(datetime(2026, 10, 30, 1, 0, tzinfo=UTC), "成品油", "on_time")]
    for i in range(18):
        day = datetime(2026, 11, 2, 1, 0, tzinfo=UTC) + timedelta(days=rng.randrange(0, 9), minutes=i)
        plan.append((day, rng.choice(sorted(ROUTES)), rng.choice(PATHS)))

    expected: dict[str, Counter] = {}

    def tally(unit: str | None, key: str) -> None:
        expected.setdefault(unit or "", Counter())[key] += 1

    # Steps as (instant, order, case index, step), played in time order so the log is chronological.
    steps: list[tuple[datetime, int, int, str]] = []
    for index, (received, _, path) in enumerate(plan):
        steps.append((received, 0, index, "intake"))
        if path == "referred":
            steps.append((received + timedelta(minutes=30), 1, index, "refer"))
        elif path != "undispatched":
            steps.append((received + timedelta(hours=1), 1, index, "dispatch"))
        if path == "on_time":
            steps.append((received + timedelta(days=2), 2, index, "reply"))
        if path in ("late_replied", "late_open"):
            steps.append((received + timedelta(days=14), 2, index, "breach"))
        if path == "late_replied":
            steps.append((received + timedelta(days=15), 3, index, "reply"))
    steps.sort()

    ids: dict[int, int] = {}
    for at, _, index, step in steps:
        clock.at = at
        received, category, path = plan[index]
        unit = ROUTES[category] if path not in ("undispatched", "referred") else None
        november = (at + local).month == 11
        kind = CaseKind.REPORT if category == "cadre_misconduct" else CaseKind.COMPLAINT
        match step:
            case "intake":
                draft = complaint(category, on_site="no", kind=kind, title=f"第 {index} 件")
                ids[index] = case_id = (await service.intake(tenant.id, draft, actors["operator"])).case.id
                await service.perform(tenant.id, case_id, RegisterCase(category=category), actors["operator"])
                await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
                if november:
                    tally(unit, "received")  # counted under the unit the case is with now
            case "refer":
                refer = ReferCaseOut(agency="县市场监督管理局（电话 12315）", reason="不属商务管辖")
                await service.perform(tenant.id, ids[index], refer, actors["operator"])
            case "dispatch":
                dispatch = DispatchCase(unit_code=unit, cause=f"{kind.label}：{category}", opinion="请查处")
                await service.perform(tenant.id, ids[index], dispatch, actors["leader"])
                handler = actors[HANDLER_OF[unit]]
                await service.perform(tenant.id, ids[index], SignForCase(handler=handler.username), handler)
                if november:
                    tally(unit, "dispatched")
            case "breach":
                view = await service.get(tenant.id, ids[index], actors["operator"])
                (handling,) = [s for s in view.timers if s.timer.kind == "handling"]
                assert handling.timer.due_at < at  # 7 working days have passed
                assert await jobs.fire(tenant.id, handling.id)
                if november:
                    tally(unit, "late")
                    tally(unit, "supervision_notices")
            case "reply":
                handler = actors[HANDLER_OF[unit]]
                answer = ReplyToCase(mode=ReplyMode.WRITTEN, content="已查处并答复")
                await service.perform(tenant.id, ids[index], answer, handler)
                if november:
                    tally(unit, "replied")
                    if path == "on_time":  # no deadline of the case breached this month
                        tally(unit, "replied_on_time")

    report = await StatisticsService(REGISTRY, clock).monthly(tenant.id, actors["supervisor"], 2026, 11)
    keys = ("received", "dispatched", "replied", "replied_on_time", "late", "supervision_notices")
    counted = {
        line.unit_code or "": Counter({key: getattr(line, key) for key in keys if getattr(line, key)})
        for line in report.lines
    }
    assert {unit: counts for unit, counts in counted.items() if counts} == {
        unit: counts for unit, counts in expected.items() if counts
    }
    # The generated month exercises every column for at least one squad.
    assert all(any(counts[key] for counts in expected.values()) for key in keys)
    assert sum(c["received"] for c in expected.values()) == len(plan) - 1  # the October case is not
    # The circular names the late squads for criticism (办结反馈制度 四).
    circular = report.circular()
    late_units = {line.unit_name for line in report.lines if line.late}
    assert late_units and all(name in circular for name in late_units) and "通报批评" in circular


# --- 接线员岗位职责 六: out of jurisdiction, told where to go ---------------------------------------


async def test_a_referral_tells_the_complainant_the_department_and_its_phone_on_the_portal(unique_slug):
    tenant, actors = await station(unique_slug)
    service = CaseService(REGISTRY, FixedClock(NOW))
    portal = PublicPortal(service)
    submitted = await portal.submit(
        tenant.slug,
        complaint(
            "食品安全",
            on_site="no",
            channel=Channel.WEB,
            title="超市销售过期牛奶",
            content="购买的牛奶已过保质期三天。",
        ),
    )
    case_id = submitted.view.case.id
    await service.perform(tenant.id, case_id, RegisterCase(category="食品安全"), actors["operator"])

    with pytest.raises(RuleViolation, match="联系电话"):
        await service.perform(
            tenant.id, case_id, ReferCaseOut(agency="县市场监督管理局", reason="食品安全"), actors["operator"]
        )
    refer = ReferCaseOut(agency="县市场监督管理局（电话 0359-12315）", reason="内部：食品安全不属商务管辖")
    view = await service.perform(tenant.id, case_id, refer, actors["operator"])
    assert view.case.state is CaseState.REFERRED_OUT

    status = await portal.status(tenant.slug, submitted.receipt, submitted.secret)
    (told,) = [m for m in status.milestones if m.label == "已告知向有权机关反映"]
    assert dict(told.detail) == {"agency": "县市场监督管理局（电话 0359-12315）"}
    shown = [str(dict(m.detail)) for m in status.milestones] + [status.reply_content]
    assert not any("内部" in text for text in shown)  # the internal reason stays inside
    phrases = {p.key: p for p in (await _hooks(tenant.id)).register_phrases()}
    assert "{phone}" in phrases["transferred"].text  # the operator says the same on the line


async def _hooks(tenant_id: int):
    from core.services.tenants import load_tenant

    async with tenant_tx(tenant_id):
        return (await load_tenant(tenant_id, REGISTRY)).hooks
