"""The company's answers to the platform's hooks (adapters over `rules`; nothing is decided here)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.sdk import (
    AccountabilityEvent,
    Action,
    ApprovalStep,
    Case,
    CaseCommand,
    CaseKind,
    Classification,
    DocumentTemplate,
    IntakeSchema,
    Role,
    Routing,
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
from plugins.company import rules

__all__ = ["SETTINGS"]

SETTINGS = (
    SettingSpec(
        "main_unit",
        str,
        "market",
        "市场发展部的单位代码：公司对外处理客户投诉的主要部门，客户投诉默认转至该部门（三）",
    ),
    SettingSpec(
        "handling_working_days",
        int,
        5,
        "客户投诉处理期限：自首问责任人受理起的工作日数；与客户协商确定的日期可取代之（五）",
    ),
    SettingSpec(
        "late_wage_deduction",
        int,
        200,
        "无合理理由未按时解决客户投诉的，每位直接责任人扣减当月考核工资的金额（元）；制度只说“相应扣除”（六.1）",
    ),
    SettingSpec(
        "upheld_wage_deduction",
        int,
        200,
        "因自身原因被客户投诉的员工扣减当月考核工资的金额（元）；制度只说“相应扣除”（六.3）",
    ),
    SettingSpec(
        "admin_head",
        str,
        "",
        "行政部负责人的用户名：设置后，客户投诉逾期时与首问责任人、承办人及其部门主管一并点名（六.1）；空=不列入",
    ),
    SettingSpec(
        "instalment_threshold",
        int,
        5000,
        "赔偿金额超过该数（元）即属“金额较大”，处理记录注明可与公司协商分期支付（六.3）",
    ),
)

_COMPLAINTS = frozenset({CaseKind.COMPLAINT})


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return rules.intake_schema(kind)


@hookimpl
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    return rules.classification(case)


@hookimpl
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return rules.route(case, ctx.settings["main_unit"], ctx.units)


@hookimpl
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    return rules.UnclearResponsibility(case)


@hookimpl
def hy_approval_chain(ctx: TenantContext, case: Case) -> Sequence[ApprovalStep]:
    return rules.approval_chain(case)


@hookimpl
def hy_transition_veto(ctx: TenantContext, case: Case, command: CaseCommand) -> str | None:
    return rules.ResponsibilityDetermined(case, command) or rules.SatisfiedBeforeClosing(case, command)


@hookimpl
def hy_action_roles(ctx: TenantContext, case: Case, action: Action) -> frozenset[Role] | None:
    return rules.closing_roles(case, action)


@hookimpl
def hy_supervision_recipients(ctx: TenantContext, case: Case) -> Sequence[str]:
    return rules.followers(case)


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    return rules.timer_rules(case, handling_days=ctx.settings["handling_working_days"])


@hookimpl
def hy_timer_effects(
    ctx: TenantContext, case: Case, timer_kind: str, phase: TimerPhase
) -> Sequence[TimerEffect] | None:
    if timer_kind != rules.HANDLING_TIMER:
        return None  # a core timer (e.g. a remedy order) keeps the core's effects
    return rules.timer_effects(phase)


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    settings = ctx.settings
    return rules.sanctions_for(
        event,
        late_wage_deduction=Decimal(settings["late_wage_deduction"]),
        upheld_wage_deduction=Decimal(settings["upheld_wage_deduction"]),
        admin_head=settings["admin_head"],
        instalment_threshold=Decimal(settings["instalment_threshold"]),
    )


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    return (
        DocumentTemplate(
            key="complaint_record",
            title="客户投诉记录单",
            body=(
                "{tenant}\n客户投诉记录单\n编号：{serial}\n来源：{channel}　接到时间：{received_at}\n"
                "投诉对象：{category}\n标题：{title}\n投诉内容：{content}\n"
                "投诉理由：{field_reason}\n客户要求：{field_demand}\n"
                "首问责任人：{owner}\n"
                f"（首问责任人必须记录并关注、配合处理进程，{rules.basis('四.1')}；客户身份另行保管。）\n"
            ),
            kinds=_COMPLAINTS,
        ),
        DocumentTemplate(
            key="handling_plan",
            title="客户投诉处理方案",
            body=(
                "{tenant}\n客户投诉处理方案\n编号：{serial}\n标题：{title}\n"
                "承办部门：{unit}\n原因分析及责任归属：{cause}\n处理方案：{opinion}\n"
                f"（由市场发展部召集相关部门人员分析原因、判定责任归属后制定，{rules.basis('四.3')}。）\n"
            ),
            kinds=_COMPLAINTS,
        ),
        DocumentTemplate(
            key="reply_letter",
            title="客户投诉答复函",
            body=(
                "{tenant}\n关于“{title}”（编号 {serial}）的答复\n{reply_content}\n"
                "如您对处理结果仍不满意，请告知我们，我们将继续处理直到您满意。\n"
            ),
            kinds=_COMPLAINTS,
        ),
        DocumentTemplate(
            key="handling_opinion",
            title="客户投诉处理意见书",
            body=(
                "{tenant}\n客户投诉处理意见书\n编号：{serial}\n标题：{title}\n承办部门：{unit}\n"
                "处理结论：{outcome}　承担责任人员：{respondent}\n涉及金额：{amount}\n"
                "处理意见：{closing_summary}\n提出人：{closed_by}　提出时间：{closed_at}\n"
                f"（由投诉处理部门上级主管或总经理提出，{rules.basis('四.9')}；"
                "被处罚人有异议的，可向总经理申诉。）\n"
            ),
            kinds=_COMPLAINTS,
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    return rules.phrases(ctx.settings["handling_working_days"])


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("subject", "投诉对象（产品或服务）", "category"),
        StatisticsDimension("unit", "承办部门", "unit_code"),
        StatisticsDimension("owner", "首问责任人", "owner"),
    )
