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
    TimerEffect,
    TimerPhase,
    TimerRule,
)

__all__ = [
    "DAY_UNITS",
    "LEADER_STEP",
    "NATURES",
    "OUT_OF_SCOPE",
    "REGULATIONS",
    "REMEDY_TIMER",
    "FeedbackBeforeClosing",
    "LeaderReadsFirst",
    "OutOfScope",
    "Regulation",
    "RemedyNotGranted",
    "RemedyOutstanding",
    "approval_chain",
    "day_period",
    "extension_granters",
    "identity_readers",
    "nature_choices",
    "regulation",
    "remedy_effects",
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

OUT_OF_SCOPE = "other"
"""The intake answer for a matter outside every nature: taken in, then handed to the competent body."""

REMEDY_TIMER = "remedy"
"""The core's timer of an order to stop or put things right (`order_remedy` → `confirm_remedy`)."""


def nature_choices() -> tuple[tuple[str, str], ...]:
    """The intake choices of ``nature``: the regulation's list, then "other" (handed over at acceptance)."""
    return (*NATURES.items(), (OUT_OF_SCOPE, "其他（不属于本机关受理范围）"))


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
    remedy: str  # the clause granting the power to order a stop or a remedy; "" when the text has none

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
        remedy="",  # the bureau's text gives its office no power to order the accused
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
        remedy="9",
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


def FeedbackBeforeClosing(case: Case, action: Action, reg: Regulation, *, feedback_days: int) -> str | None:
    """Where the text sets no deadline for it, a real-name complainant is told and heard before closing.

    计生 7(4) says only "应当将办理结果告知该投诉举报者,听取其意见" (``feedback_days = 0``): the
    case does not close until the feedback is recorded. 成都 第六条(六) counts "查结后2日内"
    from the closure (``feedback_days > 0``): the case closes first and the ``feedback`` timer
    holds the office to the 2 days, so nothing is refused here. An anonymous case may close
    straight after the reply either way.
    """
    if (
        feedback_days <= 0
        and action is Action.CLOSE
        and case.state is CaseState.REPLIED
        and not case.anonymous
        and case.kind in FOLLOWED_UP
    ):
        return (
            f"署实名的投诉举报，须先将查办结果告知投诉举报人并记录反馈，方可办结（{reg.basis(reg.feedback)}）"
        )
    return None


def RemedyNotGranted(action: Action, reg: Regulation, *, may_order_remedy: bool) -> str | None:
    """Only an office whose text grants the power may order the accused to stop or remedy (计生 9).

    The Chengdu bureau's text has no such clause: its office hands the matter to the division
    concerned (第六条(三)), which is refused an order here.
    """
    if action is not Action.ORDER_REMEDY or may_order_remedy:
        return None
    return (
        f"本单位《{reg.title}》未规定投诉举报工作机构可责令被投诉举报人停止或补救，不能下达整改要求；"
        f"请按{reg.basis(reg.handoff)}移送有关职能处室（单位）查办"
    )


def RemedyOutstanding(action: Action, open_timers: frozenset[str], reg: Regulation) -> str | None:
    """A case is not closed while the accused's ordered stop or remedy is not confirmed (计生 9).

    The order is the office's own demand on the accused; closing over it would drop the check
    that the wrongdoing stopped, and leave its deadline running on a closed case.
    """
    if action is not Action.CLOSE or REMEDY_TIMER not in open_timers:
        return None
    clause = reg.basis(reg.remedy or reg.handling)
    return f"已责令被投诉举报人停止或补救，尚未验收整改情况，不能办结；请先验收整改（{clause}）"


def remedy_effects(timer_kind: str, phase: TimerPhase) -> tuple[TimerEffect, ...] | None:
    """What a remedy deadline does: urge at the warning point; urge and a 督办通知单 at breach.

    The late party is the accused, not the office's staff, so a breach writes no accountability
    event against them. Other timers are left to the core (None).
    """
    if timer_kind != REMEDY_TIMER:
        return None
    if phase is TimerPhase.WARNING:
        return (TimerEffect.REMIND,)
    return (TimerEffect.REMIND, TimerEffect.SUPERVISION_NOTICE)


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

    Every period counts in the tenant's ``day_unit``. The draft opinion is due "当日内": the end
    of the day of acceptance (a rest day rolls to the next workday). The feedback is due
    ``feedback_days`` after the closure (查结后), for real-name cases only.
    """
    rules = []
    if leader_approval and case.kind in FOLLOWED_UP:
        rules.append(
            TimerRule(
                kind="draft_opinion",
                label="拟办意见呈报时限（当日）",
                period=day_period(0, day_unit),
                basis=reg.basis(reg.draft),
                starts_on=Action.ACCEPT,
                restarts_on=frozenset({Action.REJECT}),  # a draft sent back is redrafted the same day
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
                label="实名告知查办结果时限",
                period=day_period(feedback_days, day_unit),
                basis=reg.basis(reg.feedback),
                # 查结后: from the closure. A complainant already told and heard before closing
                # (feedback recorded) owes nothing more, so the rule then starts on no action
                # (None is intake, long past) but still stops a timer a reopened case left.
                starts_on=Action.CLOSE if case.satisfaction is None else None,
                stops_on=frozenset({Action.RECORD_FEEDBACK, Action.REOPEN}),
            )
        )
    return tuple(rules)


def extension_granters(action: Action) -> frozenset[Role] | None:
    """Who grants more handling time: the leader (成都 第六条(四) 经领导批准; 计生 7(3) 报经单位负责人同意).

    The permission matrix also lets unit heads and supervisors extend; both texts reserve it
    to the leadership, so the plugin narrows ``extend`` to approvers. Other actions: the matrix.
    """
    return frozenset({Role.APPROVER}) if action is Action.EXTEND else None


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
