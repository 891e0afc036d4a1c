"""The core's own answers to every decision hook, registered ``trylast`` so a plugin's wins.

With these in place a decision hook always has an answer and a plugin implements only what
its organisation does differently.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.domain.cases import Case, CaseKind
from core.domain.decisions import (
    AcceptanceCheck,
    AccountabilityEvent,
    ApprovalStep,
    Classification,
    DocumentTemplate,
    IntakeSchema,
    ReplyRequirements,
    Routing,
    Sanction,
    TimerEffect,
    TimerPhase,
    TimerRule,
)
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Permission, Role, can
from core.domain.tenancy import SettingSpec, TenantContext
from core.hookspecs import hookimpl

__all__: list[str] = []

CORE_SETTINGS = (
    SettingSpec(
        key="intake_max_backdate_days",
        type=int,
        default=30,
        description="收件时间最多可补登多少日前（letters opened or calls logged late）",
    ),
    SettingSpec(
        key="webhook_url",
        type=str,
        default="",
        description="通知推送地址（短信网关或对接系统），为空则不推送",
    ),
    SettingSpec(
        key="webhook_secret",
        type=str,
        default="",
        description="通知推送的 HMAC-SHA256 签名密钥（只写，不回显）",
        secret=True,
    ),
    SettingSpec(
        key="identity_retention_years",
        type=int,
        default=0,
        description="归档满多少年后删除投诉人身份（0 表示永久保存；案件本身保留用于统计）",
    ),
    SettingSpec(
        key="appeal_decision_working_days",
        type=int,
        default=15,
        description="对处理决定的申诉应在多少个工作日内作出决定（问责台账申诉期限）",
    ),
)


@hookimpl(trylast=True)
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
    return IntakeSchema()


@hookimpl(trylast=True)
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck:
    return AcceptanceCheck(acceptable=True)


@hookimpl(trylast=True)
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification:
    return Classification(
        category=case.category, severity=case.severity, complexity=case.complexity, flags=case.flags
    )


@hookimpl(trylast=True)
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    return None  # no suggestion: the dispatcher chooses


@hookimpl(trylast=True)
def hy_action_roles(ctx: TenantContext, case: Case, action: Action) -> frozenset[Role] | None:
    return None  # the permission matrix alone decides


@hookimpl(trylast=True)
def hy_identity_access(ctx: TenantContext, case: Case, actor: Actor) -> frozenset[Role]:
    return frozenset(role for role in Role if can([role], Permission.IDENTITY_REVEAL))


@hookimpl(trylast=True)
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    return None  # escalation at intake is an organisation's rule


@hookimpl(trylast=True)
def hy_supervision_recipients(ctx: TenantContext, case: Case) -> Sequence[str]:
    return ()  # the people handling the case are always told; others are an organisation's rule


@hookimpl(trylast=True)
def hy_approval_chain(ctx: TenantContext, case: Case) -> Sequence[ApprovalStep]:
    return ()


@hookimpl(trylast=True)
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
    return ()


@hookimpl(trylast=True)
def hy_timer_effects(
    ctx: TenantContext, case: Case, timer_kind: str, phase: TimerPhase
) -> Sequence[TimerEffect]:
    if phase is TimerPhase.WARNING:
        return (TimerEffect.REMIND,)
    return (TimerEffect.REMIND, TimerEffect.SUPERVISION_NOTICE, TimerEffect.ACCOUNTABILITY)


@hookimpl(trylast=True)
def hy_reply_requirements(ctx: TenantContext, case: Case) -> ReplyRequirements:
    return ReplyRequirements()


@hookimpl(trylast=True)
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction]:
    return ()


@hookimpl
def hy_register_settings() -> Sequence[SettingSpec]:
    return CORE_SETTINGS


# The core's printable forms; a plugin replaces one by contributing a template with the same key.
# Bodies follow the layout rules of `core.domain.layout` (``标签：内容`` lines are form fields).
CORE_TEMPLATES = (
    DocumentTemplate(
        key="registration_form",
        title="投诉举报登记表",
        body=(
            "编号：{serial}　类型：{kind}\n来源：{channel}　收件时间：{received_at}\n"
            "投诉人：{complainant_name}　联系电话：{complainant_phone}\n住址：{complainant_address}\n"
            "类别：{category}　等级：{severity}\n标题：{title}\n内容：{content}\n{intake_facts}\n"
            "登记人：{registered_by}　登记时间：{registered_at}\n"
            "（投诉人身份依法保密，不得向被投诉单位和无关人员泄露。）\n"
        ),
    ),
    DocumentTemplate(
        key="transfer_slip",
        title="投诉转办单",
        body=(
            "文书编号：{number}　案件编号：{serial}\n承办单位：{unit}　转办时间：{dispatched_at}\n"
            "标题：{title}\n案由：{cause}\n转办意见：{opinion}\n办理期限：{deadline}\n"
            "请承办单位指定专人签收办理，按期将办理结果报送；不属本单位职责的，请于1个工作日内申请退信。\n"
        ),
    ),
    DocumentTemplate(
        key="supervision_notice",
        title="督办通知单",
        body=(
            "文书编号：{number}　案件编号：{serial}\n承办单位：{unit}　承办人：{handler}\n"
            "标题：{title}\n办理期限：{deadline}\n"
            "督办意见：该件已逾期或即将逾期，请立即办理，并将办理情况书面反馈{tenant}。\n"
        ),
    ),
    DocumentTemplate(
        key="extension",
        title="延期办理申请审批表",
        body=(
            "文书编号：{number}　案件编号：{serial}\n承办单位：{unit}　承办人：{handler}\n标题：{title}\n"
            "申请人：{extension_requested_by}　申请时间：{extension_requested_at}\n"
            "申请延长期限：{extension_period}\n延期理由：{extension_reason}\n"
            "审批人：{extension_approved_by}　审批时间：{extension_approved_at}\n"
            "（延期理由应告知投诉人。）\n"
        ),
    ),
    DocumentTemplate(
        key="reply",
        title="投诉举报答复书",
        body=(
            "文书编号：{number}　案件编号：{serial}\n标题：{title}\n"
            "承办单位：{unit}　答复时间：{replied_at}\n"
            "答复方式：{reply_mode}\n处理意见：\n{reply_sections}\n"
            "如对处理结果不满意，可在收到本答复之日起依法提出复查或通过其他法定途径解决。\n"
        ),
    ),
    DocumentTemplate(
        key="return_request",
        title="退信申请单",
        body=(
            "文书编号：{number}　案件编号：{serial}\n标题：{title}\n原承办单位：{unit}\n"
            "案由：{cause}\n申请人：{returned_by}　申请时间：{returned_at}\n退信理由：{return_reason}\n"
        ),
    ),
    DocumentTemplate(
        key="phone_feedback",
        title="电话回访记录",
        body=(
            "文书编号：{number}　案件编号：{serial}\n"
            "回访对象：{complainant_name}　联系电话：{complainant_phone}\n"
            "标题：{title}\n承办单位：{unit}　答复时间：{replied_at}\n"
            "回访人：{feedback_by}　回访时间：{feedback_at}\n"
            "满意度：{satisfaction}\n回访情况：{feedback_note}\n"
        ),
    ),
    DocumentTemplate(
        key="handover_record",
        title="交接班记录",
        body=(
            "文书编号：{number}　班次：{shift}\n交班人：{written_by}　交接时间：{written_at}\n"
            "接报案件：{cases_received}\n待办事宜：{pending}\n交接文件：{documents}\n"
            "设备状况：{equipment}\n值班日志：{notes}\n（值班记录保密，无关人员不得翻看。）\n"
        ),
    ),
)


@hookimpl
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    return CORE_TEMPLATES
