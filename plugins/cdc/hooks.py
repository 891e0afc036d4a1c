"""The disease-control centre's answers to the platform's hooks (adapters over `rules`).

Nothing here decides: every hook reads the tenant's settings and hands them to a rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.sdk import (
    AcceptanceCheck,
    AccountabilityEvent,
    Action,
    Case,
    CaseCommand,
    CaseKind,
    DocumentTemplate,
    IntakeSchema,
    ReplyRequirements,
    Routing,
    Sanction,
    SettingSpec,
    StandardPhrase,
    StatisticsDimension,
    TenantContext,
    TimerRule,
    hookimpl,
)
from plugins.cdc import rules

__all__ = ["SETTINGS"]

SETTINGS = (
    SettingSpec(
        "office_unit",
        str,
        "office",
        "中心办公室的单位代码：综合受理投诉、协调处理，涉及多个科室的投诉由其牵头"
        "（举报投诉处理制度 一.3、三.4）",
    ),
    SettingSpec(
        "checking_days",
        int,
        7,
        "口头投诉需要调查核实的，自受理之日起作出处理并通知投诉者的时限（日），举报投诉处理制度 三.2",
    ),
    SettingSpec("reply_days", int, 30, "承办科室向投诉者作出书面答复的时限（日），举报投诉处理制度 三.7"),
    SettingSpec(
        "reply_max_days",
        int,
        60,
        "难度大、情况复杂的案件书面答复最迟不超过的日数（含延期），延期须告知理由，举报投诉处理制度 三.7",
    ),
)

_FOLLOWED_UP = rules.FOLLOWED_UP
_COMPLAINT = frozenset({CaseKind.COMPLAINT})


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return rules.intake_schema(kind)


@hookimpl
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck:
    return rules.acceptance(case)


@hookimpl
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return rules.route_for(case, ctx.units, office_unit=ctx.settings["office_unit"])


@hookimpl
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    return rules.escalation_reason(case)


@hookimpl
def hy_transition_veto(ctx: TenantContext, case: Case, command: CaseCommand) -> str | None:
    reasons = [
        reason
        for reason in (
            rules.SupplementNotAllAtOnce(case, command),
            rules.DispatchNotLedByOffice(case, command, ctx.units, office_unit=ctx.settings["office_unit"]),
            rules.InvestigationIncomplete(command),
            rules.WrittenReplyWithoutInvestigation(case, command),
        )
        if reason
    ]
    return "；".join(reasons) or None


@hookimpl
def hy_action_veto(ctx: TenantContext, case: Case, action: Action) -> str | None:
    return rules.OralSettlementWithoutRecord(case, action)


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    settings = ctx.settings
    return rules.timer_rules(
        case,
        checking_days=settings["checking_days"],
        reply_days=settings["reply_days"],
        reply_max_days=settings["reply_max_days"],
    )


@hookimpl
def hy_reply_requirements(ctx: TenantContext, case: Case) -> ReplyRequirements:
    return rules.reply_requirements(case)


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return rules.sanctions_for(event)


_COMPLAINT_BASIS = rules.COMPLAINT_RULES
_FIRST_BASIS = rules.FIRST_HANDLER_RULES


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    # 一.3: the centre office takes every complaint in (综合受理); the form names it as it is known.
    office = ctx.unit(ctx.settings["office_unit"])
    receiving = office.name if office else "中心办公室"
    return (
        DocumentTemplate(
            key="registration_form",
            title="举报投诉登记表",
            body=(
                "举报投诉登记表\n{tenant}\n编号：{serial}　类型：{kind}\n"
                "来源：{channel}　收件时间：{received_at}\n"
                "投诉人：{complainant_name}　通讯方式：{complainant_phone}\n联系地址：{complainant_address}\n"
                "标题：{title}\n投诉内容（事实依据、具体要求）：{content}\n"
                "被投诉科室或人员：{field_respondent}\n事实依据：{field_facts}\n"
                "受理条件核对：本人在本中心接受服务或办事时合法权益直接受到侵害；被投诉科室或人员明确；"
                "有事实依据和具体要求；有文字材料或经签字（盖章）的口述笔录\n"
                "投诉人签字（盖章）：\n"
                f"首办人员：{{owner}}　　　　受理科室：{receiving}\n"
                f"（依据：{_COMPLAINT_BASIS} 二、三.1；不符合条件的一次性告知，{_FIRST_BASIS} 二.3）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="reply",
            title="投诉处理书面答复书",
            body=(
                "投诉处理书面答复书\n文书编号：{number}　案件编号：{serial}\n标题：{title}\n"
                "承办科室：{unit}　答复时间：{replied_at}\n{reply_sections}\n"
                "经调解未能达成协议的，您可以依照法律程序向有关部门申请处理或者向人民法院提起诉讼。\n"
                f"（依据：{_COMPLAINT_BASIS} 三.7、三.8）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="investigation_record",
            title="投诉调查核实笔录",
            body=(
                "投诉调查核实笔录\n案件编号：{serial}　标题：{title}\n"
                "调查时间：{investigated_at}　调查地点：{investigated_place}\n"
                "调查人员（两人）：{investigators}\n被调查人：{interviewee}\n调查内容：{findings}\n"
                "被调查人签名（盖章）：　　　　调查人员签名：\n"
                f"（依据：{_COMPLAINT_BASIS} 三.5：调查核实时应有两人随行，笔录由被调查人签名或盖章）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="oral_settlement_record",
            title="口头投诉当场处理记录",
            body=(
                "口头投诉当场处理记录\n案件编号：{serial}　来源：{channel}　收件时间：{received_at}\n"
                "标题：{title}\n投诉内容：{content}\n处理情况（当场答复）：{reply_content}\n"
                "投诉人是否满意：{satisfaction}\n"
                f"（依据：{_COMPLAINT_BASIS} 三.2：当时能够口头回复而投诉人又满意的，"
                "可以不办理完整的书面投诉手续，但必需做好处理记录）\n"
            ),
            kinds=_FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="mediation_notice",
            title="调解终结告知书",
            body=(
                "调解终结告知书\n案件编号：{serial}　标题：{title}\n"
                "您的投诉经本中心调解，双方未能达成协议，调解终结。"
                "您可以依照法律程序向有关部门申请处理或者向人民法院提起诉讼。\n{tenant}\n"
                f"（依据：{_COMPLAINT_BASIS} 三.8）\n"
            ),
            kinds=_COMPLAINT,
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    settings = ctx.settings
    return (
        StandardPhrase(
            "first_handler",
            "您好，我是首办人员××，您反映的事项由我负责受理，并跟踪办理结果。",
            step=Action.REGISTER,
        ),
        StandardPhrase(
            "all_at_once",
            "您的投诉还需要补充以下材料：××。我们一次性告诉您，请补齐后我们即予受理，免得您来回跑。",
            step=Action.REQUEST_SUPPLEMENT,
        ),
        StandardPhrase(
            "checking",
            f"您的投诉已受理，需要调查核实，我们将在{settings['checking_days']}日内作出处理并通知您。",
            step=Action.ACCEPT,
        ),
        StandardPhrase(
            "written_reply",
            f"您的投诉已受理，我们将在{settings['reply_days']}日内书面答复您；情况复杂的，"
            f"最迟不超过{settings['reply_max_days']}日，并告知您延期理由。",
            step=Action.ACCEPT,
        ),
        StandardPhrase(
            "guide_to_section",
            "您反映的事项由××科负责办理，我带您过去，之后我会跟踪了解处理结果。",
            step=Action.DISPATCH,
        ),
        StandardPhrase(
            "other_body",
            "您反映的事项属于××单位的职责，请向该单位反映，联系电话××；给您带来不便，请谅解。",
            step=Action.REFER_OUT,
        ),
        StandardPhrase(
            "on_the_spot",
            "您反映的问题我们当场答复如上，请问您对处理结果是否满意？我们会做好处理记录。",
            step=Action.REPLY,
        ),
        StandardPhrase(
            "extension",
            "因案情复杂，您的投诉需延期答复，延期理由是××，我们将在××前书面答复您。",
            step=Action.EXTEND,
        ),
        StandardPhrase(
            "legal_route",
            "经调解，双方未能达成协议。您可以依照法律程序向有关部门申请处理或者向人民法院提起诉讼。",
            step=Action.CLOSE,
        ),
        StandardPhrase(
            "opinion_card",
            "欢迎您填写《服务对象征求意见卡》，对我们的工作提出意见和建议。",
        ),
    )


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("owner", "首办人员", "owner"),
        StatisticsDimension("respondent", "被投诉科室或人员", rules.RESPONDENT),
        StatisticsDimension("unit", "承办科室", "unit_code"),
        StatisticsDimension("channel", "投诉途径", "channel"),
    )
