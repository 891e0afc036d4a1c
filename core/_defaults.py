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
    IntakeSchema,
    ReplyRequirements,
    Routing,
    Sanction,
    TimerEffect,
    TimerPhase,
    TimerRule,
)
from core.domain.lifecycle import Action
from core.domain.roles import Permission, Role, can
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
def hy_identity_access(ctx: TenantContext, case: Case) -> frozenset[Role]:
    return frozenset(role for role in Role if can([role], Permission.IDENTITY_REVEAL))


@hookimpl(trylast=True)
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    return None  # escalation at intake is an organisation's rule


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
