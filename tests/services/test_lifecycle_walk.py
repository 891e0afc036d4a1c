"""Every edge of the lifecycle table, performed through the services on the real database.

Township cases cover every edge but the approval ones (Nanxi has no approval chain, so
submitting for approval is refused); a one-step approval plugin covers those.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import plugins.township.hooks as township
import plugins.township.rules as township_rules
from core.domain.calendar import Period
from core.domain.cases import CaseKind, CaseState, Channel
from core.domain.decisions import ApprovalStep
from core.domain.errors import RuleViolation
from core.domain.intake import IntakeDraft
from core.domain.lifecycle import TRANSITIONS, Action
from core.domain.payloads import command_from_payload
from core.domain.roles import Actor, Role
from core.hookspecs import hookimpl
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from core.services.clock import FixedClock

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
A, S = Action, CaseState

# Everyone at once: permissions are tested elsewhere; here only the table and the guards speak.
ALL_ROLES = Actor(username="walker", roles=frozenset(Role))

PAYLOADS = {
    A.REGISTER: {"category": "not_compiled"},
    A.ACCEPT: {},
    A.REFUSE: {"reason": "不属于受理范围"},
    A.REFER_OUT: {"agency": "县信访局"},
    A.REQUEST_SUPPLEMENT: {"items": ["身份证明"]},
    A.SUPPLY: {},
    A.SUBMIT_FOR_APPROVAL: {"opinion": "拟转镇监察室办理"},
    A.APPROVE: {},
    A.REJECT: {"reason": "意见不明确"},
    A.DISPATCH: {"unit_code": "jcs", "cause": "政务公开不及时", "opinion": "请核实"},
    A.SIGN_FOR: {"handler": "handler"},
    A.RETURN: {"reason": "不属本单位职责"},
    A.REPLY: {"mode": "written", "content": "已整改"},
    A.RECORD_FEEDBACK: {"satisfaction": "satisfied"},
    A.CLOSE: {},
    A.ARCHIVE: {},
    A.REQUEST_EXTENSION: {"period": "2 working days", "reason": "需现场核查", "timer": "handling"},
    A.INSTRUCT: {"instruction": "请立即派员核查"},
    A.ARRIVE: {"note": "已到达现场"},
    A.FOLLOW_UP: {"note": "已核实", "verified": True},
    A.EXTEND: {"period": "2 working days", "reason": "需现场核查", "timer": "handling"},
    A.ESCALATE: {"reason": "群众多次来电"},
    A.REOPEN: {"reason": "投诉人不满意"},
    A.INVESTIGATE: {"investigators": ["王五", "赵六"], "findings": "经调查属实", "signed": True},
    A.SET_DEADLINE: {"timer": "handling", "due_on": "2026-11-20", "reason": "特殊情况，已告知投诉人"},
    A.ORDER_REMEDY: {"accused": "南溪村委会", "measures": "更新公开栏", "due_on": "2026-11-20"},
    A.CONFIRM_REMEDY: {"note": "已更新"},
}

PATHS = {
    S.RECEIVED: (),
    S.REGISTERED: (A.REGISTER,),
    S.AWAITING_SUPPLEMENT: (A.REGISTER, A.REQUEST_SUPPLEMENT),
    S.ACCEPTED: (A.REGISTER, A.ACCEPT),
    S.REFUSED: (A.REGISTER, A.REFUSE),
    S.REFERRED_OUT: (A.REGISTER, A.REFER_OUT),
    S.PENDING_APPROVAL: (A.REGISTER, A.ACCEPT, A.SUBMIT_FOR_APPROVAL),
    S.DISPATCHED: (A.REGISTER, A.ACCEPT, A.DISPATCH),
    S.IN_HANDLING: (A.REGISTER, A.ACCEPT, A.DISPATCH, A.SIGN_FOR),
    S.RETURNED: (A.REGISTER, A.ACCEPT, A.DISPATCH, A.RETURN),
    S.REPLIED: (A.REGISTER, A.ACCEPT, A.DISPATCH, A.SIGN_FOR, A.REPLY),
    S.FEEDBACK: (A.REGISTER, A.ACCEPT, A.DISPATCH, A.SIGN_FOR, A.REPLY, A.RECORD_FEEDBACK),
    S.CLOSED: (A.REGISTER, A.ACCEPT, A.DISPATCH, A.SIGN_FOR, A.REPLY, A.RECORD_FEEDBACK, A.CLOSE),
    S.ARCHIVED: (
        A.REGISTER,
        A.ACCEPT,
        A.DISPATCH,
        A.SIGN_FOR,
        A.REPLY,
        A.RECORD_FEEDBACK,
        A.CLOSE,
        A.ARCHIVE,
    ),
}

APPROVAL_EDGES = {edge for edge in TRANSITIONS if edge[1] in (A.SUBMIT_FOR_APPROVAL, A.APPROVE, A.REJECT)} | {
    edge for edge in TRANSITIONS if edge[0] is S.PENDING_APPROVAL
}


class OneStepApproval:
    """The township's rules plus one approval level before dispatch."""

    @hookimpl
    def hy_approval_chain(self, ctx, case):
        return (ApprovalStep("leader", Role.APPROVER, "领导审批"),)

    @hookimpl
    def hy_sla_timers(self, ctx, case):
        return township_rules.timer_rules(case, general_days=5, complex_days=10, extension_cap_days=10)


def draft() -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.WEB,
        title="政务公开栏未更新",
        content="三个月未更新",
        anonymous=True,
        fields={"situation": "not_compiled", "respondent": "南溪村委会"},
    )


def test_the_paths_reach_their_states():
    for state, path in PATHS.items():
        reached = S.RECEIVED
        for action in path:
            reached = TRANSITIONS[(reached, action)]
        assert reached is state


@pytest.mark.parametrize(
    ("edge"), sorted(TRANSITIONS, key=lambda e: (e[0].value, e[1].value)), ids=lambda e: f"{e[0]}-{e[1]}"
)
async def test_every_edge_through_the_services(edge, make_tenant, unique_slug):
    state, action = edge
    approval = edge in APPROVAL_EDGES
    registry = PluginRegistry({"township": township, "one-step": OneStepApproval()})
    tenant = await make_tenant("one-step" if approval else "township", registry_=registry)
    service = CaseService(registry, FixedClock(NOW))
    case_id = (await service.intake(tenant.id, draft(), ALL_ROLES)).case.id
    path = PATHS[state]
    if approval and state is S.PENDING_APPROVAL and action is A.DISPATCH:
        path = (*path, A.APPROVE)
    if action is A.CONFIRM_REMEDY:  # there must be an order to confirm
        path = (*path, A.ORDER_REMEDY)
    for step in path:
        await service.perform(tenant.id, case_id, command_from_payload(step, PAYLOADS[step]), ALL_ROLES)
    payload = PAYLOADS[action]
    if action is A.EXTEND and state is S.PENDING_APPROVAL:
        payload = payload | {"period": str(Period.parse("1 working day"))}
    view = await service.perform(tenant.id, case_id, command_from_payload(action, payload), ALL_ROLES)
    assert view.case.state is TRANSITIONS[edge]
    events = await service.events(tenant.id, case_id, ALL_ROLES)
    assert (events[-1].name, events[-1].from_state, events[-1].to_state) == (
        action.event_name,
        state,
        TRANSITIONS[edge],
    )


async def test_township_cases_need_no_approval(make_tenant, registry):
    tenant = await make_tenant()
    service = CaseService(registry, FixedClock(NOW))
    case_id = (await service.intake(tenant.id, draft(), ALL_ROLES)).case.id
    for step in PATHS[S.ACCEPTED]:
        await service.perform(tenant.id, case_id, command_from_payload(step, PAYLOADS[step]), ALL_ROLES)
    with pytest.raises(RuleViolation, match="无需审批"):
        await service.perform(
            tenant.id,
            case_id,
            command_from_payload(A.SUBMIT_FOR_APPROVAL, PAYLOADS[A.SUBMIT_FOR_APPROVAL]),
            ALL_ROLES,
        )
