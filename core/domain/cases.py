"""Cases and what they are made of: kinds, channels, severity, states and the case snapshot."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

__all__ = [
    "Case",
    "CaseKind",
    "CaseState",
    "Channel",
    "Complexity",
    "Satisfaction",
    "Severity",
    "SeverityFlag",
    "case_serial",
]


class CaseKind(enum.StrEnum):
    """What the person asks of the organisation."""

    COMPLAINT = "complaint"  # 投诉: the person's own rights or interests were harmed
    REPORT = "report"  # 举报: a violation is reported, whoever was harmed
    CONSULTATION = "consultation"  # 咨询: a question about rules, laws or services

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _KIND_LABELS[self]


_KIND_LABELS = {CaseKind.COMPLAINT: "投诉", CaseKind.REPORT: "举报", CaseKind.CONSULTATION: "咨询"}


class Channel(enum.StrEnum):
    """How the case reached the organisation."""

    PHONE = "phone"  # 电话 (hotline included)
    LETTER = "letter"  # 来信
    VISIT = "visit"  # 来访, in person
    EMAIL = "email"  # 电子邮件
    WEB = "web"  # 网上 (portal, internet)
    BOX = "box"  # 投诉箱 / opinion book
    FAX = "fax"  # 传真
    REFERRAL = "referral"  # 上级交办或其他机关转来: handed down by superiors or passed on by another body

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS = {
    Channel.PHONE: "电话",
    Channel.LETTER: "来信",
    Channel.VISIT: "来访",
    Channel.EMAIL: "电子邮件",
    Channel.WEB: "网上",
    Channel.BOX: "投诉箱",
    Channel.FAX: "传真",
    Channel.REFERRAL: "上级交办/转来",
}


class Severity(enum.StrEnum):
    """How grave the matter is, as classified at registration."""

    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 较重
    MAJOR = "major"  # 重大: reported to the head at once

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return {"general": "一般", "serious": "较重", "major": "重大"}[self.value]


class SeverityFlag(enum.StrEnum):
    """Marks that make a case reportable to the head at once (重大、严重、突发性、群体性)."""

    MAJOR = "major"  # 重大
    SERIOUS = "serious"  # 严重
    SUDDEN = "sudden"  # 突发性
    MASS = "mass"  # 群体性: many people involved

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return {"major": "重大", "serious": "严重", "sudden": "突发性", "mass": "群体性"}[self.value]


class Complexity(enum.StrEnum):
    """How hard a case is to settle; plugins give complex cases longer deadlines."""

    GENERAL = "general"  # 一般性
    COMPLEX = "complex"  # 比较复杂疑难

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return {"general": "一般", "complex": "复杂疑难"}[self.value]


class Satisfaction(enum.StrEnum):
    """The complainant's verdict on the answer."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    UNREACHABLE = "unreachable"  # 无法联系: no verdict could be had

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return {
            "satisfied": "满意",
            "basically_satisfied": "基本满意",
            "dissatisfied": "不满意",
            "unreachable": "无法联系",
        }[self.value]


class CaseState(enum.StrEnum):
    """Where a case stands in its lifecycle (see `core.domain.lifecycle`)."""

    RECEIVED = "received"  # 接收: taken in, not yet registered
    REGISTERED = "registered"  # 登记: numbered and classified
    AWAITING_SUPPLEMENT = "awaiting_supplement"  # 待补正: waiting for the person's missing material
    ACCEPTED = "accepted"  # 受理
    REFUSED = "refused"  # 不予受理, with a reason
    REFERRED_OUT = "referred_out"  # 告知/移送其他机关: not ours, sent to the competent body
    PENDING_APPROVAL = "pending_approval"  # 待审批: waiting for the approval chain
    DISPATCHED = "dispatched"  # 已转办: sent to a handling unit, not yet signed for
    IN_HANDLING = "in_handling"  # 承办中: a handling unit signed for it
    RETURNED = "returned"  # 退信: the unit sent it back as misrouted
    REPLIED = "replied"  # 已答复
    FEEDBACK = "feedback"  # 已反馈: the person's satisfaction is recorded
    CLOSED = "closed"  # 办结
    ARCHIVED = "archived"  # 归档

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        """True while the organisation still owes the person something."""
        return self not in (CaseState.CLOSED, CaseState.ARCHIVED)


_STATE_LABELS = {
    CaseState.RECEIVED: "已接收",
    CaseState.REGISTERED: "已登记",
    CaseState.AWAITING_SUPPLEMENT: "待补正",
    CaseState.ACCEPTED: "已受理",
    CaseState.REFUSED: "不予受理",
    CaseState.REFERRED_OUT: "已移送",
    CaseState.PENDING_APPROVAL: "待审批",
    CaseState.DISPATCHED: "已转办",
    CaseState.IN_HANDLING: "承办中",
    CaseState.RETURNED: "已退信",
    CaseState.REPLIED: "已答复",
    CaseState.FEEDBACK: "已反馈",
    CaseState.CLOSED: "已办结",
    CaseState.ARCHIVED: "已归档",
}


def case_serial(prefix: str, year: int, number: int) -> str:
    """A case's unified serial: the tenant's prefix, the year and the year's number, e.g. NX-2026-000042."""
    return f"{prefix}-{year}-{number:06d}"


def _frozen(mapping: dict[str, Any] | None) -> MappingProxyType[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Case:
    """An immutable snapshot of one case, as hooks and domain rules see it.

    The complainant's identity is not part of it: it lives apart (see docs/architecture.md,
    "Confidentiality and the record") and only `anonymous` tells whether there is one.
    """

    id: int | None
    tenant_id: int
    serial: str
    kind: CaseKind
    channel: Channel
    state: CaseState
    title: str
    content: str
    received_at: datetime
    severity: Severity = Severity.GENERAL
    flags: frozenset[SeverityFlag] = frozenset()
    complexity: Complexity = Complexity.GENERAL
    category: str = ""
    anonymous: bool = False
    unit_code: str | None = None
    handler: str | None = None
    cause: str = ""
    opinion: str = ""
    reply_mode: str = ""
    reply_content: str = ""
    satisfaction: Satisfaction | None = None
    approvals: tuple[str, ...] = ()
    extensions: int = 0
    investigations: int = 0  # investigation records 调查笔录 on file (plugins may require one)
    verified: bool = False  # 跟: a follow-up confirmed how the case was dealt with
    owner: str = ""  # 首问/首办责任人: who first took the case in and answers for its tracking
    priority: int = 0  # from the plugin's classification: queues list higher first
    version: int = 0
    fields: MappingProxyType[str, Any] = field(default_factory=lambda: _frozen(None))

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        if not isinstance(self.fields, MappingProxyType):
            object.__setattr__(self, "fields", _frozen(self.fields))
