"""The Yongji civic service centre's complaint rules as small named sentences, testable without pluggy.

The regulation is the centre's 投诉举报制度 (第一条–第十一条, quoted in this plugin's README);
every basis cites it as "永济市市民服务中心投诉举报制度 第N条". The supervision section 督查科
takes complaints and reports about the centre's windows and their staff; the window's own
department answers; the section feeds the answer back, decides and deducts points.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

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
    CloseCase,
    Complexity,
    FieldSpec,
    IntakeSchema,
    Outcome,
    Period,
    PeriodUnit,
    ReplyMode,
    ReplyRequirements,
    ReplyToCase,
    Role,
    Routing,
    Sanction,
    SanctionKind,
    TimerRule,
    Unit,
)

__all__ = [
    "CLOSING_OUTCOMES",
    "FOLLOWED_UP",
    "MATTERS",
    "ORAL_CHANNELS",
    "REAL_NAME_PRIORITY",
    "RECORDS",
    "REPLY_MODE_LABELS",
    "TITLE",
    "WRITTEN_REPLY_MODES",
    "ClosingNamesAnOutcome",
    "FabricationIsShown",
    "FeedbackBeforeClosing",
    "MissingRecord",
    "NotOurWindow",
    "OnTheSpotOnlyForGeneral",
    "ReplyMirrorsComplaint",
    "UnknownMatter",
    "UpheldNamesTheWindow",
    "ViolationsAreTransferred",
    "acceptance",
    "basis",
    "channels_recorded_by",
    "identity_readers",
    "intake_schema",
    "is_oral",
    "parse_matters",
    "priority",
    "reply_modes",
    "reply_requirements",
    "routing",
    "sanctions_for",
    "timer_rules",
    "window",
]

TITLE = "永济市市民服务中心投诉举报制度"

FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})
"""The kinds the regulation governs (投诉举报); consultations are outside it."""


def basis(*clauses: str) -> str:
    """The basis text for clauses of the regulation, e.g. "永济市市民服务中心投诉举报制度 第七条"."""
    return f"{TITLE} {'、'.join(clauses)}"


MATTERS: MappingProxyType[str, str] = MappingProxyType(
    {
        "approval": "审批办证",
        "fees": "收费",
        "integrity": "廉政（刁难勒索、吃拿卡要）",
        "discipline": "执行规章制度（违反中心纪律）",
        "efficiency": "效率低下",
    }
)
"""What a complaint may be about: 第二条 (审批办证、收费、廉政、执行规章制度) and 第三条 (违反中心
纪律、刁难勒索、效率低下), merged where the two clauses name the same thing."""

ORAL_CHANNELS = frozenset({Channel.VISIT, Channel.PHONE})
"""当面、电话: an oral complaint (第六条, 第七条). Every other channel brings a written one."""

RECORDS: MappingProxyType[Channel, tuple[str, str]] = MappingProxyType(
    {
        Channel.VISIT: ("visit_record", "当面投诉笔录"),
        Channel.PHONE: ("call_record", "电话投诉记录"),
        Channel.LETTER: ("letter_register", "信函拆阅登记"),
        Channel.BOX: ("letter_register", "信函拆阅登记"),
        Channel.FAX: ("letter_register", "信函拆阅登记"),
    }
)
"""The record 第六条 asks of each channel: 笔录 in person, a careful call record on the phone, and
every letter (or written material from the box or the fax) opened and registered. Online and
e-mail complaints are their own record."""


def channels_recorded_by(record: str) -> frozenset[Channel]:
    """The channels whose record (第六条) is the field or form `record`."""
    return frozenset(channel for channel, (key, _) in RECORDS.items() if key == record)


WRITTEN_REPLY_MODES = frozenset({ReplyMode.WRITTEN, ReplyMode.ONLINE, ReplyMode.EMAIL})
"""Replies in written form: a letter, or a text the person can keep and re-read (a data message
is written form, Civil Code art. 469)."""

_ORAL_REPLY_MODES = frozenset({ReplyMode.IN_PERSON, ReplyMode.PHONE, ReplyMode.ON_THE_SPOT, ReplyMode.SMS})

REPLY_MODE_LABELS: MappingProxyType[ReplyMode, str] = MappingProxyType(
    {
        ReplyMode.WRITTEN: "书面答复",
        ReplyMode.IN_PERSON: "当面口头答复",
        ReplyMode.PHONE: "电话答复",
        ReplyMode.SMS: "短信答复",
        ReplyMode.EMAIL: "电子邮件答复",
        ReplyMode.ONLINE: "网上书面答复",
        ReplyMode.ON_THE_SPOT: "窗口现场答复",
        ReplyMode.PUBLIC_NOTICE: "定期公布",
    }
)
"""The Chinese name of each reply mode, for refusals a person can act on."""

CLOSING_OUTCOMES = frozenset({Outcome.UPHELD, Outcome.NOT_UPHELD, Outcome.UNVERIFIED, Outcome.FABRICATED})
"""The decisions 督查科 may close a complaint or report with (第八条 "就投诉作出处理决定").

A report against window staff found true is *upheld* (the staff answer for it, 第十条), never
*verified* (which rewards a reporter and charges nobody).
"""

REAL_NAME_PRIORITY = 1
"""Queue priority of a signed complaint: 第五条 "对署实名投诉举报的优先排查"."""


# --- intake and acceptance ---------------------------------------------------------------------


def is_oral(channel: Channel) -> bool:
    """True for a complaint made in person or by phone (口头投诉)."""
    return channel in ORAL_CHANNELS


def intake_schema(units: Iterable[Unit] = ()) -> IntakeSchema:
    """What intake captures: the accused window and person, the matter and the evidence (第四条).

    Each channel's record (第六条) is a field too; anonymous complaints are taken (第五条).

    The schema hook is asked per kind only, so the per-channel records are optional here and
    demanded by `acceptance` for the channel that needs them. The matters and the centre's
    windows (`units`) are offered by label, but another answer is taken: `acceptance` then
    refuses it with the reason, so the complaint is logged and referred (第三条).
    """
    return IntakeSchema(
        fields=(
            FieldSpec(
                "matter",
                "投诉事项类别",
                kinds=FOLLOWED_UP,
                choices=tuple(MATTERS.items()),
                others_allowed=True,
            ),
            FieldSpec(
                "accused_unit",
                "被投诉窗口",
                kinds=FOLLOWED_UP,
                help="本中心窗口的单位代码或名称（第四条）",
                choices=tuple((unit.code, unit.name) for unit in units),
                others_allowed=True,
            ),
            FieldSpec(
                "accused_person",
                "被投诉人",
                kinds=FOLLOWED_UP,
                help="姓名；不知姓名的，写明工号、座位或体貌特征（第四条）",
            ),
            FieldSpec(
                "evidence",
                "证据",
                required=False,
                kinds=FOLLOWED_UP,
                help="票据、录音、照片、证人等（第四条）",
            ),
            FieldSpec(
                "visit_record",
                "当面投诉笔录",
                required=False,
                kinds=FOLLOWED_UP,
                help="当面投诉必填（第六条）",
            ),
            FieldSpec(
                "call_record",
                "电话投诉记录",
                required=False,
                kinds=FOLLOWED_UP,
                help="电话投诉必填：询问清楚、如实记录（第六条）",
            ),
            FieldSpec(
                "letter_register",
                "信函拆阅登记",
                required=False,
                kinds=FOLLOWED_UP,
                help="来信（含意见箱、传真）必填：拆阅人、拆阅日期、材料页数（第六条）",
            ),
            FieldSpec("name", "投诉人姓名", kinds=FOLLOWED_UP, identity=True),
            FieldSpec("phone", "联系电话", kinds=FOLLOWED_UP, identity=True),
        ),
        allow_anonymous=True,
    )


def window(units: Iterable[Unit], value: str) -> Unit | None:
    """The centre's unit a complainant's words name, by code or by exact name."""
    value = value.strip()
    if not value:
        return None
    return next((unit for unit in units if value in (unit.code, unit.name)), None)


def UnknownMatter(case: Case) -> str | None:
    """Why a complaint's matter is outside the section's remit (第二条、第三条), or None."""
    matter = str(case.fields.get("matter", ""))
    if case.kind not in FOLLOWED_UP or matter in MATTERS:
        return None
    allowed = "、".join(f"{key}（{label}）" for key, label in MATTERS.items())
    return f"投诉事项类别“{matter}”不在督查科受理范围（{basis('第二条', '第三条')}），可选：{allowed}"


def NotOurWindow(case: Case, units: Iterable[Unit]) -> str | None:
    """Why the accused is not one of the centre's windows (第二条), or None."""
    units = tuple(units)
    accused = str(case.fields.get("accused_unit", ""))
    if case.kind not in FOLLOWED_UP or window(units, accused) is not None:
        return None
    known = "、".join(f"{u.code}（{u.name}）" for u in units) or "（无）"
    return (
        f"被投诉窗口“{accused}”不是本中心的窗口（{basis('第二条')}），请核实；"
        f"本中心窗口：{known}；不属本中心的，移送有关部门并告知投诉人"
    )


def MissingRecord(case: Case) -> str | None:
    """The channel's record is missing: 笔录, call record or letter registration (第六条), or None."""
    if case.kind not in FOLLOWED_UP or case.channel not in RECORDS:
        return None
    key, label = RECORDS[case.channel]
    value = case.fields.get(key)
    if value is not None and str(value).strip():
        return None
    return (
        f"{case.channel.label}投诉须先做好{label}（{key}），方可受理（{basis('第六条')}）；"
        "漏记的，请要求补正后以补正（supply）的 fields 补录"
    )


def acceptance(case: Case, units: Iterable[Unit]) -> AcceptanceCheck:
    """Every unmet condition at once: scope (第二条、第三条) and the channel's record (第六条)."""
    reasons = (UnknownMatter(case), NotOurWindow(case, units), MissingRecord(case))
    unmet = tuple(reason for reason in reasons if reason)
    if not unmet:
        return AcceptanceCheck(acceptable=True)
    return AcceptanceCheck(acceptable=False, unmet=unmet, basis=basis("第二条", "第三条", "第六条"))


def priority(case: Case) -> int:
    """Signed complaints are investigated first (第五条): they head the queue."""
    return REAL_NAME_PRIORITY if case.kind in FOLLOWED_UP and not case.anonymous else 0


def routing(case: Case, units: Iterable[Unit]) -> Routing | None:
    """The accused window's department answers (第七条、第八条): suggest the accused window's unit."""
    if case.kind not in FOLLOWED_UP:
        return None
    unit = window(units, str(case.fields.get("accused_unit", "")))
    if unit is None:
        return None
    return Routing(
        unit_code=unit.code,
        cause=MATTERS.get(str(case.fields.get("matter", "")), ""),
        reason=(
            f"由被投诉窗口（{unit.name}）及其窗口部门调查答复并提出处理意见（{basis('第七条', '第八条')}）"
        ),
    )


def identity_readers(case: Case, reader_unit: str | None) -> frozenset[Role]:
    """Only the supervision section reads who complained (第二条 "保守秘密"): its officers and head.

    Nobody of the window complained about reads it, whatever their role: a window's staff may
    take complaints in, but never learn who complained about their own window.
    """
    if reader_unit and reader_unit == str(case.fields.get("accused_unit", "")):
        return frozenset()
    return frozenset({Role.INTAKE_OFFICER, Role.SUPERVISOR})


# --- deadlines ---------------------------------------------------------------------------------


def timer_rules(
    case: Case, *, coordinate_working_days: int, answer_working_days: int, feedback_working_days: int
) -> tuple[TimerRule, ...]:
    """The deadlines of a complaint: coordinate, answer (第八条) and feed back (第五条、第八条).

    A general complaint answered on the spot at the window stops the coordination timer and
    never starts the answer timer. The answer deadline is `negotiable`: when objective reasons
    keep the department from answering in time, the new date is committed to the complainant
    with the reason (``set_deadline``, 第八条 "要及时向投诉人说明情况").
    """
    if case.kind not in FOLLOWED_UP:
        return ()
    rules = []
    if coordinate_working_days > 0:
        rules.append(
            TimerRule(
                kind="coordinate",
                label="协调窗口部门时限",
                period=Period(coordinate_working_days, PeriodUnit.WORKING_DAYS),
                basis=basis("第八条"),
                starts_on=Action.ACCEPT,
                stops_on=frozenset({Action.DISPATCH, Action.REPLY, Action.REFER_OUT}),
            )
        )
    rules.append(
        TimerRule(
            kind="answer",
            label="窗口部门答复时限",
            period=Period(answer_working_days, PeriodUnit.WORKING_DAYS),
            basis=basis("第八条"),
            starts_on=Action.DISPATCH,
            restarts_on=frozenset({Action.REOPEN}),
            stops_on=frozenset({Action.REPLY, Action.RETURN, Action.REFER_OUT}),
            negotiable=True,
        )
    )
    if feedback_working_days > 0 and not case.anonymous:
        rules.append(
            TimerRule(
                kind="feedback",
                label="督查科反馈时限",
                period=Period(feedback_working_days, PeriodUnit.WORKING_DAYS),
                basis=basis("第五条", "第八条"),
                starts_on=Action.REPLY,
                stops_on=frozenset({Action.RECORD_FEEDBACK, Action.REOPEN}),
            )
        )
    return tuple(rules)


# --- replies -----------------------------------------------------------------------------------


def reply_modes(case: Case) -> frozenset[ReplyMode]:
    """第七条: an oral complaint may be answered orally; a written one must be answered in writing.

    An anonymous person who left no way to reach them may be answered by periodic publication.
    """
    modes = set(WRITTEN_REPLY_MODES)
    if case.kind not in FOLLOWED_UP or is_oral(case.channel):
        modes |= _ORAL_REPLY_MODES
    if case.anonymous or case.kind not in FOLLOWED_UP:
        modes.add(ReplyMode.PUBLIC_NOTICE)
    return frozenset(modes)


def reply_requirements(case: Case) -> ReplyRequirements:
    """The modes of `reply_modes`; a written answer states the findings and the handling opinion (第七条)."""
    if case.kind not in FOLLOWED_UP:
        return ReplyRequirements(modes=reply_modes(case))
    rule = "口头投诉可以口头答复" if is_oral(case.channel) else "书面投诉必须书面答复"
    return ReplyRequirements(
        modes=reply_modes(case),
        sections=("调查核实情况", "处理意见"),
        basis=f"{basis('第七条')}：{rule}",
    )


def ReplyMirrorsComplaint(case: Case, command: CaseCommand) -> str | None:
    """A written complaint answered orally is refused, naming the written forms (第七条)."""
    if not isinstance(command, ReplyToCase) or command.mode in reply_modes(case):
        return None
    allowed = "、".join(REPLY_MODE_LABELS[mode] for mode in sorted(reply_modes(case)))
    refused = REPLY_MODE_LABELS[command.mode]
    if is_oral(case.channel):
        # Only publication is outside an oral complaint's modes: a named person is answered directly.
        return (
            f"署名投诉须直接答复投诉人，不能以“{refused}”方式答复"
            f"（可用：{allowed}；{basis('第五条', '第七条')}）"
        )
    return (
        f"本件为{case.channel.label}书面投诉，不能以“{refused}”方式答复，须书面答复（可用：{allowed}）；"
        f"口头投诉可以口头答复，书面投诉必须书面答复（{basis('第七条')}）"
    )


def OnTheSpotOnlyForGeneral(case: Case, action: Action) -> str | None:
    """Only a general complaint is answered on the spot; others go to the window's department (第八条)."""
    if (
        action is Action.REPLY
        and case.state is CaseState.ACCEPTED
        and case.kind in FOLLOWED_UP
        and case.complexity is not Complexity.GENERAL
    ):
        return (
            "非一般投诉不能由窗口现场答复，须协调有关窗口部门在规定时限内作出答复"
            f"（请先转办窗口部门；{basis('第八条')}）"
        )
    return None


# --- feedback and the decision -----------------------------------------------------------------


def FeedbackBeforeClosing(case: Case, action: Action) -> str | None:
    """A signed complaint is not decided before its answer was fed back to the person (第五条、第八条)."""
    if (
        action is Action.CLOSE
        and case.state is CaseState.REPLIED
        and not case.anonymous
        and case.kind in FOLLOWED_UP
    ):
        return (
            "署实名的投诉，督查科须先将窗口（部门）的答复反馈给投诉人并记录反馈情况，方可作出处理决定办结"
            f"（{basis('第五条', '第八条')}）"
        )
    return None


def ClosingNamesAnOutcome(case: Case, command: CaseCommand) -> str | None:
    """督查科 closes an answered complaint with its decision: upheld, not upheld or fabricated (第八条)."""
    if (
        not isinstance(command, CloseCase)
        or case.kind not in FOLLOWED_UP
        or case.state not in (CaseState.REPLIED, CaseState.FEEDBACK)
        or command.outcome in CLOSING_OUTCOMES
    ):
        return None
    return (
        "督查科须就投诉作出处理决定：请选择处理结果 upheld（属实）、not_upheld（不属实）、"
        f"unverified（查无实据）或 fabricated（捏造诬告）（{basis('第八条', '第十条')}）；"
        "举报经查属实的，亦选 upheld 并写明被举报窗口和人员"
    )


def UpheldNamesTheWindow(command: CaseCommand, units: Iterable[Unit]) -> str | None:
    """An upheld complaint names the window (a unit of the centre) as well as the staff member (第十条)."""
    if not isinstance(command, CloseCase) or command.outcome is not Outcome.UPHELD:
        return None
    units = tuple(units)
    if any(unit.code == command.respondent_unit for unit in units):
        return None
    known = "、".join(f"{u.code}（{u.name}）" for u in units) or "（无）"
    return (
        f"投诉属实的，须写明被投诉窗口的单位代码（respondent_unit），窗口和窗口工作人员都要按考核制度扣分"
        f"（{basis('第十条')}）；本中心窗口：{known}"
    )


def parse_matters(text: str) -> frozenset[str]:
    """Parse the ``transfer_matters`` setting: matter keys, comma-separated (may be empty)."""
    keys = frozenset(key.strip() for key in text.split(",") if key.strip())
    unknown = sorted(keys - set(MATTERS))
    if unknown:
        raise ValueError(f"设置 transfer_matters 含无效类别 {', '.join(unknown)}；可用：{'、'.join(MATTERS)}")
    return keys


def ViolationsAreTransferred(
    case: Case, command: CaseCommand, transfer_matters: frozenset[str]
) -> str | None:
    """An upheld complaint of a matter that is a violation of discipline is transferred (第八条)."""
    if (
        not isinstance(command, CloseCase)
        or command.outcome is not Outcome.UPHELD
        or str(case.fields.get("matter", "")) not in transfer_matters
        or command.referred_to.strip()
    ):
        return None
    matter = MATTERS[str(case.fields["matter"])]
    return (
        f"“{matter}”投诉经查属实，构成违规违纪，须写明移交处理的部门（referred_to），"
        f"如纪检监察机关（{basis('第八条')}）"
    )


def FabricationIsShown(command: CaseCommand) -> str | None:
    """A fabricated accusation is marked only with the facts that show it was deliberate (第四条).

    Honest mistakes from partial knowledge are exempt: such a complaint closes as not upheld.
    """
    if (
        isinstance(command, CloseCase)
        and command.outcome is Outcome.FABRICATED
        and not command.summary.strip()
    ):
        return (
            "认定故意捏造事实、诬告陷害的，须在办结摘要（summary）中写明认定的事实和证据；"
            f"因了解不全面发生误会、错告的，不适用，请选择 not_upheld（不属实）（{basis('第四条')}）"
        )
    return None


# --- points ------------------------------------------------------------------------------------


def sanctions_for(
    event: AccountabilityEvent, *, window_points: int, staff_points: int, units: Iterable[Unit]
) -> tuple[Sanction, ...]:
    """An upheld complaint costs the window and the staff member points (第十条), one line each.

    The assessment rules (考核制度) that fix the points are not part of the seed: the tenant's
    settings carry them. Nothing else the ledger hears of (breaches, fabricated accusations)
    costs points under this regulation.
    """
    if event.kind is not AccountabilityKind.COMPLAINT_UPHELD:
        return ()
    note = f"本年度第 {event.count_in_year} 次投诉属实；报窗口部门、上级政府部门（{basis('第十条')}）"
    lines = []
    if event.unit_code and window_points > 0:
        unit = window(units, event.unit_code)
        name = unit.name if unit else event.unit_code
        lines.append(
            Sanction(
                kind=SanctionKind.POINTS_DEDUCTED,
                basis=basis("第十条"),
                points=window_points,
                note=f"被投诉窗口 {name}；{note}",
                subject=event.unit_code,
            )
        )
    if staff_points > 0:
        lines.append(
            Sanction(
                kind=SanctionKind.POINTS_DEDUCTED,
                basis=basis("第十条"),
                points=staff_points,
                note=f"窗口工作人员；{note}",
                subject=event.subject,
            )
        )
    return tuple(lines)
