"""The Nanxi Town disclosure-complaint rules as small named sentences, testable without pluggy.

Clause references ("南溪镇制度 五(一)") point at the regulation quoted in this plugin's README.
"""

from __future__ import annotations

from core.sdk import (
    AccountabilityEvent,
    AccountabilityKind,
    Action,
    Case,
    CaseState,
    Complexity,
    Period,
    Sanction,
    SanctionKind,
    TimerRule,
)

__all__ = [
    "OUT_OF_SCOPE",
    "SITUATIONS",
    "SITUATION_CHOICES",
    "FeedbackBeforeClosing",
    "OutOfScope",
    "handling_period",
    "sanctions_for",
    "timer_rules",
]

BASIS = "南溪镇制度"

SITUATIONS: dict[str, str] = {
    "no_disclosure": "不依法履行政务公开义务",
    "not_compiled": "不编制、不提供、不及时更新公开的政务信息、指南和目录",
    "untrue": "公开的政务信息不真实",
    "illegal_fees": "违反规定收取费用或通过他人以有偿服务方式提供应当公开的信息",
    "not_corrected": "对违反政务公开规定的行为应当纠正而不纠正、应当追究而不追究",
    "secrecy_breached": "公开信息时违反保密法律、法规",
    "other": "违反政务公开工作有关规定的其他行为",
}
"""The seven complainable situations of clause 二, by key."""

OUT_OF_SCOPE = "out_of_scope"
SITUATION_CHOICES = (*SITUATIONS.items(), (OUT_OF_SCOPE, "不属于以上情形（不予受理，告知向有权机关反映）"))
"""What intake offers: the seven situations, and the way to log a complaint outside them."""


def OutOfScope(situation: str) -> str | None:
    """Why a complaint is outside the seven situations of clause 二, or None when it is inside."""
    if situation in SITUATIONS:
        return None
    return f"所投诉事项不属于政务公开投诉受理范围（{BASIS} 二），请告知投诉人向有权机关反映"


def FeedbackBeforeClosing(case: Case, action: Action) -> str | None:
    """A named complainant hears the answer and gives satisfaction before the case closes (六(四))."""
    if action is Action.CLOSE and case.state is CaseState.REPLIED and not case.anonymous:
        return f"实名投诉须先向投诉人反馈办理结果并注明满意度，方可办结（{BASIS} 六(四)）"
    return None


def handling_period(complexity: Complexity, *, general_days: int, complex_days: int) -> Period:
    """General complaints close within 5 working days, complex ones within 10 (clause 五)."""
    days = complex_days if complexity is Complexity.COMPLEX else general_days
    return Period.parse(f"{days} working days")


def timer_rules(
    case: Case, *, general_days: int, complex_days: int, extension_cap_days: int
) -> tuple[TimerRule, ...]:
    """The four deadlines of a Nanxi case: transfer, return window, handling and feedback."""
    complex_case = case.complexity is Complexity.COMPLEX
    return (
        TimerRule(
            kind="transfer",
            label="转办时限",
            period=Period.parse("1 working day"),
            basis=f"{BASIS} 六(二)",
            starts_on=Action.ACCEPT,
            restarts_on=frozenset({Action.RETURN}),  # a returned case is re-dispatched within a day
            stops_on=frozenset({Action.DISPATCH, Action.REFER_OUT}),
        ),
        TimerRule(
            kind="return_window",
            label="退信申请时限",
            period=Period.parse("1 working day"),
            basis=f"{BASIS} 六(三)",
            starts_on=Action.DISPATCH,
            stops_on=frozenset({Action.SIGN_FOR, Action.RETURN}),
        ),
        TimerRule(
            kind="handling",
            label="办结时限（复杂）" if complex_case else "办结时限（一般）",
            period=handling_period(case.complexity, general_days=general_days, complex_days=complex_days),
            basis=f"{BASIS} 五(二)" if complex_case else f"{BASIS} 五(一)",
            starts_on=Action.ACCEPT,
            restarts_on=frozenset({Action.REOPEN}),
            stops_on=frozenset({Action.REPLY, Action.REFER_OUT}),
            extension_cap=Period.parse(f"{extension_cap_days} working days"),
            negotiable=True,  # 五(三): special circumstances → tell the complainant, commit to a date
        ),
        TimerRule(
            kind="feedback",
            label="反馈时限",
            period=Period.parse("1 working day"),
            basis=f"{BASIS} 六(四)",
            starts_on=Action.REPLY,
            stops_on=frozenset({Action.RECORD_FEEDBACK, Action.CLOSE, Action.REOPEN}),
        ),
    )


def sanctions_for(event: AccountabilityEvent) -> tuple[Sanction, ...]:
    """Clause 八: criticism, circulated criticism, then party/government discipline by gravity.

    The regulation says "视情节轻重"; the plugin reads gravity as the subject's count of
    breaches or upheld complaints this year: 1 → criticism, 2 → circulated, 3+ → discipline.
    """
    if event.kind not in (AccountabilityKind.DEADLINE_BREACHED, AccountabilityKind.COMPLAINT_UPHELD):
        return ()
    ladder = (SanctionKind.CRITICISM, SanctionKind.CIRCULATED_CRITICISM, SanctionKind.DISCIPLINARY)
    kind = ladder[min(max(event.count_in_year, 1), len(ladder)) - 1]
    return (Sanction(kind=kind, basis=f"{BASIS} 八", note=f"本年度第 {event.count_in_year} 次"),)
