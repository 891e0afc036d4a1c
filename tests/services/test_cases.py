"""Case services over the real database: the township flow end to end, guards and timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import plugins.township.hooks as township
from core.domain.calendar import Period
from core.domain.cases import CaseKind, CaseState, Channel, Complexity, Satisfaction
from core.domain.commands import (
    AcceptCase,
    ApproveCase,
    ArchiveCase,
    CloseCase,
    DispatchCase,
    ExtendCase,
    RecordFeedback,
    RefuseCase,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    RequestSupplement,
    SignForCase,
    SubmitForApproval,
    SupplyMaterial,
)
from core.domain.decisions import ApprovalStep, TimerRule
from core.domain.errors import IllegalTransition, InvalidCommand, NotPermitted, RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.domain.sla import TimerState
from core.hookspecs import hookimpl
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.tenants import TenantInactive, suspend
from core.store.cases import CaseNotFound, StaleCase
from core.store.tenant_store import TenantStore
from core.store.tx import tenant_tx

SHANGHAI_0930 = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def complaint(**overrides) -> IntakeDraft:
    values = {
        "kind": CaseKind.COMPLAINT,
        "channel": Channel.PHONE,
        "title": "村务公开栏未更新",
        "content": "南溪村政务公开栏三个月未更新，财务收支未公开。",
        "identity": {"name": "张三", "phone": "13812345678"},
        "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
    }
    return IntakeDraft(**(values | overrides))


def due(view, kind: str) -> str:
    timer = next(stored.timer for stored in view.timers if stored.timer.kind == kind)
    return timer.due_at.astimezone(datetime.fromisoformat("2026-01-01T00:00+08:00").tzinfo).isoformat()


def state_of(view, kind: str) -> TimerState:
    return next(stored.timer.state for stored in view.timers if stored.timer.kind == kind)


async def test_the_township_flow_end_to_end(make_tenant, registry, actors):
    tenant = await make_tenant(prefix="NX")
    clock = FixedClock(SHANGHAI_0930)
    service = CaseService(registry, clock)

    view = await service.intake(tenant.id, complaint(), actors["operator"])
    case_id = view.case.id
    assert (view.case.serial, view.case.state, view.case.category) == (
        "NX-2026-000001",
        CaseState.RECEIVED,
        "not_compiled",
    )
    assert view.timers == ()  # Nanxi's deadlines count from acceptance

    view = await service.perform(
        tenant.id, case_id, RegisterCase(category="not_compiled"), actors["operator"]
    )
    view = await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    assert view.case.state is CaseState.ACCEPTED
    # Transfer within 1 working day; handling within 5 (National Day week, Saturday make-up day).
    assert due(view, "transfer") == "2026-10-08T23:59:59+08:00"
    assert due(view, "handling") == "2026-10-13T23:59:59+08:00"

    clock.advance(timedelta(hours=1))
    dispatch = DispatchCase(unit_code="jcs", cause="政务公开不及时", opinion="请核实并限期整改")
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    assert (view.case.state, view.case.unit_code) == (CaseState.DISPATCHED, "jcs")
    assert state_of(view, "transfer") is TimerState.STOPPED
    assert state_of(view, "return_window") is TimerState.RUNNING

    view = await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    assert state_of(view, "return_window") is TimerState.STOPPED
    view = await service.perform(
        tenant.id,
        case_id,
        ReplyToCase(mode=ReplyMode.WRITTEN, content="已责成村委会三日内更新公开栏。"),
        actors["handler"],
    )
    assert state_of(view, "handling") is TimerState.STOPPED
    assert state_of(view, "feedback") is TimerState.RUNNING

    with pytest.raises(RuleViolation, match="六\\(四\\)"):
        await service.perform(tenant.id, case_id, CloseCase(), actors["operator"])  # feedback first

    view = await service.perform(
        tenant.id, case_id, RecordFeedback(satisfaction=Satisfaction.SATISFIED), actors["operator"]
    )
    assert state_of(view, "feedback") is TimerState.STOPPED
    view = await service.perform(tenant.id, case_id, CloseCase(summary="已办结"), actors["operator"])
    view = await service.perform(tenant.id, case_id, ArchiveCase(), actors["operator"])
    assert view.case.state is CaseState.ARCHIVED

    events = await service.events(tenant.id, case_id, actors["operator"])
    assert [event.name for event in events] == [
        "case_received",
        "case_registered",
        "case_accepted",
        "case_dispatched",
        "case_signed_for",
        "case_replied",
        "case_feedback_recorded",
        "case_closed",
        "case_archived",
    ]
    assert events[2].data["timers"] == {"started": ["transfer", "handling"]}
    assert events[3].data["opinion"] == "请核实并限期整改"
    assert all(event.actor for event in events)


async def test_an_illegal_action_is_a_typed_error_and_changes_nothing(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    view = await service.intake(tenant.id, complaint(), actors["operator"])
    with pytest.raises(IllegalTransition) as error:
        await service.perform(tenant.id, view.case.id, ArchiveCase(), actors["operator"])
    assert (error.value.state, error.value.action) == ("received", "archive")
    after = await service.get(tenant.id, view.case.id, actors["operator"])
    assert (after.case.state, after.case.version) == (CaseState.RECEIVED, view.case.version)
    assert len(await service.events(tenant.id, view.case.id, actors["operator"])) == 1


async def test_out_of_scope_complaints_cannot_be_accepted_and_are_refused_with_reason(
    make_tenant, registry, actors
):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    view = await service.intake(
        tenant.id, complaint(fields={"situation": "out_of_scope", "respondent": "邻居"}), actors["operator"]
    )
    await service.perform(tenant.id, view.case.id, RegisterCase(), actors["operator"])
    with pytest.raises(RuleViolation, match="不属于政务公开投诉受理范围"):
        await service.perform(tenant.id, view.case.id, AcceptCase(), actors["operator"])
    view = await service.perform(
        tenant.id, view.case.id, RefuseCase(reason="不属于受理范围，已告知向有关部门反映"), actors["operator"]
    )
    assert view.case.state is CaseState.REFUSED
    view = await service.perform(tenant.id, view.case.id, CloseCase(), actors["operator"])
    assert view.case.state is CaseState.CLOSED


async def test_guards_that_need_the_tenant(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    with pytest.raises(InvalidCommand, match="jcs（镇监察室）"):
        await service.perform(
            tenant.id, case_id, DispatchCase(unit_code="nope", cause="c", opinion="o"), actors["leader"]
        )
    with pytest.raises(CaseNotFound):  # not yet sent to the handler's unit: not theirs to see
        await service.perform(
            tenant.id, case_id, DispatchCase(unit_code="jcs", cause="c", opinion="o"), actors["handler"]
        )
    with pytest.raises(StaleCase, match="请刷新后重试"):
        await service.perform(
            tenant.id,
            case_id,
            DispatchCase(unit_code="jcs", cause="c", opinion="o"),
            actors["leader"],
            expected_version=0,
        )


async def test_extension_is_capped_by_the_plugin(make_tenant, registry, actors):
    tenant = await make_tenant(settings={"extension_cap_working_days": 8})
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(complexity=Complexity.COMPLEX), actors["operator"])
    view = await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    assert due(view, "handling") == "2026-10-20T23:59:59+08:00"  # complex: 10 working days
    view = await service.perform(
        tenant.id,
        case_id,
        ExtendCase(period=Period.parse("5 working days"), reason="需现场核查", timer="handling"),
        actors["leader"],
    )
    assert due(view, "handling") == "2026-10-27T23:59:59+08:00"
    with pytest.raises(InvalidCommand):
        await service.perform(
            tenant.id,
            case_id,
            ExtendCase(period=Period.parse("4 working days"), reason="再延", timer="handling"),
            actors["leader"],
        )
    events = await service.events(tenant.id, case_id, actors["operator"])
    assert events[-1].name == "case_extended" and events[-1].data["timers"] == {"extended": ["handling"]}


async def test_cases_of_another_tenant_are_not_found(make_tenant, registry, actors):
    a, b = await make_tenant(), await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    view = await service.intake(a.id, complaint(), actors["operator"])
    with pytest.raises(CaseNotFound):
        await service.get(b.id, view.case.id, actors["operator"])
    with pytest.raises(CaseNotFound):
        await service.perform(b.id, view.case.id, RegisterCase(), actors["operator"])


async def test_a_suspended_tenant_takes_no_cases(make_tenant, registry, actors):
    tenant = await make_tenant()
    await suspend(tenant.slug, "欠费")
    with pytest.raises(TenantInactive, match="欠费"):
        await CaseService(registry, FixedClock(SHANGHAI_0930)).intake(
            tenant.id, complaint(), actors["operator"]
        )


async def test_identity_is_kept_apart_from_the_case(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    named = await service.intake(tenant.id, complaint(), actors["operator"])
    anonymous = await service.intake(tenant.id, complaint(anonymous=True, identity={}), actors["operator"])
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        sealed = await repo.identities.of_case(named.case.id)
        assert sealed is not None and "张三".encode() not in sealed.ciphertext
        assert await repo.identities.of_case(anonymous.case.id) is None
    assert "张三" not in repr(named.case)


async def test_intake_validates_received_at_and_audits_backdating(make_tenant, registry, actors):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    with pytest.raises(InvalidCommand, match="晚于当前时间"):
        await service.intake(
            tenant.id, complaint(received_at=SHANGHAI_0930 + timedelta(hours=1)), actors["operator"]
        )
    with pytest.raises(InvalidCommand, match="补登"):
        await service.intake(
            tenant.id, complaint(received_at=SHANGHAI_0930 - timedelta(days=31)), actors["operator"]
        )
    with pytest.raises(InvalidCommand, match="投诉人姓名、联系电话"):
        await service.intake(tenant.id, complaint(identity={}), actors["operator"])
    letter = await service.intake(
        tenant.id,
        complaint(channel=Channel.LETTER, received_at=SHANGHAI_0930 - timedelta(days=2)),
        actors["operator"],
    )
    assert letter.case.received_at == SHANGHAI_0930 - timedelta(days=2)
    event = (await service.events(tenant.id, letter.case.id, actors["operator"]))[0]
    assert event.data["backdated"] is True and event.data["logged_at"] == SHANGHAI_0930.isoformat()


class IntakeClockPlugin:
    """A test organisation: a 3-working-day answer from intake, two approval levels."""

    @hookimpl
    def hy_sla_timers(self, ctx, case):
        return (
            TimerRule(
                kind="answer",
                label="答复时限",
                period=Period.parse("3 working days"),
                basis="测试规则 1",
                stops_on=frozenset({Action.REPLY}),
            ),
        )

    @hookimpl
    def hy_approval_chain(self, ctx, case):
        return (
            ApprovalStep("section", Role.APPROVER, "科室负责人审核"),
            ApprovalStep("head", Role.APPROVER, "分管领导审批"),
        )


async def test_paused_time_does_not_count_and_approval_gates_dispatch(make_tenant, actors):
    registry = PluginRegistry({"township": township, "intake-clock": IntakeClockPlugin()})
    tenant = await make_tenant("intake-clock", registry_=registry)
    clock = FixedClock(SHANGHAI_0930)
    service = CaseService(registry, clock)
    view = await service.intake(tenant.id, complaint(), actors["operator"])
    case_id = view.case.id
    assert due(view, "answer") == "2026-10-10T23:59:59+08:00"  # 10-08, 10-09, Saturday 10-10 make-up day
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    view = await service.perform(
        tenant.id, case_id, RequestSupplement(items=("身份证明",)), actors["operator"]
    )
    assert state_of(view, "answer") is TimerState.PAUSED
    clock.advance(timedelta(days=1))
    view = await service.perform(tenant.id, case_id, SupplyMaterial(), actors["operator"])
    assert state_of(view, "answer") is TimerState.RUNNING
    assert due(view, "answer") == "2026-10-11T23:59:59+08:00"  # shifted by the paused day

    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    dispatch = DispatchCase(unit_code="jcs", cause="c", opinion="o")
    with pytest.raises(RuleViolation, match="科室负责人审核"):
        await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    await service.perform(tenant.id, case_id, SubmitForApproval(opinion="拟转镇监察室"), actors["operator"])
    await service.perform(tenant.id, case_id, ApproveCase(), actors["leader"])
    with pytest.raises(RuleViolation, match="分管领导审批"):
        await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    await service.perform(tenant.id, case_id, ApproveCase(), actors["leader"])
    view = await service.perform(tenant.id, case_id, dispatch, actors["leader"])
    assert view.case.state is CaseState.DISPATCHED and view.case.approvals == ("section", "head")


class Recorder:
    """Records every hook the core calls, answering nothing so the core defaults decide."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _record(self, name: str) -> None:
        self.calls.append(name)

    @hookimpl
    def hy_intake_schema(self, ctx, kind):
        self._record("hy_intake_schema")

    @hookimpl
    def hy_case_classification(self, ctx, case):
        self._record("hy_case_classification")

    @hookimpl
    def hy_case_acceptance(self, ctx, case):
        self._record("hy_case_acceptance")

    @hookimpl
    def hy_approval_chain(self, ctx, case):
        self._record("hy_approval_chain")

    @hookimpl
    def hy_reply_requirements(self, ctx, case):
        self._record("hy_reply_requirements")

    @hookimpl
    def hy_sla_timers(self, ctx, case):
        self._record("hy_sla_timers")

    @hookimpl
    def hy_transition_veto(self, ctx, case, command):
        self._record(f"hy_transition_veto:{command.action.value}")

    @hookimpl
    def hy_on_case_received(self, ctx, case):
        self._record("hy_on_case_received")

    @hookimpl
    def hy_on_case_transitioned(self, ctx, case, event):
        self._record(f"hy_on_case_transitioned:{event.name}")


async def test_a_recording_plugin_proves_the_order_of_hook_calls(make_tenant, actors):
    recorder = Recorder()
    registry = PluginRegistry({"recorder": recorder})
    tenant = await make_tenant("recorder", registry_=registry)
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    recorder.calls.clear()
    case_id = (await service.intake(tenant.id, complaint(fields={}), actors["operator"])).case.id
    assert recorder.calls == [
        "hy_intake_schema",
        "hy_case_classification",
        "hy_sla_timers",
        "hy_on_case_received",
    ]

    recorder.calls.clear()
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    assert recorder.calls == [
        "hy_transition_veto:register",
        "hy_approval_chain",
        "hy_reply_requirements",
        "hy_sla_timers",
        "hy_on_case_transitioned:case_registered",
        "hy_transition_veto:accept",
        "hy_case_acceptance",
        "hy_approval_chain",
        "hy_reply_requirements",
        "hy_sla_timers",
        "hy_on_case_transitioned:case_accepted",
    ]


async def test_return_and_reopen_restart_their_deadlines(make_tenant, registry, actors):
    from core.domain.commands import ReopenCase, ReturnCase

    tenant = await make_tenant()
    clock = FixedClock(SHANGHAI_0930)
    service = CaseService(registry, clock)
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    dispatch = DispatchCase(unit_code="dzb", cause="c", opinion="o")
    await service.perform(tenant.id, case_id, dispatch, actors["leader"])

    clock.at = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
    dzb_handler = Actor(username="dzb-handler", roles=frozenset({Role.HANDLER}), unit_code="dzb")
    view = await service.perform(tenant.id, case_id, ReturnCase(reason="不属本单位职责"), dzb_handler)
    assert state_of(view, "transfer") is TimerState.RUNNING
    assert due(view, "transfer") == "2026-10-13T23:59:59+08:00"  # a new working day to re-dispatch

    await service.perform(
        tenant.id, case_id, DispatchCase(unit_code="jcs", cause="c", opinion="o"), actors["leader"]
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    reply = ReplyToCase(mode=ReplyMode.PHONE, content="已电话答复")
    view = await service.perform(tenant.id, case_id, reply, actors["handler"])
    assert state_of(view, "handling") is TimerState.STOPPED
    clock.at = datetime(2026, 10, 14, 1, 0, tzinfo=UTC)  # Wednesday
    feedback = RecordFeedback(satisfaction=Satisfaction.DISSATISFIED)
    await service.perform(tenant.id, case_id, feedback, actors["operator"])
    view = await service.perform(tenant.id, case_id, ReopenCase(reason="投诉人不满意"), actors["operator"])
    assert view.case.state is CaseState.IN_HANDLING
    assert state_of(view, "handling") is TimerState.RUNNING
    assert due(view, "handling") == "2026-10-21T23:59:59+08:00"  # five fresh working days


async def test_settings_for_one_case_kind_reach_the_plugin(make_tenant, registry, actors):
    tenant = await make_tenant(kind_settings={"report": {"general_working_days": 3}})
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    handling = {}
    for kind in (CaseKind.COMPLAINT, CaseKind.REPORT):
        case_id = (await service.intake(tenant.id, complaint(kind=kind), actors["operator"])).case.id
        await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
        view = await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
        handling[kind] = due(view, "handling")
    assert handling == {
        CaseKind.COMPLAINT: "2026-10-13T23:59:59+08:00",  # the tenant's 5 working days
        CaseKind.REPORT: "2026-10-10T23:59:59+08:00",  # 3 working days for reports (Saturday make-up day)
    }


async def test_the_handler_asks_for_more_time_and_a_leader_grants_it(make_tenant, registry, actors):
    from core.domain.commands import RequestExtension

    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    await service.perform(
        tenant.id, case_id, DispatchCase(unit_code="jcs", cause="c", opinion="o"), actors["leader"]
    )
    await service.perform(tenant.id, case_id, SignForCase(handler="handler"), actors["handler"])
    five_days = Period.parse("5 working days")
    asked = await service.perform(
        tenant.id,
        case_id,
        RequestExtension(period=five_days, reason="需调取档案", timer="handling"),
        actors["handler"],
    )
    assert due(asked, "handling") == "2026-10-13T23:59:59+08:00"  # asking changes nothing yet
    with pytest.raises(NotPermitted):
        await service.perform(
            tenant.id,
            case_id,
            ExtendCase(period=five_days, reason="自批", timer="handling"),
            actors["handler"],
        )
    granted = await service.perform(
        tenant.id,
        case_id,
        ExtendCase(period=five_days, reason="同意延期", timer="handling"),
        actors["leader"],
    )
    assert due(granted, "handling") == "2026-10-20T23:59:59+08:00"
    names = [e.name for e in await service.events(tenant.id, case_id, actors["operator"])]
    assert names[-2:] == ["case_extension_requested", "case_extended"]


async def test_an_upheld_complaint_holds_its_respondent_to_account(make_tenant, registry, actors):
    from core.domain.commands import Outcome
    from core.domain.payloads import command_from_payload

    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    ledger_subjects = []
    for _ in range(2):
        case_id = (await service.intake(tenant.id, complaint(), actors["operator"])).case.id
        for command, who in (
            (RegisterCase(), "operator"),
            (AcceptCase(), "operator"),
            (DispatchCase(unit_code="jcs", cause="c", opinion="o"), "leader"),
            (SignForCase(handler="handler"), "handler"),
            (ReplyToCase(mode=ReplyMode.WRITTEN, content="经查属实，已责令整改"), "handler"),
            (RecordFeedback(satisfaction=Satisfaction.SATISFIED), "operator"),
        ):
            await service.perform(tenant.id, case_id, command, actors[who])
        close = command_from_payload(
            Action.CLOSE, {"summary": "投诉属实", "outcome": "upheld", "respondent": "dzb", "amount": "0"}
        )
        assert close.outcome is Outcome.UPHELD
        await service.perform(tenant.id, case_id, close, actors["operator"])
        events = await service.events(tenant.id, case_id, actors["operator"])
        ledger_subjects.append(events[-1].data["accountability"])
    assert [a["sanctions"][0]["kind"] for a in ledger_subjects] == ["criticism", "circulated_criticism"]
    assert {a["subject"] for a in ledger_subjects} == {"dzb"}
    with pytest.raises(InvalidCommand, match="被投诉人"):
        command_from_payload(Action.CLOSE, {"outcome": "upheld"})
    with pytest.raises(InvalidCommand, match="金额"):
        command_from_payload(Action.CLOSE, {"outcome": "verified", "amount": "lots"})


class OfficeReplies:
    """Only the office answers the person (质监局：办公室通知投诉人); tries to let handlers dispatch."""

    @hookimpl
    def hy_action_roles(self, ctx, case, action):
        if action is Action.REPLY:
            return frozenset({Role.INTAKE_OFFICER})
        if action is Action.DISPATCH:
            return frozenset({Role.HANDLER})  # not in the matrix for dispatch: must change nothing
        return None


async def test_a_plugin_may_narrow_who_acts_but_not_widen_it(make_tenant, actors):
    registry = PluginRegistry({"township": township, "office": OfficeReplies()})
    tenant = await make_tenant("office", registry_=registry)
    service = CaseService(registry, FixedClock(SHANGHAI_0930))
    case_id = (await service.intake(tenant.id, complaint(fields={}), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
    dispatch = DispatchCase(unit_code="jcs", cause="c", opinion="o")
    # A handler lacks the permission (whatever the plugin says), the leader the plugin's role.
    office_handler = Actor(username="clerk", roles=frozenset({Role.HANDLER, Role.INTAKE_OFFICER}))
    for who in (office_handler, actors["leader"]):
        with pytest.raises(NotPermitted):
            await service.perform(tenant.id, case_id, dispatch, who)
    reply = ReplyToCase(mode=ReplyMode.WRITTEN, content="已答复")
    # One who may handle (and, tenant-wide, sees the case) but is not the office: narrowed away.
    not_office = Actor(username="checker", roles=frozenset({Role.HANDLER, Role.AUDITOR}))
    with pytest.raises(NotPermitted, match="特定岗位"):
        await service.perform(tenant.id, case_id, reply, not_office)
    view = await service.perform(tenant.id, case_id, reply, actors["operator"])
    assert view.case.state is CaseState.REPLIED
