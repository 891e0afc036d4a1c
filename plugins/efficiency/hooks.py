"""The efficiency complaint office's answers to the platform's hooks (adapters over `rules`).

Nothing here decides: every hook reads the tenant's settings and hands them to a rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.sdk import (
    AcceptanceCheck,
    AccountabilityEvent,
    Action,
    ApprovalStep,
    Case,
    CaseKind,
    Classification,
    DocumentTemplate,
    EventName,
    FieldSpec,
    IntakeSchema,
    Role,
    Sanction,
    SettingSpec,
    StandardPhrase,
    StatisticsDimension,
    TenantContext,
    TimerEffect,
    TimerPhase,
    TimerRule,
    hookimpl,
)
from plugins.efficiency import rules

__all__ = ["SETTINGS"]

SETTINGS = (
    SettingSpec(
        "regulation",
        str,
        "jgswj",
        "所依据的制度文本（条款编号）：jgswj=成都市机关事务管理局局投诉举报制度；jsj=城区计生局投诉举报制度",
    ),
    SettingSpec(
        "day_unit", str, "calendar", "期限按何种日计算：calendar=自然日（成都）；working=工作日（计生）"
    ),
    SettingSpec("handling_days", int, 30, "自受理之日起办结时限（日），成都 第六条(四)、计生 7(3)"),
    SettingSpec(
        "extension_cap_days", int, 30, "经领导批准延长办理期限的上限（日），成都 第六条(四)、计生 7(3)"
    ),
    SettingSpec(
        "handoff_days", int, 5, "不属本机关管辖或需转交的，移交时限（日），成都 第六条(三)、计生 7(3)"
    ),
    SettingSpec(
        "feedback_days",
        int,
        2,
        "署实名的，查结（办结）后告知结果的时限（日），成都 第六条(六)；"
        "0 表示制度未定时限（计生 7(4)）：不计时，改为办结前须先告知并记录反馈",
    ),
    SettingSpec(
        "leader_approval",
        bool,
        True,
        "受理后当日内提出拟办意见送分管领导阅批后方可转办（成都 第六条(二)）；"
        "计生 4 允许直接办理，设为 false",
    ),
    SettingSpec(
        "may_order_remedy",
        bool,
        False,
        "投诉举报工作机构可要求被投诉举报人立即停止行政过错或违法违纪行为、采取必要的补救措施"
        "（计生 9，设为 true）；成都局制度无此职权，为 false",
    ),
    SettingSpec(
        "sanction_ladder",
        str,
        "admonition,circulated_criticism,disciplinary",
        "投诉属实时对被投诉人的处理，按本年度次数由轻到重（逗号分隔的 SanctionKind）："
        "成都 第八条 行政效能告诫、通报批评、追究行政责任；计生 criticism,disciplinary",
    ),
)

_FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})


def _regulation(ctx: TenantContext) -> rules.Regulation:
    return rules.regulation(ctx.settings["regulation"])


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return IntakeSchema(
        fields=(
            FieldSpec(
                "nature",
                "投诉举报性质",
                kinds=_FOLLOWED_UP,
                help="不属于以上性质的选“其他”，受理时移交有管辖权的部门",
                choices=rules.nature_choices(),
            ),
            FieldSpec("respondent", "被投诉举报的人员或单位", kinds=_FOLLOWED_UP),
            FieldSpec("name", "投诉举报人姓名", kinds=_FOLLOWED_UP, identity=True),
            FieldSpec("phone", "联系电话", kinds=_FOLLOWED_UP, identity=True),
            FieldSpec("agent", "代为投诉举报的受托人", required=False, kinds=_FOLLOWED_UP, identity=True),
        ),
        allow_anonymous=True,  # real names are encouraged, not required (计生 6)
    )


@hookimpl
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    return Classification(
        category=str(case.fields.get("nature", "")) or case.category,
        severity=case.severity,
        complexity=case.complexity,
        flags=case.flags,
    )


@hookimpl
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck:
    reg = _regulation(ctx)
    reason = rules.OutOfScope(case.kind, str(case.fields.get("nature", "")), reg)
    if reason is None:
        return AcceptanceCheck(acceptable=True)
    return AcceptanceCheck(acceptable=False, unmet=(reason,), basis=reg.basis(reg.scope))


@hookimpl
def hy_action_veto(ctx: TenantContext, case: Case, action: Action, open_timers: frozenset[str]) -> str | None:
    reg, settings = _regulation(ctx), ctx.settings
    return (
        rules.LeaderReadsFirst(case, action, leader_approval=settings["leader_approval"], reg=reg)
        or rules.FeedbackBeforeClosing(case, action, reg, feedback_days=settings["feedback_days"])
        or rules.RemedyNotGranted(action, reg, may_order_remedy=settings["may_order_remedy"])
        or rules.RemedyOutstanding(action, open_timers, reg)
    )


@hookimpl
def hy_timer_effects(
    ctx: TenantContext, case: Case, timer_kind: str, phase: TimerPhase
) -> Sequence[TimerEffect] | None:
    return rules.remedy_effects(timer_kind, phase)


@hookimpl
def hy_approval_chain(ctx: TenantContext, case: Case) -> Sequence[ApprovalStep]:
    return rules.approval_chain(case, leader_approval=ctx.settings["leader_approval"])


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    settings = ctx.settings
    return rules.timer_rules(
        case,
        reg=_regulation(ctx),
        day_unit=settings["day_unit"],
        handling_days=settings["handling_days"],
        extension_cap_days=settings["extension_cap_days"],
        handoff_days=settings["handoff_days"],
        feedback_days=settings["feedback_days"],
        leader_approval=settings["leader_approval"],
    )


@hookimpl
def hy_action_roles(ctx: TenantContext, case: Case, action: Action) -> frozenset[Role] | None:
    return rules.extension_granters(action)


@hookimpl
def hy_identity_access(ctx: TenantContext, case: Case) -> frozenset[Role]:
    return rules.identity_readers()


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return rules.sanctions_for(
        event, ladder=rules.sanction_ladder(ctx.settings["sanction_ladder"]), reg=_regulation(ctx)
    )


# The 呈批表's opinion lines: the draft put to the leader in charge and the leader's word, or,
# where the office decides alone (``leader_approval`` off), the opinion it dispatched with.
_DRAFT_APPROVED = (
    "拟办意见：{draft_opinion}\n拟办人：{submitted_by}　呈报时间：{submitted_at}\n"
    "分管领导批示：{approval_opinion}\n批示人：{approved_by}　批示时间：{approved_at}\n"
)
_DRAFT_DECIDED = "拟办意见：{opinion}\n（本单位由办公室直接决定，无需分管领导批示。）\n"


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    reg = _regulation(ctx)
    return (
        DocumentTemplate(
            key="registration_form",
            title="投诉举报登记表",
            body=(
                "投诉举报登记表\n{tenant}\n编号：{serial}\n类型：{kind}　来源：{channel}\n"
                "收件时间：{received_at}\n性质：{category}\n标题：{title}\n内容：{content}\n{intake_facts}\n"
                f"（依据：{reg.basis(reg.registration)}；投诉举报人身份另行保密存放）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="draft_opinion",
            title="投诉举报拟办意见呈批表",
            body=(
                "投诉举报拟办意见呈批表\n编号：{serial}\n标题：{title}\n性质：{category}\n"
                f"{_DRAFT_APPROVED if ctx.settings['leader_approval'] else _DRAFT_DECIDED}"
                f"（依据：{reg.basis(reg.draft)}）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="handoff_notice",
            title="投诉举报移交告知书",
            body=(
                "投诉举报移交告知书\n您反映的“{title}”（编号 {serial}）不属于{tenant}管辖范围，"
                "已移交{referred_to}办理，请向该部门了解办理情况。\n移交理由：{referral_reason}\n"
                f"（依据：{reg.basis(reg.handoff)}）\n"
            ),
            kinds=_FOLLOWED_UP,
            after=EventName.REFERRED_OUT,
        ),
        DocumentTemplate(
            key="result_notice",
            title="投诉举报查办结果告知书",
            body="{tenant}\n关于“{title}”（编号 {serial}）的查办结果\n{reply_content}\n",
            kinds=_FOLLOWED_UP,
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    settings = ctx.settings
    handoff = rules.day_period(settings["handoff_days"], settings["day_unit"])
    handling = rules.day_period(settings["handling_days"], settings["day_unit"])
    return (
        StandardPhrase(
            "handoff",
            f"您反映的事项不属于本机关管辖范围，我们将在{handoff.label}内移交有管辖权的部门，"
            "并告知您该部门名称，请向其了解办理情况。",
            step=Action.REFER_OUT,
        ),
        StandardPhrase(
            "accepted",
            f"您的投诉举报已登记受理，我们将在{handling.label}内办理完毕；署实名的，将把查办结果告知您。",
            step=Action.ACCEPT,
        ),
        StandardPhrase(
            "confidential",
            "我们严格执行保密规定，不会将您的投诉举报材料原件或复印件转给被投诉举报人。",
        ),
    )


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("nature", "投诉举报性质", "category"),
        StatisticsDimension("respondent", "被投诉举报的人员或单位", "respondent"),
        StatisticsDimension("unit", "承办单位", "unit_code"),
    )
