"""Administrative-efficiency complaint rules as small named sentences, testable without pluggy.

One plugin serves two regulations of the seed's 第四篇 that say nearly the same thing in
different units: the Chengdu Government Offices Administration's 局投诉举报制度 (calendar days,
a leader reads every draft) and the district family-planning bureau's 投诉举报制度 (working
days, the office may handle directly). The differences are tenant settings; the clause a
sentence cites comes from the `Regulation` the tenant's ``regulation`` setting names. Clause
references point at the quotations in this plugin's README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from core.sdk import (
    AccountabilityEvent,
    AccountabilityKind,
    Action,
    ApprovalStep,
    Case,
    CaseKind,
    CaseState,
    Period,
    PeriodUnit,
    Role,
    Sanction,
    SanctionKind,
    TimerRule,
)

__all__ = [
    "DAY_UNITS",
    "LEADER_STEP",
    "NATURES",
    "REGULATIONS",
    "FeedbackBeforeClosing",
    "LeaderReadsFirst",
    "OutOfScope",
    "Regulation",
    "approval_chain",
    "day_period",
    "identity_readers",
    "regulation",
    "sanction_ladder",
    "sanctions_for",
    "timer_rules",
]

_T = TypeVar("_T")

FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})
"""The kinds both regulations govern (投诉举报); consultations are outside them."""

NATURES: dict[str, str] = {
    "fault": "行政过错",
    "efficiency": "行政效率",
    "quality": "服务质量",
    "work_style": "工作作风",
    "discipline": "违法违纪",
}
"""The natures a complaint or report is classified by (成都 第二条、第五条(一); 计生 2、5)."""

DAY_UNITS: dict[str, PeriodUnit] = {
    "calendar": PeriodUnit.CALENDAR_DAYS,
    "working": PeriodUnit.WORKING_DAYS,
}
"""Values of the ``day_unit`` setting."""


@dataclass(frozen=True, slots=True)
class Regulation:
    """The title and clause numbers a tenant's regulation gives each rule (for `basis` texts)."""

    title: str
    scope: str
    registration: str
    draft: str
    handoff: str
    handling: str
    extension: str
    feedback: str
    confidentiality: str
    sanctions: str

    def basis(self, clause: str) -> str:
        """The basis text for one clause, e.g. "局投诉举报制度 第六条(四)"."""
        return f"{self.title} {clause}"


REGULATIONS: dict[str, Regulation] = {
    "jgswj": Regulation(
        title="局投诉举报制度",
        scope="第二条",
        registration="第六条(一)",
        draft="第六条(二)",
        handoff="第六条(三)",
        handling="第六条(四)",
        extension="第六条(四)",
        feedback="第六条(六)",
        confidentiality="第七条",
        sanctions="第八条",
    ),
    # The bureau's text numbers its items "1、" and "(1)"; the bases cite them the same way.
    "jsj": Regulation(
        title="城区计生局投诉举报制度",
        scope="2",
        registration="7(1)",
        draft="4",  # no 呈报 step: the office may handle directly (only cited if switched on)
        handoff="7(3)",
        handling="7(3)",
        extension="7(3)",
        feedback="7(4)",
        confidentiality="7(2)",
        sanctions="10、11",
    ),
}
"""Values of the ``regulation`` setting: which text the tenant adopted."""


def _choice(table: dict[str, _T], key: str, setting: str) -> _T:
    """The value `key` names in `table`, or a ValueError naming the setting and the choices."""
    try:
        return table[key]
    except KeyError:
        allowed = "、".join(table)
        raise ValueError(f"设置 {setting} 的值“{key}”无效；可用值：{allowed}") from None


def regulation(key: str) -> Regulation:
    """The regulation named by the ``regulation`` setting."""
    return _choice(REGULATIONS, key, "regulation")


def day_period(amount: int, day_unit: str) -> Period:
    """`amount` days counted as the tenant's ``day_unit`` says: calendar (成都) or working (计生)."""
    return Period(amount, _choice(DAY_UNITS, day_unit, "day_unit"))


def OutOfScope(kind: CaseKind, nature: str, reg: Regulation) -> str | None:
    """Why a complaint or report is outside the regulation's scope, or None when it is inside.

    Both regulations cover faults, efficiency, quality, work style and discipline of their own
    organs and staff; anything else goes to the competent body (成都 第六条(三), 计生 7(1)).
    """
    if kind not in FOLLOWED_UP or nature in NATURES:
        return None
    return (
        f"所反映事项不属于本机关投诉举报受理范围（{reg.basis(reg.scope)}），"
        "请移交有管辖权的部门并告知投诉举报人"
    )


def LeaderReadsFirst(case: Case, action: Action, *, leader_approval: bool, reg: Regulation) -> str | None:
    """An accepted complaint is not answered before the leader has read the draft (成都 第六条(二)).

    The approval chain already gates ``dispatch``; this closes the other way out of ``accepted``
    (an on-the-spot reply) for the tenants whose leader reads every draft.
    """
    if (
        leader_approval
        and action is Action.REPLY
        and case.state is CaseState.ACCEPTED
        and case.kind in FOLLOWED_UP
    ):
        return f"受理的投诉举报件须当日提出拟办意见送分管领导阅批，不得直接答复（{reg.basis(reg.draft)}）"
    return None


def FeedbackBeforeClosing(case: Case, action: Action, reg: Regulation) -> str | None:
    """A real-name complainant is told the result (and heard) before the case closes.

    成都 第六条(六) and 计生 7(4); an anonymous case may close straight after the reply.
    """
    if (
        action is Action.CLOSE
        and case.state is CaseState.REPLIED
        and not case.anonymous
        and case.kind in FOLLOWED_UP
    ):
        return (
            f"署实名的投诉举报，须先将查办结果告知投诉举报人并记录反馈，方可办结（{reg.basis(reg.feedback)}）"
        )
    return None


LEADER_STEP = ApprovalStep("leader", Role.APPROVER, "分管领导审批")
"""The one approval level of 呈报: the leader in charge reads the draft opinion."""


def approval_chain(case: Case, *, leader_approval: bool) -> tuple[ApprovalStep, ...]:
    """A draft opinion goes to the leader in charge (成都 第六条(二)); none where the office decides."""
    if leader_approval and case.kind in FOLLOWED_UP:
        return (LEADER_STEP,)
    return ()


def timer_rules(
    case: Case,
    *,
    reg: Regulation,
    day_unit: str,
    handling_days: int,
    extension_cap_days: int,
    handoff_days: int,
    feedback_days: int,
    leader_approval: bool,
) -> tuple[TimerRule, ...]:
    """The deadlines of a complaint or report: draft opinion, hand-off, handling and feedback.

    Every period counts in the tenant's ``day_unit``. The draft opinion is due "当日内"; the
    core's periods cannot end on the trigger's own day, so it is one day (a contract gap).
    """
    rules = []
    if leader_approval and case.kind in FOLLOWED_UP:
        rules.append(
            TimerRule(
                kind="draft_opinion",
                label="拟办意见呈报时限（当日）",
                period=day_period(1, day_unit),
                basis=reg.basis(reg.draft),
                starts_on=Action.ACCEPT,
                restarts_on=frozenset({Action.REJECT}),  # a draft sent back is redrafted as promptly
                stops_on=frozenset({Action.SUBMIT_FOR_APPROVAL, Action.REFER_OUT}),
            )
        )
    rules.append(
        TimerRule(
            kind="handoff",
            label="移交时限",
            period=day_period(handoff_days, day_unit),
            basis=reg.basis(reg.handoff),
            starts_on=Action.ACCEPT,
            stops_on=frozenset({Action.REFER_OUT, Action.DISPATCH, Action.REPLY}),
        )
    )
    rules.append(
        TimerRule(
            kind="handling",
            label="办理时限",
            period=day_period(handling_days, day_unit),
            basis=reg.basis(reg.handling),
            starts_on=Action.ACCEPT,
            restarts_on=frozenset({Action.REOPEN}),
            stops_on=frozenset({Action.REPLY, Action.REFER_OUT}),
            extension_cap=day_period(extension_cap_days, day_unit),
        )
    )
    if feedback_days > 0 and not case.anonymous and case.kind in FOLLOWED_UP:
        rules.append(
            TimerRule(
                kind="feedback",
                label="实名反馈时限",
                period=day_period(feedback_days, day_unit),
                basis=reg.basis(reg.feedback),
                starts_on=Action.REPLY,
                stops_on=frozenset({Action.RECORD_FEEDBACK, Action.REOPEN}),
            )
        )
    return tuple(rules)


def identity_readers() -> frozenset[Role]:
    """Who may read a complainant's identity: the complaint office only (成都 第七条, 计生 7(2)).

    The accused is the organisation's own staff, so a leader or a division may be the accused or
    their superior; the core already keeps handlers and unit heads out. The intake officer (who
    tells the result) and the office's supervisor keep the identity; approvers lose it.
    """
    return frozenset({Role.INTAKE_OFFICER, Role.SUPERVISOR})


def sanction_ladder(text: str) -> tuple[SanctionKind, ...]:
    """Parse the ``sanction_ladder`` setting: sanction kinds, mildest first, comma-separated."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError("设置 sanction_ladder 不能为空")
    return tuple(
        _choice({kind.value: kind for kind in SanctionKind}, name, "sanction_ladder") for name in names
    )


def sanctions_for(
    event: AccountabilityEvent, *, ladder: tuple[SanctionKind, ...], reg: Regulation
) -> tuple[Sanction, ...]:
    """An upheld complaint against staff climbs the tenant's ladder by the subject's count this year.

    成都 第八条: 行政效能告诫 → 通报批评 → 追究行政责任; 计生 10、11: 批评教育 → 政纪处分.
    Other events (deadline breaches, losses, verified reports) carry no line here.
    """
    if event.kind is not AccountabilityKind.COMPLAINT_UPHELD:
        return ()
    kind = ladder[min(max(event.count_in_year, 1), len(ladder)) - 1]
    return (Sanction(kind=kind, basis=reg.basis(reg.sanctions), note=f"本年度第 {event.count_in_year} 次"),)
