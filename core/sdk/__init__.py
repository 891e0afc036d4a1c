"""The surface plugins import: the hookimpl marker, the domain values hooks use, and helpers.

A plugin imports from here (and may import `core.domain` modules directly), never from the
store, services or API. `core.sdk.testing` is the conformance suite every plugin runs.
"""

from core.domain.calendar import Period, PeriodUnit
from core.domain.cases import (
    Case,
    CaseKind,
    CaseState,
    Channel,
    Complexity,
    Satisfaction,
    Severity,
    SeverityFlag,
)
from core.domain.commands import (
    CaseCommand,
    CloseCase,
    DispatchCase,
    Outcome,
    RecordFeedback,
    ReplyMode,
    ReplyToCase,
    ReturnCase,
)
from core.domain.decisions import (
    AcceptanceCheck,
    AccountabilityEvent,
    AccountabilityKind,
    ApprovalStep,
    Classification,
    DocumentTemplate,
    FieldSpec,
    IntakeSchema,
    ReplyRequirements,
    Routing,
    Sanction,
    SanctionKind,
    StandardPhrase,
    StatisticsDimension,
    TimerEffect,
    TimerPhase,
    TimerRule,
)
from core.domain.events import CaseEvent
from core.domain.lifecycle import Action
from core.domain.masking import mask_address, mask_id_number, mask_name, mask_phone, mask_text
from core.domain.money import Tier, tiered_amount
from core.domain.roles import Role
from core.domain.tenancy import SettingSpec, TenantContext, Unit
from core.hookspecs import hookimpl

__all__ = [
    "AcceptanceCheck",
    "AccountabilityEvent",
    "AccountabilityKind",
    "Action",
    "ApprovalStep",
    "Case",
    "CaseCommand",
    "CaseEvent",
    "CaseKind",
    "CaseState",
    "Channel",
    "Classification",
    "CloseCase",
    "Complexity",
    "DispatchCase",
    "DocumentTemplate",
    "FieldSpec",
    "IntakeSchema",
    "Outcome",
    "Period",
    "PeriodUnit",
    "RecordFeedback",
    "ReplyMode",
    "ReplyRequirements",
    "ReplyToCase",
    "ReturnCase",
    "Role",
    "Routing",
    "Sanction",
    "SanctionKind",
    "Satisfaction",
    "SettingSpec",
    "Severity",
    "SeverityFlag",
    "StandardPhrase",
    "StatisticsDimension",
    "TenantContext",
    "Tier",
    "TimerEffect",
    "TimerPhase",
    "TimerRule",
    "Unit",
    "hookimpl",
    "mask_address",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_text",
    "tiered_amount",
]
