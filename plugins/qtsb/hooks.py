"""The quality bureau's answers to the platform's hooks. Only adapts `rules`; the rules live there."""

from __future__ import annotations

from collections.abc import Sequence

from core.sdk import (
    AccountabilityEvent,
    Action,
    ApprovalStep,
    Case,
    CaseCommand,
    CaseKind,
    Classification,
    DocumentTemplate,
    FieldSpec,
    IntakeSchema,
    ReplyRequirements,
    Role,
    Routing,
    Sanction,
    SettingSpec,
    StandardPhrase,
    StatisticsDimension,
    TenantContext,
    TimerRule,
    hookimpl,
)
from plugins.qtsb import rules

__all__: list[str] = []

SETTINGS = (
    SettingSpec(
        "routing",
        dict,
        {},
        "转交路由表：键为“管辖区域/行业”（可用 * 表示任意），值为承办单位代码；最具体者优先，制度 一",
    ),
    SettingSpec(
        "supervisor_reads_identity",
        bool,
        False,
        "督查员可否查看投诉举报人姓名、地址原文；制度 二 只许办公室和局领导知悉，默认否",
    ),
    SettingSpec(
        "reward_rate", str, "0.05", "举报查实奖励比例（查实金额的比例，十进制文本）；制度 四，占位值"
    ),
    SettingSpec("reward_cap", str, "5000", "举报奖励上限（元，十进制文本）；制度 四，占位值"),
    SettingSpec("reward_min", str, "200", "举报奖励下限（元，十进制文本）；制度 四，占位值"),
    SettingSpec(
        "transfer_working_days", int, 3, "受理后经局领导审批转交的时限（工作日）；制度 一“及时转交”，插件解读"
    ),
    SettingSpec(
        "handling_working_days", int, 15, "转交后承办单位报送办理结果的时限（工作日）；制度 三，插件解读"
    ),
    SettingSpec("extension_cap_working_days", int, 15, "办理时限累计可延长的上限（工作日）；插件解读"),
)


def _terms(ctx: TenantContext) -> rules.RewardTerms:
    return rules.RewardTerms.parse(
        rate=ctx.settings["reward_rate"], cap=ctx.settings["reward_cap"], minimum=ctx.settings["reward_min"]
    )


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    areas, industries = rules.matrix_choices(ctx.settings["routing"])
    return IntakeSchema(
        fields=(
            FieldSpec(rules.PRODUCT, "涉及的产品或企业", kinds=rules.FOLLOWED_UP),
            FieldSpec(
                rules.AREA, "管辖区域", kinds=rules.FOLLOWED_UP, help="路由表中的区域：" + "、".join(areas)
            ),
            FieldSpec(
                rules.INDUSTRY,
                "行业",
                kinds=rules.FOLLOWED_UP,
                help="路由表中的行业：" + "、".join(industries),
            ),
            # Registered at the office with the person's identity, kept apart and confidential (二).
            FieldSpec("name", "投诉举报人姓名", kinds=rules.FOLLOWED_UP, identity=True),
            FieldSpec("phone", "联系电话", kinds=rules.FOLLOWED_UP, identity=True),
            FieldSpec("address", "联系地址", required=False, identity=True),
        ),
        allow_anonymous=True,
    )


@hookimpl
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    industry = str(case.fields.get(rules.INDUSTRY, "") or "").strip()
    return Classification(
        category=industry or case.category,
        severity=case.severity,
        complexity=case.complexity,
        flags=case.flags,
    )


@hookimpl
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return rules.route_for(case, ctx.settings["routing"], ctx.units)


@hookimpl
def hy_approval_chain(ctx: TenantContext, case: Case) -> Sequence[ApprovalStep]:
    return rules.approval_chain(case)


@hookimpl
def hy_transition_veto(ctx: TenantContext, case: Case, command: CaseCommand) -> str | None:
    return rules.OutcomeFitsKind(case, command)


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    return rules.timer_rules(
        case,
        transfer_days=ctx.settings["transfer_working_days"],
        handling_days=ctx.settings["handling_working_days"],
        extension_cap_days=ctx.settings["extension_cap_working_days"],
    )


@hookimpl
def hy_reply_requirements(ctx: TenantContext, case: Case) -> ReplyRequirements:
    return ReplyRequirements(
        modes=rules.reply_modes(case),
        basis=f"{rules.BASIS} 三：办公室将办理结果及时通知举报投诉人；书面来件书面答复（插件解读）",
    )


@hookimpl
def hy_action_roles(ctx: TenantContext, case: Case, action: Action) -> frozenset[Role] | None:
    return rules.ActingRoles(action)


@hookimpl
def hy_identity_access(ctx: TenantContext, case: Case) -> frozenset[Role]:
    return rules.identity_readers(supervisors_too=ctx.settings["supervisor_reads_identity"])


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return rules.sanctions_for(event, _terms(ctx))


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    return (
        DocumentTemplate(
            key="registration_form",
            title="投诉举报登记表",
            body=(
                "{tenant}\n投诉举报登记表\n编号：{serial}\n类型：{kind}　来源：{channel}\n"
                "收件时间：{received_at}\n行业：{category}\n标题：{title}\n内容：{content}\n{intake_facts}\n"
                "（投诉举报人姓名、地址由局办公室另行保管，不得泄露。）\n"
            ),
        ),
        DocumentTemplate(
            key="transfer_slip",
            title="投诉举报转办单",
            body=(
                "{tenant}\n投诉举报转办单\n编号：{serial}\n标题：{title}\n承办单位：{unit}\n案由：{cause}\n"
                "转办意见：{opinion}\n局领导审批意见：{approval_opinion}\n"
                "审批人：{approved_by}　审批时间：{approved_at}\n请及时办理，并将办理材料和结果报局办公室。\n"
                "本件涉及举报投诉人信息，须保密。\n"
            ),
            kinds=rules.FOLLOWED_UP,
        ),
        DocumentTemplate(
            key="result_notice",
            title="投诉举报办理结果告知书",
            body="{tenant}\n关于“{title}”（{serial}）办理结果的告知\n{reply_content}\n",
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    return (
        StandardPhrase("greeting", "您好，这里是质量技术监督局办公室，请讲。"),
        StandardPhrase("confidential", "您的姓名和地址我们将严格保密，不会泄露给任何人。"),
        StandardPhrase("areas", "请问您反映的产品或企业在哪个区域、属于哪个行业？"),
        StandardPhrase(
            "promise", "您的投诉举报已登记，经局领导审批后将转交承办单位办理，结果由局办公室通知您。"
        ),
    )


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("area", "管辖区域", rules.AREA),
        StatisticsDimension("industry", "行业", rules.INDUSTRY),
        StatisticsDimension("unit", "承办单位", "unit_code"),
    )
