"""The values plugins answer with, all frozen.

Intake schemas, routes, approval chains, timer rules, replies, documents, sanctions, phrases
and statistics dimensions.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.domain.calendar import Period
from core.domain.cases import Case, CaseKind, Channel, Complexity, Severity, SeverityFlag
from core.domain.commands import ReplyMode
from core.domain.events import EventName
from core.domain.lifecycle import Action
from core.domain.roles import Role

__all__ = [
    "AcceptanceCheck",
    "AccountabilityEvent",
    "AccountabilityKind",
    "ApprovalStep",
    "Classification",
    "DocumentTemplate",
    "FieldSpec",
    "IntakeSchema",
    "ReplyRequirements",
    "Routing",
    "Sanction",
    "SanctionKind",
    "StandardPhrase",
    "StatisticsDimension",
    "TimerEffect",
    "TimerPhase",
    "TimerRule",
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One thing intake must (or may) capture, e.g. the time and place of the event."""

    key: str
    label: str
    required: bool = True
    kinds: frozenset[CaseKind] = frozenset(CaseKind)
    identity: bool = False  # part of the complainant's identity: stored apart, masked when shown
    help: str = ""
    # A list of answers, (value, Chinese label) pairs; empty means free text. Intake refuses a
    # value outside the list and forms show the labels as a drop-down, unless `others_allowed`:
    # then the list only names the known answers (suggested while typing, printed by label) and
    # another answer is taken as typed.
    choices: tuple[tuple[str, str], ...] = ()
    others_allowed: bool = False

    def choice_label(self, value: Any) -> str | None:
        """The label of `value` among the choices, or None when it is not one of them."""
        return next((label for key, label in self.choices if key == value), None)

    def text(self, value: Any) -> str:
        """An answer as people read it: a choice by its label, yes/no as 是/否, a list joined."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list | tuple):
            return "、".join(self.text(item) for item in value)
        return self.choice_label(str(value)) or str(value)


def _blank(value: Any) -> bool:
    """Missing means absent or empty text; 0 and False are answers."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True, slots=True)
class IntakeSchema:
    """What intake must capture for one case kind."""

    fields: tuple[FieldSpec, ...] = ()
    allow_anonymous: bool = True

    def missing(self, kind: CaseKind, values: Mapping[str, Any], *, anonymous: bool) -> tuple[FieldSpec, ...]:
        """The required fields of `kind` that `values` leaves empty (identity ones only if named)."""
        return tuple(
            spec
            for spec in self.fields
            if spec.required
            and kind in spec.kinds
            and not (anonymous and spec.identity)
            and _blank(values.get(spec.key))
        )

    def off_list(self, kind: CaseKind, values: Mapping[str, Any]) -> tuple[tuple[FieldSpec, Any], ...]:
        """The answers of `kind` that are given but are not among their field's choices."""
        return tuple(
            (spec, values[spec.key])
            for spec in self.fields
            if spec.choices
            and not spec.others_allowed
            and kind in spec.kinds
            and not _blank(values.get(spec.key))
            and spec.choice_label(values[spec.key]) is None
        )

    def label_of(self, value: str) -> str:
        """The label of a choice of any field (a category is one of them), else `value` itself."""
        return next((label for spec in self.fields if (label := spec.choice_label(value))), value)


@dataclass(frozen=True, slots=True)
class AcceptanceCheck:
    """Whether a registered case meets the acceptance conditions; `unmet` is told all at once."""

    acceptable: bool
    unmet: tuple[str, ...] = ()
    basis: str = ""


@dataclass(frozen=True, slots=True)
class Classification:
    """A plugin's proposal for category, severity and complexity at registration."""

    category: str = ""
    severity: Severity = Severity.GENERAL
    complexity: Complexity = Complexity.GENERAL
    flags: frozenset[SeverityFlag] = frozenset()
    priority: int = 0  # work queues list higher first (e.g. real-name complaints investigated first)


@dataclass(frozen=True, slots=True)
class Routing:
    """The unit a case should go to, and why.

    With `binding`, the organisation's rules leave the dispatcher no choice: dispatching to
    another unit is refused, naming the rule (`reason`).
    """

    unit_code: str
    cause: str = ""
    reason: str = ""
    binding: bool = False


@dataclass(frozen=True, slots=True)
class ApprovalStep:
    """One level of the approval chain before dispatch, signed by a person holding `role`."""

    key: str
    role: Role
    label: str


@dataclass(frozen=True, slots=True)
class TimerRule:
    """A deadline a case runs against: when it starts, what stops it, how long it is.

    `starts_on=None` means at intake, counting from the case's `received_at`; otherwise from
    the moment `starts_on` is performed. A stopped timer starts afresh on `restarts_on` (a
    reopened case gets a new handling deadline). A running timer pauses on `pauses_on` and
    resumes on `resumes_on` (paused time does not count).
    """

    kind: str
    label: str
    period: Period
    basis: str
    stops_on: frozenset[Action]
    starts_on: Action | None = None
    restarts_on: frozenset[Action] = frozenset()
    pauses_on: frozenset[Action] = frozenset({Action.REQUEST_SUPPLEMENT})
    resumes_on: frozenset[Action] = frozenset({Action.SUPPLY})
    warn_ratio: float = 0.8
    extension_cap: Period | None = None  # None: this deadline cannot be extended
    negotiable: bool = False  # a date agreed with the person may replace the due date (SetDeadline)


class TimerPhase(enum.StrEnum):
    """The moment in a timer's life an effect belongs to."""

    WARNING = "warning"  # the warning point passed, due soon
    BREACH = "breach"  # the due instant passed


class TimerEffect(enum.StrEnum):
    """What happens when a timer reaches a phase (carried out by the jobs layer)."""

    REMIND = "remind"  # 催办: remind the handler and the unit head
    SUPERVISION_NOTICE = "supervision_notice"  # 督办通知单: a numbered notice to unit and supervisor
    ESCALATE = "escalate"  # raise to the next level
    ACCOUNTABILITY = "accountability"  # write an accountability event for the ledger


@dataclass(frozen=True, slots=True)
class ReplyRequirements:
    """How a case must be answered: allowed modes and the sections a written reply contains."""

    modes: frozenset[ReplyMode] = frozenset(ReplyMode)
    sections: tuple[str, ...] = ()
    basis: str = ""


@dataclass(frozen=True, slots=True)
class DocumentTemplate:
    """A printable form or reply; `body` uses `{placeholders}` from `core.domain.documents`.

    It applies to cases of its `kinds` that came by one of its `channels` (a visit record
    belongs to visits, a letter register to letters), and, where it names `after`, only once
    that has happened on the case (a hand-off notice after the referral).
    """

    key: str
    title: str
    body: str
    kinds: frozenset[CaseKind] = frozenset(CaseKind)
    channels: frozenset[Channel] = frozenset(Channel)
    after: EventName | None = None

    def applies_to(self, case: Case, happened: Collection[EventName] = ()) -> bool:
        """True when the template is meant for `case`, given the events that `happened` on it."""
        if self.after is not None and self.after not in happened:
            return False
        return case.kind in self.kinds and case.channel in self.channels


class AccountabilityKind(enum.StrEnum):
    """Something that may earn a person or a unit a sanction or a reward."""

    DEADLINE_BREACHED = "deadline_breached"  # a timer passed its due instant
    COMPLAINT_UPHELD = "complaint_upheld"  # a complaint against staff was found true
    LOSS_CAUSED = "loss_caused"  # a fault cost the organisation money (compensation paid)
    REPORT_VERIFIED = "report_verified"  # a report was verified: the reporter may be rewarded
    DUTY_MISSED = "duty_missed"  # a duty post was missed or a report not passed on
    IDENTITY_LEAKED = "identity_leaked"  # a complainant's or reporter's identity was disclosed


@dataclass(frozen=True, slots=True)
class AccountabilityEvent:
    """A fact the ledger records, for the plugin to turn into sanctions or rewards.

    `count_in_year` is how many events of this kind the subject has had this year, this one
    included (first-handler ladders depend on it).
    """

    kind: AccountabilityKind
    subject: str
    case_serial: str = ""
    count_in_year: int = 1
    amount: Decimal = Decimal("0")
    detail: str = ""
    unit_code: str = ""  # the subject's unit (the accused window, the late handling unit)
    commission: Decimal = Decimal("0")  # commission earned on the deal concerned
    responsible: tuple[str, ...] = ()  # everyone who answered for the case: owner, handler, ...


class SanctionKind(enum.StrEnum):
    """What the ledger records against (or for) a subject."""

    ADMONITION = "admonition"  # 诫勉谈话 / 效能告诫
    CRITICISM = "criticism"  # 批评教育
    CIRCULATED_CRITICISM = "circulated_criticism"  # 通报批评
    DISCIPLINARY = "disciplinary"  # 纪律处分
    POINTS_DEDUCTED = "points_deducted"  # 扣分
    WAGE_DEDUCTION = "wage_deduction"  # 扣减考核工资
    REIMBURSEMENT = "reimbursement"  # 赔偿公司损失
    COMMISSION_CLAWBACK = "commission_clawback"  # 追回提成
    REWARD = "reward"  # 奖励


@dataclass(frozen=True, slots=True)
class Sanction:
    """One ledger line: never negative; `appealable` says whether the subject may appeal.

    `subject` charges the line to someone other than the event's subject (one of its
    `responsible`, or the accused unit); empty means the event's subject.
    """

    kind: SanctionKind
    basis: str
    points: int = 0
    amount: Decimal = Decimal("0")
    appealable: bool = True
    note: str = ""
    subject: str = ""


@dataclass(frozen=True, slots=True)
class StandardPhrase:
    """A scripted sentence offered to the operator at a step (`step=None`: any time)."""

    key: str
    text: str
    step: Action | None = None


@dataclass(frozen=True, slots=True)
class StatisticsDimension:
    """A way to break monthly statistics down: by a case attribute or an intake field."""

    key: str
    label: str
    attribute: str
