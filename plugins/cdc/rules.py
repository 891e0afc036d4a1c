"""The disease-control centre's complaint rules as small named sentences, testable without pluggy.

Two texts of the seed govern the centre: 举报投诉处理制度 (channels, acceptance conditions,
handling, the written reply) and 接待群众来访办事首办责任制度 (the first handler owns the
matter; the yearly ladder of sanctions). Clause references ("投诉制度 三.7", "首办制度 四.2")
point at the quotations in this plugin's README. Where the text is silent the docstring says
the rule is the plugin's reading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.sdk import (
    AcceptanceCheck,
    AccountabilityEvent,
    AccountabilityKind,
    Action,
    Case,
    CaseCommand,
    CaseKind,
    CaseState,
    Channel,
    Complexity,
    DispatchCase,
    FieldSpec,
    IntakeSchema,
    Period,
    PeriodUnit,
    RecordInvestigation,
    ReplyMode,
    ReplyRequirements,
    ReplyToCase,
    RequestSupplement,
    Routing,
    Sanction,
    SanctionKind,
    Severity,
    TimerRule,
    Unit,
)

__all__ = [
    "COMPLAINT_RULES",
    "CONDITIONS",
    "FIRST_HANDLER_RULES",
    "FOLLOWED_UP",
    "LADDER",
    "ORAL_CHANNELS",
    "ORAL_MODES",
    "REPLY_SECTIONS",
    "RESPONDENT",
    "SECTIONS",
    "STATEMENTS",
    "Condition",
    "DispatchNotLedByOffice",
    "InvestigationIncomplete",
    "OralSettlementWithoutRecord",
    "SupplementNotAllAtOnce",
    "WrittenReplyWithoutInvestigation",
    "acceptance",
    "basis",
    "escalation_reason",
    "intake_schema",
    "involved_units",
    "needs_written_reply",
    "reply_requirements",
    "route_for",
    "sanctions_for",
    "timer_rules",
    "unmet_conditions",
]

COMPLAINT_RULES = "举报投诉处理制度"
FIRST_HANDLER_RULES = "接待群众来访办事首办责任制度"


def basis(title: str, clause: str) -> str:
    """The basis text of one clause, e.g. "举报投诉处理制度 三.7"."""
    return f"{title} {clause}"


FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})
"""The kinds 举报投诉处理制度 governs; consultations are answered by the first handler (首办制度 二.2)."""

ORAL_CHANNELS = frozenset({Channel.VISIT, Channel.PHONE})
"""Channels on which a complaint is made orally (投诉制度 三.2 口头投诉; 二.3 电话方式投诉)."""

ORAL_MODES = frozenset({ReplyMode.ON_THE_SPOT, ReplyMode.IN_PERSON, ReplyMode.PHONE})
"""Reply modes that answer a person by word of mouth (当时能够口头回复, 投诉制度 三.2)."""

REPLY_SECTIONS = ("调查经过", "事实和证据", "责任认定", "处理意见")
"""What a written reply must state (投诉制度 三.7: 调查核实过程、事实证据、责任及处理意见)."""

# Intake field keys (the values the acceptance conditions read).
DIRECT_HARM = "direct_harm"
RESPONDENT = "respondent"
FACTS = "facts"
DEMANDS = "demands"
STATEMENT = "statement"
SECTIONS = "sections"

YES = "yes"
STATEMENTS = {
    "written": "投诉人提交的文字材料",
    "signed_transcript": "口述笔录，投诉人已签字或盖章",
    "unsigned_transcript": "口述笔录，投诉人尚未签字或盖章",
}
"""Values of the ``statement`` intake field (投诉制度 二.3)."""


# --- intake and acceptance (投诉制度 二, 三.3; 首办制度 二.3) ---------------------------------------


def intake_schema(kind: CaseKind) -> IntakeSchema:
    """What the first handler takes down for a complaint or report.

    The acceptance conditions (respondent, facts, demands, direct harm, signed statement) are
    declared here but not required at intake: a case is taken in as it comes and the unmet
    conditions are told all at once when acceptance is checked (投诉制度 三.3, 首办制度 二.3).
    A named complainant's real name, address and contact are required at once (投诉制度 二.3);
    identity cannot be supplemented later because it is kept apart from the case.
    """
    complaint = frozenset({CaseKind.COMPLAINT})
    statements = "；".join(f"{key}={label}" for key, label in STATEMENTS.items())
    return IntakeSchema(
        fields=(
            FieldSpec("name", "投诉人真实姓名", kinds=complaint, identity=True),
            FieldSpec("address", "联系地址", kinds=complaint, identity=True),
            FieldSpec("phone", "通讯方式（联系电话）", kinds=complaint, identity=True),
            FieldSpec("agent", "合法代理人（代为投诉的）", required=False, kinds=complaint, identity=True),
            FieldSpec(RESPONDENT, "被投诉（举报）的科室或人员", required=False, kinds=FOLLOWED_UP),
            FieldSpec(FACTS, "事实依据", required=False, kinds=FOLLOWED_UP),
            FieldSpec(DEMANDS, "具体要求", required=False, kinds=complaint),
            FieldSpec(
                DIRECT_HARM,
                "是否在本中心接受服务或办事时本人合法权益直接受到侵害",
                required=False,
                kinds=complaint,
                help="yes=是；no=否",
            ),
            FieldSpec(STATEMENT, "投诉材料形式", required=False, kinds=complaint, help=statements),
            FieldSpec(
                SECTIONS,
                "涉及的科室（单位代码，多个用逗号分隔）",
                required=False,
                kinds=FOLLOWED_UP,
                help="涉及多个科室的，由中心办公室牵头（投诉制度 三.4）",
            ),
        ),
        allow_anonymous=True,  # 二.3: anonymous letters and calls are handled under 信访工作条例
    )


@dataclass(frozen=True, slots=True)
class Condition:
    """One acceptance condition: what the person is told, and the words that name it in a request."""

    key: str
    text: str
    keywords: tuple[str, ...]


CONDITIONS: Mapping[str, Condition] = {
    DIRECT_HARM: Condition(
        DIRECT_HARM,
        "投诉人须是在本中心接受卫生技术服务或办事过程中，本人合法权益直接受到侵害的服务对象或其合法代理人",
        ("侵害", "服务对象"),
    ),
    RESPONDENT: Condition(RESPONDENT, "明确的被投诉科室或人员", ("被投诉", "被举报", "投诉对象")),
    FACTS: Condition(FACTS, "事实依据", ("事实",)),
    DEMANDS: Condition(DEMANDS, "具体要求", ("要求",)),
    STATEMENT: Condition(
        STATEMENT,
        "投诉人的文字材料，或经投诉人签字（盖章）的口述笔录",
        ("签字", "盖章", "文字材料", "书面材料"),
    ),
}
"""The acceptance conditions of 投诉制度 二, by the intake field each one reads."""


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def unmet_conditions(case: Case) -> tuple[Condition, ...]:
    """Every acceptance condition `case` does not meet, in the order of 投诉制度 二.

    Complaints: served and directly harmed (二.1); a clear respondent, facts and demands (二.2);
    written material or a signed transcript (二.3). Reports: a clear respondent and facts. An
    anonymous complaint cannot sign: 二.3 sends it to the 信访工作条例 procedure, so the
    signature is not asked of it (the plugin's reading).
    """
    if case.kind not in FOLLOWED_UP:
        return ()
    fields = case.fields
    unmet = []
    if case.kind is CaseKind.COMPLAINT and str(fields.get(DIRECT_HARM, "")).strip() != YES:
        unmet.append(CONDITIONS[DIRECT_HARM])
    unmet += [CONDITIONS[key] for key in (RESPONDENT, FACTS) if _blank(fields.get(key))]
    if case.kind is CaseKind.COMPLAINT:
        if _blank(fields.get(DEMANDS)):
            unmet.append(CONDITIONS[DEMANDS])
        statement = str(fields.get(STATEMENT, "")).strip()
        if not case.anonymous and statement not in ("written", "signed_transcript"):
            unmet.append(CONDITIONS[STATEMENT])
    return tuple(unmet)


def acceptance(case: Case) -> AcceptanceCheck:
    """The acceptance check, every unmet condition at once (一次性告知)."""
    unmet = unmet_conditions(case)
    if not unmet:
        return AcceptanceCheck(acceptable=True)
    return AcceptanceCheck(
        acceptable=False,
        unmet=tuple(condition.text for condition in unmet),
        basis=f"{basis(COMPLAINT_RULES, '二、三.3')}；{basis(FIRST_HANDLER_RULES, '二.3')}（一次性告知）",
    )


def SupplementNotAllAtOnce(case: Case, command: CaseCommand) -> str | None:
    """A request for supplements names every unmet condition, never one at a time.

    首办制度 二.3: 不符合条件的，要一次性交待清楚，不得造成群众往返奔波. A condition counts as
    named when an item uses one of its words (e.g. "签字" for the signed statement). Missing
    evidence the plugin cannot see (凭证, 投诉制度 三.3) may be asked for on top.
    """
    if not isinstance(command, RequestSupplement):
        return None
    said = " ".join(command.items)
    left_out = [c.text for c in unmet_conditions(case) if not any(word in said for word in c.keywords)]
    if not left_out:
        return None
    return (
        f"须一次性告知全部不符合的受理条件，还缺：{'；'.join(left_out)}"
        f"（{basis(FIRST_HANDLER_RULES, '二.3')}：不符合条件的，要一次性交待清楚）"
    )


# --- deadlines (投诉制度 三.2, 三.7) ----------------------------------------------------------------


def needs_written_reply(case: Case) -> bool:
    """True when the case goes the full written procedure with the 30-day written reply.

    投诉制度 三.2 gives oral complaints that need checking 7 days; 三.7 gives the written reply
    30 days (≤ 60 for hard cases) and names major, difficult and complex cases. The plugin's
    reading: an oral complaint or report of general complexity and severity takes the 7-day
    path; a written one (letter, e-mail, box, web, referral), or any complex or major case,
    takes the written procedure.
    """
    if case.kind not in FOLLOWED_UP:
        return False
    return (
        case.channel not in ORAL_CHANNELS
        or case.complexity is Complexity.COMPLEX
        or case.severity is Severity.MAJOR
    )


def timer_rules(
    case: Case, *, checking_days: int, reply_days: int, reply_max_days: int
) -> tuple[TimerRule, ...]:
    """The one handling deadline of a complaint or report, counted from acceptance.

    It starts on ``accept``, so no time runs while the centre waits for supplements (投诉制度
    三.3: 待补齐所需材料后受理). Days are calendar days (日); a last day that is a rest day
    rolls to the next workday under the tenant's calendar policy.
    """
    if case.kind not in FOLLOWED_UP:
        return ()
    stops = frozenset({Action.REPLY, Action.REFER_OUT})
    if needs_written_reply(case):
        cap = reply_max_days - reply_days
        return (
            TimerRule(
                kind="written_reply",
                label="书面答复时限",
                period=Period(reply_days, PeriodUnit.CALENDAR_DAYS),
                basis=basis(COMPLAINT_RULES, "三.7"),
                starts_on=Action.ACCEPT,
                stops_on=stops,
                restarts_on=frozenset({Action.REOPEN}),
                extension_cap=Period(cap, PeriodUnit.CALENDAR_DAYS) if cap > 0 else None,
            ),
        )
    return (
        TimerRule(
            kind="checking",
            label="调查核实处理时限",
            period=Period(checking_days, PeriodUnit.CALENDAR_DAYS),
            basis=basis(COMPLAINT_RULES, "三.2"),
            starts_on=Action.ACCEPT,
            stops_on=stops,
            restarts_on=frozenset({Action.REOPEN}),
        ),
    )


# --- handling (投诉制度 三.2, 三.4, 三.5, 三.7) -------------------------------------------------------


def involved_units(case: Case, units: Sequence[Unit]) -> tuple[str, ...]:
    """The tenant's unit codes named in the ``sections`` intake field, in order, without repeats."""
    known = {unit.code for unit in units}
    named = re.split(r"[,，、;；\s]+", str(case.fields.get(SECTIONS, "")))
    return tuple(dict.fromkeys(code for code in named if code in known))


def route_for(case: Case, units: Sequence[Unit], *, office_unit: str) -> Routing | None:
    """Several sections → the centre office leads (投诉制度 三.4); one section → that section."""
    involved = involved_units(case, units)
    if len(involved) > 1 and any(unit.code == office_unit for unit in units):
        return Routing(
            unit_code=office_unit,
            cause="涉及多个科室的投诉",
            reason=(
                f"涉及 {'、'.join(involved)}，由中心办公室牵头，相关科室配合"
                f"（{basis(COMPLAINT_RULES, '三.4')}）"
            ),
        )
    if len(involved) == 1:
        return Routing(
            unit_code=involved[0],
            cause="科室职权范围内的投诉",
            reason=f"职能科室受理职权范围内的投诉（{basis(COMPLAINT_RULES, '一.3')}）",
        )
    return None


def DispatchNotLedByOffice(
    case: Case, command: CaseCommand, units: Sequence[Unit], *, office_unit: str
) -> str | None:
    """A case involving several sections goes to the centre office, which leads (投诉制度 三.4)."""
    if not isinstance(command, DispatchCase) or command.unit_code == office_unit:
        return None
    involved = involved_units(case, units)
    if len(involved) < 2:
        return None
    return (
        f"本投诉涉及多个科室（{'、'.join(involved)}），应由中心办公室（{office_unit}）牵头办理，"
        f"相关科室配合，不得互相推诿（{basis(COMPLAINT_RULES, '三.4')}）"
    )


def InvestigationIncomplete(command: CaseCommand) -> str | None:
    """An investigation is made by two people and its record signed by the person questioned.

    投诉制度 三.5: 在调查核实投诉情况时应有两人随行，认真做好笔录并让被调查人签名或盖章.
    """
    if not isinstance(command, RecordInvestigation):
        return None
    problems = []
    if len({name.strip() for name in command.investigators if name.strip()}) < 2:
        problems.append("调查核实应有两人随行，请填写两名调查人员")
    if not command.interviewee.strip():
        problems.append("请填写被调查人")
    if not command.signed:
        problems.append("调查笔录须由被调查人签名或盖章")
    if not problems:
        return None
    return f"{'；'.join(problems)}（{basis(COMPLAINT_RULES, '三.5')}）"


def WrittenReplyWithoutInvestigation(case: Case, command: CaseCommand) -> str | None:
    """A written reply reports an investigation, so one must be on file (投诉制度 三.5, 三.7).

    The four sections themselves (调查经过、事实和证据、责任认定、处理意见) are checked by the core
    from `reply_requirements(...).sections` for every written reply.
    """
    if (
        not isinstance(command, ReplyToCase)
        or command.mode is not ReplyMode.WRITTEN
        or not needs_written_reply(case)
        or case.investigations > 0
    ):
        return None
    return (
        "书面答复前须先完成调查核实：由两人调查并作笔录，经被调查人签名或盖章（调查取证）"
        f"（{basis(COMPLAINT_RULES, '三.5、三.7')}）"
    )


def reply_requirements(case: Case) -> ReplyRequirements:
    """Written-procedure cases are answered in writing; oral ones may be settled by word of mouth.

    投诉制度 三.7 (书面答复) and 三.2 (当时能够口头回复而投诉人又满意的，可以不办理完整的书面投诉
    手续). The four sections apply to every written reply; the core checks them.
    """
    if case.kind not in FOLLOWED_UP:
        return ReplyRequirements()
    if needs_written_reply(case):
        return ReplyRequirements(
            modes=frozenset({ReplyMode.WRITTEN}),
            sections=REPLY_SECTIONS,
            basis=basis(COMPLAINT_RULES, "三.7"),
        )
    return ReplyRequirements(sections=REPLY_SECTIONS, basis=basis(COMPLAINT_RULES, "三.2、三.7"))


def OralSettlementWithoutRecord(case: Case, action: Action) -> str | None:
    """A complaint answered by word of mouth closes only once the person's verdict is recorded.

    投诉制度 三.2: 当时能够口头回复而投诉人又满意的，可以不办理完整的书面投诉手续，但必需做好处理
    记录. The reply's content is the handling record; the feedback records whether the person
    was satisfied.
    """
    if (
        action is not Action.CLOSE
        or case.state is not CaseState.REPLIED
        or case.kind not in FOLLOWED_UP
        or case.reply_mode not in {mode.value for mode in ORAL_MODES}
    ):
        return None
    return (
        "口头答复的投诉，须先记录投诉人是否满意（处理记录），方可办结；"
        f"投诉人不满意的，应办理完整的书面投诉手续（{basis(COMPLAINT_RULES, '三.2')}）"
    )


def escalation_reason(case: Case) -> str | None:
    """Major, difficult or complex cases go to the leader in charge at once (投诉制度 三.7)."""
    if case.kind not in FOLLOWED_UP:
        return None
    if case.severity is Severity.MAJOR or case.flags or case.complexity is Complexity.COMPLEX:
        return (
            "有重大影响、疑难、复杂的投诉事件，科室负责人应及时向分管领导汇报，"
            f"必要时提交中心领导办公会议研究解决（{basis(COMPLAINT_RULES, '三.7')}）"
        )
    return None


# --- accountability (首办制度 四.2; 投诉制度 四) ---------------------------------------------------

LADDER = (SanctionKind.ADMONITION, SanctionKind.CIRCULATED_CRITICISM, SanctionKind.DISCIPLINARY)
"""首办制度 四.2: 一次 诫勉；二次 通报批评；三次 视情节轻重给予处分."""


def sanctions_for(event: AccountabilityEvent) -> tuple[Sanction, ...]:
    """The first handler's yearly ladder for upheld complaints; criticism for a missed deadline.

    首办制度 四.2 counts upheld complaints against the first handler within one year: the
    first brings an admonition talk, the second circulated criticism, the third and later a
    disciplinary sanction whose weight is decided by the circumstances (the line says so; the
    ledger's appeal path settles it). 投诉制度 四: breaking these rules with consequences brings
    criticism and education up to an administrative sanction; a missed deadline is recorded as
    criticism against whoever was handling it, and heavier measures are left to the centre.
    """
    if event.kind is AccountabilityKind.COMPLAINT_UPHELD:
        count = max(event.count_in_year, 1)
        kind = LADDER[min(count, len(LADDER)) - 1]
        note = f"本年度第 {count} 次经查实的投诉"
        if kind is SanctionKind.DISCIPLINARY:
            note += "，视情节轻重给予处分"
        return (Sanction(kind=kind, basis=basis(FIRST_HANDLER_RULES, "四.2"), note=note),)
    if event.kind is AccountabilityKind.DEADLINE_BREACHED:
        return (
            Sanction(
                kind=SanctionKind.CRITICISM,
                basis=basis(COMPLAINT_RULES, "四"),
                note="违反投诉处理时限，视情节轻重给予批评教育直至行政处分",
            ),
        )
    return ()
