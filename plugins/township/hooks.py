"""Nanxi Town's answers to the platform's hooks. Only adapts `rules`; the rules live there."""

from __future__ import annotations

from collections.abc import Sequence

from core.sdk import (
    AcceptanceCheck,
    AccountabilityEvent,
    Action,
    Case,
    CaseKind,
    Classification,
    DocumentTemplate,
    FieldSpec,
    IntakeSchema,
    ReplyMode,
    ReplyRequirements,
    Sanction,
    SettingSpec,
    StandardPhrase,
    StatisticsDimension,
    TenantContext,
    TimerRule,
    hookimpl,
)
from plugins.township import rules

__all__: list[str] = []

SETTINGS = (
    SettingSpec("general_working_days", int, 5, "一般性投诉办结时限（工作日），制度 五(一)"),
    SettingSpec("complex_working_days", int, 10, "比较复杂疑难投诉办结时限（工作日），制度 五(二)"),
    SettingSpec(
        "extension_cap_working_days",
        int,
        10,
        "特殊情况承诺延期的上限（工作日）；制度 五(三) 未定上限，此为平台默认",
    ),
)

_FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return SETTINGS


@hookimpl
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return IntakeSchema(
        fields=(
            FieldSpec(
                "situation",
                "投诉情形",
                kinds=frozenset({CaseKind.COMPLAINT}),
                choices=rules.SITUATION_CHOICES,
            ),
            FieldSpec(
                "respondent", "被投诉单位或个人", kinds=frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})
            ),
            # A consultation may stay nameless; a complaint or report is followed up with the person.
            FieldSpec("name", "投诉人姓名", kinds=_FOLLOWED_UP, identity=True),
            FieldSpec("phone", "联系电话", kinds=_FOLLOWED_UP, identity=True),
            FieldSpec("address", "联系地址", required=False, identity=True),
        ),
        allow_anonymous=True,
    )


@hookimpl
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    situation = str(case.fields.get("situation", ""))
    return Classification(
        category=situation, severity=case.severity, complexity=case.complexity, flags=case.flags
    )


@hookimpl
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck:
    if case.kind is not CaseKind.COMPLAINT:
        return AcceptanceCheck(acceptable=True)
    reason = rules.OutOfScope(str(case.fields.get("situation", "")))
    return AcceptanceCheck(
        acceptable=reason is None, unmet=(reason,) if reason else (), basis="南溪镇制度 二"
    )


@hookimpl
def hy_action_veto(ctx: TenantContext, case: Case, action: Action) -> str | None:
    return rules.FeedbackBeforeClosing(case, action)


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    return rules.timer_rules(
        case,
        general_days=ctx.settings["general_working_days"],
        complex_days=ctx.settings["complex_working_days"],
        extension_cap_days=ctx.settings["extension_cap_working_days"],
    )


@hookimpl
def hy_reply_requirements(ctx: TenantContext, case: Case) -> ReplyRequirements:
    return ReplyRequirements(
        modes=frozenset({ReplyMode.WRITTEN, ReplyMode.IN_PERSON, ReplyMode.PHONE, ReplyMode.ON_THE_SPOT}),
        basis="南溪镇制度 六(四)：当面回复由当事人签字，电话回复作电话记录",
    )


@hookimpl
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return rules.sanctions_for(event)


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    return (
        DocumentTemplate(
            key="registration_form",
            title="南溪镇党务政务公开投诉登记表",
            body=(
                "南溪镇党务政务公开投诉登记表\n编号：{serial}\n类型：{kind}　来源：{channel}\n"
                "收件时间：{received_at}\n投诉情形：{category}\n标题：{title}\n内容：{content}\n"
                "{intake_facts}\n登记人：{registered_by}　登记时间：{registered_at}\n"
            ),
        ),
        DocumentTemplate(
            key="transfer_slip",
            title="南溪镇党务政务公开投诉转办单",
            body=(
                "南溪镇党务政务公开投诉转办单\n编号：{serial}\n承办单位：{unit}\n案由：{cause}\n"
                "转办意见：{opinion}\n请于1个工作日内签收；不属本单位办理的，须在1个工作日内申请退信。\n"
            ),
        ),
        DocumentTemplate(
            key="reply",
            title="投诉办理回复",
            body="{tenant}\n关于“{title}”（{serial}）的回复\n{reply_content}\n",
        ),
    )


@hookimpl
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    return (
        StandardPhrase("greeting", "您好，这里是南溪镇监察室，请讲。"),
        StandardPhrase("out_of_scope", "您反映的事项不属于政务公开投诉受理范围，建议您向有关部门反映。"),
        StandardPhrase("promise", "我们将在规定时限内办理并答复您，请保持电话畅通。"),
    )


@hookimpl
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    return (
        StatisticsDimension("situation", "投诉情形", "category"),
        StatisticsDimension("unit", "承办单位", "unit_code"),
    )
