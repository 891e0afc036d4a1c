"""The 12312 station's answers to the platform's hooks. Only adapts `rules`; the rules live there."""

from __future__ import annotations

from collections.abc import Sequence

from core.sdk import (
    AcceptanceCheck,
    AccountabilityEvent,
    Action,
    Case,
    CaseCommand,
    CaseKind,
    Classification,
    DocumentTemplate,
    IntakeSchema,
    Routing,
    Sanction,
    SettingSpec,
    StandardPhrase,
    StatisticsDimension,
    TenantContext,
    TimerRule,
    hookimpl,
)
from plugins.commerce12312 import rules

__all__: list[str] = []

SETTINGS = (
    SettingSpec(
        "squad_routing",
        dict,
        {},
        "按商务稽查大队业务职责分工分流：键为案件类别，值为业务中队的单位代码；分流转办制度 一.1",
    ),
    SettingSpec(
        "supervision_unit",
        str,
        "supervision",
        "监察部门的单位代码：干部违法违纪的举报只能转至该单位；分流转办制度 一.2",
    ),
    SettingSpec(
        "handling_working_days",
        int,
        7,
        "转办后稽查大队调处并回复的时限（工作日）；办结反馈制度 一、二只说“及时”“规定时间内”，插件解读",
    ),
)


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return rules.intake_schema(tuple(ctx.settings["squad_routing"]))


@hookimpl
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck:
    problem = rules.on_site_answer_problem(case)
    if problem is None:
        return AcceptanceCheck(acceptable=True)
    return AcceptanceCheck(acceptable=False, unmet=(problem,), basis=f"{rules.DIVISION} 三")


@hookimpl
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    category = str(case.fields.get(rules.CATEGORY, "") or "").strip()
    return Classification(
        category=category or case.category,
        severity=case.severity,
        complexity=case.complexity,
        flags=case.flags,
    )


@hookimpl
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return rules.route_for(case, ctx.settings["squad_routing"], ctx.settings["supervision_unit"], ctx.units)


@hookimpl
def hy_transition_veto(ctx: TenantContext, case: Case, command: CaseCommand) -> str | None:
    return rules.dispatch_veto(case, command, ctx.settings["supervision_unit"]) or rules.referral_veto(
        command
    )


@hookimpl
def hy_action_veto(ctx: TenantContext, case: Case, action: Action) -> str | None:
    return rules.closing_veto(case, action)


@hookimpl
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    return rules.escalation_reason(case)


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    return rules.timer_rules(case, handling_days=ctx.settings["handling_working_days"])


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return rules.sanctions_for(event)


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    return (
        DocumentTemplate(
            key="registration_form",
            title="12312商务举报投诉登记表",
            body=(
                "{tenant}\n12312商务举报投诉登记表\n编号：{serial}\n类型：{kind}　来源：{channel}\n"
                "受理时间：{received_at}\n类别：{category}　等级：{severity}\n标题：{title}\n"
                "内容：{content}\n{intake_facts}\n"
                "（投诉或举报人姓名、单位、联系电话另行保管；值班记录不得让无关人员翻看。）\n"
            ),
        ),
        DocumentTemplate(
            key="transfer_slip",
            title="12312商务举报投诉转办单",
            body=(
                "{tenant}\n12312商务举报投诉转办单\n编号：{serial}\n标题：{title}\n接收单位：{unit}\n"
                "案由：{cause}\n转办意见：{opinion}\n"
                "请严格按照规定要求及时调处和回复，并将结果反馈12312投诉服务站。"
                "需出现场处理的，自接到分流任务30分钟内必须到达现场。\n"
            ),
            kinds=rules.FOLLOWED_UP,
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    return rules.PHRASES


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("category", "案件类别", "category"),
        StatisticsDimension("unit", "承办单位", "unit_code"),
        StatisticsDimension("on_site", "是否需出现场", rules.ON_SITE),
    )
