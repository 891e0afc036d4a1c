"""The 12312 station's rules as small named functions, testable without pluggy.

Clause references point at 第一篇/第二篇 12312商务举报投诉服务站 of the seed, quoted verbatim in this
plugin's README: 应急值班制度 (值班制度), 案件分流转办制度 (分流转办制度), 办结反馈制度,
接线员岗位职责 and 工作人员行为规范. Where the seed is silent (the handling deadline, the
duty division of the squads) the number or the table is a tenant setting and the docstring
says the rule is the plugin's reading.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from core.sdk import (
    AccountabilityEvent,
    AccountabilityKind,
    Action,
    Case,
    CaseCommand,
    CaseKind,
    CaseState,
    DispatchCase,
    FieldSpec,
    IntakeSchema,
    Period,
    ReferCaseOut,
    Routing,
    Sanction,
    SanctionKind,
    SeverityFlag,
    StandardPhrase,
    TimerRule,
    Unit,
)

__all__ = [
    "CADRE_MISCONDUCT",
    "CADRE_MISCONDUCT_LABEL",
    "CATEGORY",
    "FOLLOWED_UP",
    "ON_SITE",
    "ON_SITE_CHOICES",
    "PHRASES",
    "SEVERITY_LABELS",
    "dispatch_veto",
    "escalation_reason",
    "intake_schema",
    "is_cadre_misconduct",
    "is_on_site",
    "on_site_answer_problem",
    "referral_veto",
    "route_for",
    "sanctions_for",
    "timer_rules",
]

DIVISION = "12312案件分流转办制度"
FEEDBACK = "12312办结反馈制度"
OPERATOR = "12312接线员岗位职责"

FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})
"""The kinds that are taken in with the eight facts of 接 and dispatched; consultations are answered."""

ON_SITE = "on_site"
"""Intake field: whether the complaint needs on-site handling, ``"yes"`` or ``"no"``."""
CATEGORY = "category"
"""Intake field: the category, a key of the tenant's ``squad_routing`` (or ``cadre_misconduct``)."""
CADRE_MISCONDUCT = "cadre_misconduct"
CADRE_MISCONDUCT_LABEL = "干部违法违纪（转监察部门）"
"""The category of reports of cadres' violations of law or discipline (干部违法违纪)."""

YES = "yes"
NO = "no"
ON_SITE_CHOICES = ((YES, "需出现场处理"), (NO, "不需出现场"))
"""The two answers to ``on_site``, offered as a drop-down and checked at intake."""

SEVERITY_LABELS = {
    SeverityFlag.MAJOR: "重大",
    SeverityFlag.SERIOUS: "严重",
    SeverityFlag.SUDDEN: "突发性",
    SeverityFlag.MASS: "群体性",
}


# --- 接: the eight facts -----------------------------------------------------------------------


def intake_schema(categories: Sequence[str]) -> IntakeSchema:
    """接: ask name, unit, phone, time, place, scope and degree of harm, on-site handling (第五条).

    Name, work unit and phone are the person's identity (kept apart, skipped for anonymous
    cases). ``on_site`` and ``category`` drive the 10/30-minute timers and the duty division.
    Consultations need only the question, which is the case's content.
    """
    kinds = FOLLOWED_UP
    return IntakeSchema(
        fields=(
            FieldSpec("name", "投诉或举报人姓名", kinds=kinds, identity=True),
            FieldSpec("work_unit", "单位", kinds=kinds, identity=True, help="无工作单位的填“无”"),
            FieldSpec("phone", "联系电话", kinds=kinds, identity=True),
            FieldSpec("event_time", "发生时间", kinds=kinds),
            FieldSpec("place", "地点", kinds=kinds),
            FieldSpec("harm_scope", "危害范围", kinds=kinds),
            FieldSpec("harm_degree", "危害程度", kinds=kinds),
            FieldSpec("onsite_handling", "现场处置情况", kinds=kinds, help="尚未处置的填“无”"),
            FieldSpec(
                ON_SITE,
                "是否需出现场处理",
                kinds=kinds,
                help="需出现场的，受理后 10 分钟内分流、30 分钟内到场",
                choices=ON_SITE_CHOICES,
            ),
            # Offered from the duty division; another category is taken (the officer picks the unit).
            FieldSpec(
                CATEGORY,
                "案件类别",
                kinds=kinds,
                choices=(*((c, c) for c in categories), (CADRE_MISCONDUCT, CADRE_MISCONDUCT_LABEL)),
                others_allowed=True,
            ),
        ),
        allow_anonymous=True,
    )


def _category(case: Case) -> str:
    return case.category.strip() or str(case.fields.get(CATEGORY, "") or "").strip()


def is_on_site(case: Case) -> bool:
    """The case is a complaint or report the intake officer marked as needing on-site handling."""
    return case.kind in FOLLOWED_UP and str(case.fields.get(ON_SITE, "") or "").strip().lower() == YES


def on_site_answer_problem(case: Case) -> str | None:
    """The intake answer to ``on_site`` must be ``yes`` or ``no`` (acceptance condition)."""
    if case.kind not in FOLLOWED_UP:
        return None
    answer = str(case.fields.get(ON_SITE, "") or "").strip().lower()
    if answer in (YES, NO):
        return None
    return f"“是否需出现场处理”须填 yes 或 no，当前为“{answer or '未填'}”（{DIVISION} 三）"


# --- 分流转办: duty division, cadres to the supervision department -----------------------------


def is_cadre_misconduct(case: Case) -> bool:
    """A report of a cadre's violation of law or discipline, by the registered or the intake category."""
    intake = str(case.fields.get(CATEGORY, "") or "").strip()
    return CADRE_MISCONDUCT in (case.category.strip(), intake)


def route_for(
    case: Case, squads: Mapping[str, object], supervision_unit: str, units: Sequence[Unit]
) -> Routing | None:
    """The receiving unit by duty division (分流转办制度 一.1), cadres to supervision (一.2).

    The squad table maps a category to a business squad's unit code (业务中队); a table entry or
    a supervision unit the tenant does not have gives no suggestion, and the dispatcher chooses.
    """
    names = {unit.code: unit.name for unit in units}
    cause = f"{case.kind.label}：{case.title}"
    if is_cadre_misconduct(case):
        if supervision_unit not in names:
            return None
        return Routing(
            unit_code=supervision_unit,
            cause=cause,
            reason=f"干部违法违纪的举报转{names[supervision_unit]}办理（{DIVISION} 一.2）",
        )
    category = _category(case)
    code = squads.get(category) if category else None
    if not isinstance(code, str) or code not in names:
        return None
    return Routing(
        unit_code=code,
        cause=cause,
        reason=f"按商务稽查大队业务职责分工（类别“{category}”）分流{names[code]}办理（{DIVISION} 一.1）",
    )


def dispatch_veto(case: Case, command: CaseCommand, supervision_unit: str) -> str | None:
    """A cadre-misconduct case may be dispatched to the supervision department only (一.2)."""
    if not isinstance(command, DispatchCase) or not is_cadre_misconduct(case):
        return None
    if command.unit_code != supervision_unit:
        return (
            f"干部违法违纪的举报须转监察部门（{supervision_unit}）办理，不能转至 {command.unit_code}"
            f"（{DIVISION} 一.2：干部违法违纪的举报转监察部门办理）"
        )
    return None


_PHONE = re.compile(r"\d[\d\-\s]{3,}\d")


def referral_veto(command: CaseCommand) -> str | None:
    """An out-of-jurisdiction case names the competent department and its phone (接线员岗位职责 六).

    "对不属商务行政管理部门管辖的举报、投诉,要告知其处理举报、投诉的职能部门" and phrase 9 "…已转至
    XX部门,麻烦您跟他们联系,电话号码是******": the agency named on ``refer_out`` is what the
    complainant reads on the portal, so it must carry a number they can call.
    """
    if not isinstance(command, ReferCaseOut) or _PHONE.search(command.agency):
        return None
    return (
        f"移送须写明有权处理的职能部门及其联系电话，如“县市场监督管理局（电话 12315）”，"
        f"以便告知投诉举报人（{OPERATOR} 六；工作人员行为规范 9）"
    )


def closing_veto(case: Case, action: Action) -> str | None:
    """A complaint or report closes only once a follow-up verified how it was dealt with.

    接线员岗位职责 四: "分流到相关单位,并核实处理结果,做到事事有着落,件件有回音"; 跟 (应急值班制度
    第五条): "跟踪检查命令、指示执行情况。并将核实的情况及时向指挥员报告". A case refused or
    referred out was never dispatched, so nothing is there to verify.
    """
    if (
        action is not Action.CLOSE
        or case.kind not in FOLLOWED_UP
        or case.state in (CaseState.REFUSED, CaseState.REFERRED_OUT)
        or case.verified
    ):
        return None
    return f"办结前须跟踪核实处理结果（跟踪核实并勾选“已核实”）（{OPERATOR} 四；应急值班制度 第五条）"


# --- time limits -------------------------------------------------------------------------------


def timer_rules(case: Case, *, handling_days: int) -> tuple[TimerRule, ...]:
    """Deadlines: 10 minutes to dispatch and 30 to arrive for on-site cases (三), then the reply.

    ``dispatch``: from acceptance to the dispatch order, afresh when a misrouted case comes
    back. ``arrival``: from the dispatch to the receiving unit on site; a return stops it.
    ``handling`` (every complaint and report): from dispatch to the reply, ``handling_days``
    working days — the seed says only "及时调处和回复 … 在规定时间内" (办结反馈制度 一、二), so the
    number is the plugin's reading, set per tenant. Consultations have no deadline: they are
    answered on the line (接线员岗位职责 三).
    """
    if case.kind not in FOLLOWED_UP:
        return ()
    rules: list[TimerRule] = []
    if is_on_site(case):
        rules += [
            TimerRule(
                kind="dispatch",
                label="分流任务发出时限",
                period=Period.parse("10 minutes"),
                basis=f"{DIVISION} 三：需出现场处理的投诉，自受理至分流任务发出，在10分钟之内完成",
                starts_on=Action.ACCEPT,
                restarts_on=frozenset({Action.RETURN}),
                stops_on=frozenset({Action.DISPATCH, Action.REFER_OUT}),
            ),
            TimerRule(
                kind="arrival",
                label="到达现场时限",
                period=Period.parse("30 minutes"),
                basis=f"{DIVISION} 三：接收单位自接到分流任务30分钟内，必须到达现场进行处理",
                starts_on=Action.DISPATCH,
                stops_on=frozenset({Action.ARRIVE, Action.RETURN}),
            ),
        ]
    rules.append(
        TimerRule(
            kind="handling",
            label="调处回复时限",
            period=Period.parse(f"{handling_days} working days"),
            basis=f"{FEEDBACK} 一、二：及时调处和回复，在规定时间内反馈（期限为插件解读，租户设置）",
            starts_on=Action.DISPATCH,
            restarts_on=frozenset({Action.REOPEN}),
            stops_on=frozenset({Action.REPLY}),
        )
    )
    return tuple(rules)


# --- 报站长 --------------------------------------------------------------------------------------


def escalation_reason(case: Case) -> str | None:
    """Major, serious, sudden or mass cases go to the station chief at once (接线员岗位职责 七)."""
    if not case.flags:
        return None
    marks = "、".join(SEVERITY_LABELS[flag] for flag in SeverityFlag if flag in case.flags)
    return (
        f"{marks}举报投诉，及时向12312服务站站长汇报，并跟踪掌握事态发展情况"
        f"（{OPERATOR} 七：对重大、严重、突发性、群体性的举报投诉，要及时向12312服务站站长汇报）"
    )


# --- accountability ------------------------------------------------------------------------------


def sanctions_for(event: AccountabilityEvent) -> tuple[Sanction, ...]:
    """Procrastination or dereliction: circulated criticism (办结反馈制度 四).

    A missed deadline (拖拉推诿) and an upheld complaint (玩忽职守) each give one circulated
    criticism line against the event's subject; "情节严重的，按相关规定追究责任" is left to the
    bureau, noted on the line. Other events carry nothing.
    """
    if event.kind not in (AccountabilityKind.DEADLINE_BREACHED, AccountabilityKind.COMPLAINT_UPHELD):
        return ()
    cause = "拖拉推诿" if event.kind is AccountabilityKind.DEADLINE_BREACHED else "玩忽职守"
    return (
        Sanction(
            kind=SanctionKind.CIRCULATED_CRITICISM,
            basis=f"{FEEDBACK} 四",
            note=(
                f"{cause}：对部门和直接责任人予以通报批评；本年度第 {event.count_in_year} 次；"
                "情节严重的，按相关规定追究责任"
            ),
        ),
    )


# --- 行为规范: the 13 standard phrases -------------------------------------------------------------

PHRASES: tuple[StandardPhrase, ...] = (
    StandardPhrase("greeting", "您好，12312举报投诉服务站，请进。", Action.REGISTER),
    StandardPhrase("calm", "别急，慢慢说，有什么需要我们帮助的？", Action.REGISTER),
    StandardPhrase("ask_name", "请问您贵姓？", Action.REGISTER),
    StandardPhrase("pardon", "对不起，有些没听清楚，请您再重复一遍，可以吗？"),
    StandardPhrase("on_the_way", "好，请您稍等，我们马上赶到现场。", Action.DISPATCH),
    StandardPhrase("accepted", "您的投诉（举报）已经受理，我们会尽快办理，并答复您。", Action.ACCEPT),
    StandardPhrase(
        "out_of_scope",
        "对不起，您反映的这件事不在我们的受理范围，请向其他部门投诉（举报），"
        "他们会为您提供帮助的（会进行查处的），谢谢！再见。",
        Action.REFER_OUT,
    ),
    StandardPhrase(
        "insufficient_evidence",
        "对不起，由于您提供的材料、证据不全，我们无法受理，请您了解清楚再投诉。",
        Action.REFUSE,
    ),
    StandardPhrase(
        "transferred",
        "你好，您的投诉（举报）我们已转至{department}，麻烦您跟他们联系，电话号码是{phone}，"
        "谢谢您对我们工作的支持，再见。",
        Action.REFER_OUT,
    ),
    StandardPhrase("anything_else", "您还有什么需要补充说明的？请讲。", Action.REGISTER),
    StandardPhrase("welcome", "不用谢，这是我们应该做的。"),
    StandardPhrase("goodbye", "谢谢您对我们工作的支持，再见！", Action.CLOSE),
    StandardPhrase("advice", "谢谢，我们做得不够的地方，请多提宝贵意见。", Action.RECORD_FEEDBACK),
)
"""工作人员行为规范 1–13, in order, each offered at its step (None: any time).

Two departures from the seed's text, both deliberate: 8 reads 了解清楚 where the seed has the
typo 子解清楚; 9 carries ``{department}`` and ``{phone}`` where the seed has XX部门 and ******.
"""
