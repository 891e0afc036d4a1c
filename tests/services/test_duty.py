"""Duty services over the real database: the roster, roles, confidential handovers, the "报" step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor, Role
from core.services.admin import TenantAdmin
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.duty import DutyService, leader_on_duty, report_new_case_to_leader
from core.store.duty import DutyRepository, ShiftNotFound
from core.store.outbox import OutboxRepository
from core.store.tx import tenant_tx

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 9, 30, 10, 0, tzinfo=CST)  # a Wednesday morning in Shanghai
DAY_START, DAY_END = datetime(2026, 9, 30, 8, 0, tzinfo=CST), datetime(2026, 9, 30, 20, 0, tzinfo=CST)
HANDOVER = {"cases_received": ["NX-2026-000001"], "pending": ["回访投诉人"], "documents": ["值班日志"]}


@pytest.fixture
def service():
    return DutyService(FixedClock(NOW))


@pytest.fixture
async def tenant(make_tenant):
    return await make_tenant()


async def add_user(registry, tenant, actors, username: str, *roles: Role, active: bool = True) -> None:
    admin = TenantAdmin(registry)
    await admin.create_user(
        tenant.id,
        actors["admin"],
        username=username,
        display_name=username,
        roles=frozenset(roles),
        unit_code=None,
        password=None,
    )
    if not active:
        await admin.update_user(tenant.id, actors["admin"], username, {"active": False})


async def day_shift(service, tenant, actors, **overrides):
    values = {"starts_at": DAY_START, "ends_at": DAY_END, "leader": "leader", "officers": ["operator"]}
    return await service.add_shift(tenant.id, actors["supervisor"], **(values | overrides))


async def write(service, tenant, actor, shift_id, **overrides):
    values = {**HANDOVER, "equipment": "电话、录音设备正常", "notes": ""}
    return await service.write_handover(tenant.id, actor, shift_id, **(values | overrides))


# --- the roster -------------------------------------------------------------------------------


async def test_a_planned_shift_is_on_the_roster(service, tenant, actors):
    planned = await day_shift(service, tenant, actors)
    assert planned.id is not None
    assert (planned.leader, planned.officers) == ("leader", ("operator",))
    assert planned.starts_at == DAY_START and planned.ends_at == DAY_END
    # Any tenant user sees the roster; shifts overlapping the window are listed, others not.
    for reader in ("handler", "operator", "admin"):
        roster = await service.roster(tenant.id, actors[reader], DAY_END - timedelta(hours=1), DAY_END)
        assert roster == [planned]
    assert await service.roster(tenant.id, actors["handler"], DAY_END, DAY_END + timedelta(hours=4)) == []


async def test_admin_and_supervisor_plan_the_roster_others_may_not(service, tenant, actors):
    await day_shift(service, tenant, actors)
    admin_plan = await service.add_shift(
        tenant.id,
        actors["admin"],
        starts_at=DAY_END,
        ends_at=DAY_END + timedelta(hours=12),
        leader="leader",
        officers=["operator"],
    )
    assert admin_plan.starts_at == DAY_END
    for name in ("operator", "leader", "handler"):
        with pytest.raises(NotPermitted):
            await day_shift(service, tenant, {**actors, "supervisor": actors[name]})


async def test_two_officers_may_share_a_shift(service, tenant, actors, registry):
    await add_user(registry, tenant, actors, "officer2", Role.INTAKE_OFFICER)
    await add_user(registry, tenant, actors, "deputy", Role.DUTY_LEADER)
    planned = await day_shift(service, tenant, actors, officers=["operator", "officer2"])
    assert planned.officers == ("operator", "officer2")
    # A duty leader may stand a shift as an officer under another leader.
    relief = await day_shift(service, tenant, actors, officers=["deputy"])
    assert relief.officers == ("deputy",)


@pytest.mark.parametrize(
    ("overrides", "field", "who"),
    [
        ({"leader": "operator", "officers": ["leader"]}, "leader", "operator"),  # not a duty leader
        ({"leader": "supervisor"}, "leader", "supervisor"),
        ({"leader": "ghost"}, "leader", "ghost"),
        ({"leader": "retired"}, "leader", "retired"),  # holds duty_leader but is deactivated
        ({"officers": ["handler"]}, "officers", "handler"),
        ({"officers": ["operator", "ghost"]}, "officers", "ghost"),
        ({"officers": ["leader"]}, "officers", "leader"),  # the leader is not also an officer
        ({"officers": []}, "officers", ""),
        ({"ends_at": DAY_START + timedelta(hours=25)}, "ends_at", ""),
    ],
)
async def test_wrong_staff_or_times_are_refused_naming_who(
    service, tenant, actors, registry, overrides, field, who
):
    await add_user(registry, tenant, actors, "retired", Role.DUTY_LEADER, active=False)
    with pytest.raises(InvalidCommand) as refused:
        await day_shift(service, tenant, actors, **overrides)
    assert refused.value.field == field
    assert who in str(refused.value)


async def test_coverage_shows_the_gaps_to_the_planners_only(service, tenant, actors):
    await day_shift(service, tenant, actors)
    start, end = datetime(2026, 9, 30, 0, 0, tzinfo=CST), datetime(2026, 10, 1, 0, 0, tzinfo=CST)
    gaps = [(start, DAY_START), (DAY_END, end)]
    assert await service.coverage(tenant.id, actors["supervisor"], start, end) == gaps
    assert await service.coverage(tenant.id, actors["admin"], start, end) == gaps
    for name in ("operator", "leader", "handler"):
        with pytest.raises(NotPermitted):
            await service.coverage(tenant.id, actors[name], start, end)


async def test_naive_or_reversed_windows_are_refused(service, tenant, actors):
    with pytest.raises(InvalidCommand) as refused:
        await service.roster(tenant.id, actors["operator"], datetime(2026, 9, 30), DAY_END)
    assert refused.value.field == "start"
    with pytest.raises(InvalidCommand) as refused:
        await service.coverage(tenant.id, actors["admin"], DAY_END, DAY_START)
    assert refused.value.field == "end"


async def test_the_leader_on_duty_inside_and_outside_a_transaction(service, tenant, actors, registry):
    await add_user(registry, tenant, actors, "deputy", Role.DUTY_LEADER)
    await day_shift(service, tenant, actors)
    relief_start = DAY_START + timedelta(hours=4)
    await day_shift(
        service,
        tenant,
        actors,
        leader="deputy",
        starts_at=relief_start,
        ends_at=relief_start + timedelta(hours=1),
    )
    assert await leader_on_duty(tenant.id, NOW) == "leader"
    async with tenant_tx(tenant.id):  # joins the caller's transaction
        assert await leader_on_duty(tenant.id, relief_start) == "deputy"
        assert await DutyService.leader_on_duty(tenant.id, DAY_END) is None
    assert await leader_on_duty(tenant.id, DAY_START - timedelta(microseconds=1)) is None
    shift = await service.on_duty(tenant.id, actors["handler"])
    assert (shift.leader, shift.officers) == ("leader", ("operator",))


# --- handovers (confidential) -----------------------------------------------------------------


async def test_duty_staff_and_supervisors_write_and_read_handovers(service, tenant, actors):
    shift = await day_shift(service, tenant, actors)
    by_officer = await write(service, tenant, actors["operator"], shift.id)
    assert by_officer.written_by == "operator" and by_officer.at == NOW
    assert by_officer.cases_received == ("NX-2026-000001",)
    assert by_officer.pending == ("回访投诉人",) and by_officer.documents == ("值班日志",)
    by_leader = await write(service, tenant, actors["leader"], shift.id, notes="夜间无异常")
    by_supervisor = await write(service, tenant, actors["supervisor"], shift.id, cases_received=[])
    for reader in ("operator", "leader", "supervisor"):
        records = await service.handovers(tenant.id, actors[reader])
        assert {r.id for r in records} == {by_officer.id, by_leader.id, by_supervisor.id}
        assert await service.handovers(tenant.id, actors[reader], shift.id) == records


async def test_handovers_are_closed_to_handlers_and_admins(service, tenant, actors):
    shift = await day_shift(service, tenant, actors)
    await write(service, tenant, actors["operator"], shift.id)
    for name in ("handler", "admin"):
        with pytest.raises(NotPermitted):
            await service.handovers(tenant.id, actors[name])
        with pytest.raises(NotPermitted):
            await service.handovers(tenant.id, actors[name], shift.id)
        with pytest.raises(NotPermitted):
            await write(service, tenant, actors[name], shift.id)


async def test_only_the_shift_own_staff_or_a_supervisor_writes_its_handover(
    service, tenant, actors, registry
):
    await add_user(registry, tenant, actors, "officer2", Role.INTAKE_OFFICER)
    shift = await day_shift(service, tenant, actors)
    outsider = Actor("officer2", roles=frozenset({Role.INTAKE_OFFICER}))
    with pytest.raises(NotPermitted):
        await write(service, tenant, outsider, shift.id)
    # ...but as duty staff the outsider may read the tenant's handover records.
    assert await service.handovers(tenant.id, outsider) == []


async def test_a_handover_needs_an_existing_shift_and_the_equipment_state(service, tenant, actors):
    shift = await day_shift(service, tenant, actors)
    with pytest.raises(ShiftNotFound):
        await write(service, tenant, actors["supervisor"], shift.id + 10_000)
    with pytest.raises(ShiftNotFound):
        await service.handovers(tenant.id, actors["supervisor"], shift.id + 10_000)
    with pytest.raises(InvalidCommand) as refused:
        await write(service, tenant, actors["operator"], shift.id, equipment=" ")
    assert refused.value.field == "equipment"


async def test_another_tenant_sees_nothing(service, make_tenant, actors):
    ours, theirs = await make_tenant(), await make_tenant()
    shift = await day_shift(service, ours, actors)
    await write(service, ours, actors["operator"], shift.id)
    window = (DAY_START, DAY_END)
    assert await service.roster(theirs.id, actors["operator"], *window) == []
    assert await service.coverage(theirs.id, actors["admin"], *window) == [window]
    assert await service.handovers(theirs.id, actors["supervisor"]) == []
    assert await leader_on_duty(theirs.id, NOW) is None
    with pytest.raises(ShiftNotFound):
        await service.handovers(theirs.id, actors["supervisor"], shift.id)
    with pytest.raises(ShiftNotFound):
        await write(service, theirs, actors["supervisor"], shift.id)
    # A repository of one tenant refuses to run inside another tenant's transaction.
    async with tenant_tx(theirs.id):
        with pytest.raises(RuntimeError):
            await DutyRepository(ours.id).shifts_at(NOW)


# --- "报": a new case is reported to the leader on duty at once ----------------------------------


def complaint() -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title="村务公开栏未更新",
        content="南溪村政务公开栏三个月未更新，财务收支未公开。",
        identity={"name": "张三", "phone": "13812345678"},
        fields={"situation": "not_compiled", "respondent": "南溪村委会"},
    )


async def new_case(registry, tenant, actors):
    view = await CaseService(registry, FixedClock(NOW)).intake(tenant.id, complaint(), actors["operator"])
    return view.case


async def test_a_new_case_is_reported_to_the_leader_on_duty(service, tenant, actors, registry):
    case = await new_case(registry, tenant, actors)
    await day_shift(service, tenant, actors)
    async with tenant_tx(tenant.id):
        assert await report_new_case_to_leader(tenant.id, case, NOW) == "leader"
        assert await report_new_case_to_leader(tenant.id, case, NOW) == "leader"  # no second row
        inbox = await OutboxRepository(tenant.id).for_recipient("leader", "inbox")
        others = await OutboxRepository(tenant.id).for_recipient("operator", "inbox")
    reports = [n for n in inbox if n.dedupe_key == f"new-case:{case.id}:leader"]
    assert len(reports) == 1
    (report,) = reports
    assert report.subject == f"新案件 {case.serial}：村务公开栏未更新"
    assert (report.case_id, report.state, report.created_at) == (case.id, "sent", NOW)
    for line in ("类别：投诉", "渠道：电话", "严重程度：", "收件时间：2026-09-30 10:00"):
        assert line in report.body
    for secret in ("张三", "13812345678"):  # the complainant's identity never travels
        assert secret not in report.subject and secret not in report.body
    assert not [n for n in others if n.case_id == case.id]


async def test_without_a_shift_nobody_is_told(tenant, actors, registry):
    case = await new_case(registry, tenant, actors)
    async with tenant_tx(tenant.id):
        assert await report_new_case_to_leader(tenant.id, case, NOW) is None
        assert await OutboxRepository(tenant.id).for_case(case.id) == []


async def test_the_report_commits_or_rolls_back_with_the_caller(service, tenant, actors, registry):
    case = await new_case(registry, tenant, actors)  # taken in while nobody was on duty
    await day_shift(service, tenant, actors)
    with pytest.raises(ZeroDivisionError):
        async with tenant_tx(tenant.id):
            assert await report_new_case_to_leader(tenant.id, case, NOW) == "leader"
            1 / 0  # noqa: B018 — the intake failing after the report
    async with tenant_tx(tenant.id):
        assert await OutboxRepository(tenant.id).for_case(case.id) == []
        await report_new_case_to_leader(tenant.id, case, NOW)
    async with tenant_tx(tenant.id):
        assert [n.recipient for n in await OutboxRepository(tenant.id).for_case(case.id)] == ["leader"]
    with pytest.raises(RuntimeError, match="inside tenant_tx"):
        await report_new_case_to_leader(tenant.id, case, NOW)  # outside any transaction
