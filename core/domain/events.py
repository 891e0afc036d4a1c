"""Case events: the append-only record every transition writes, and the one vocabulary of them.

Every event name the platform writes is a member of `EventName`, with the words staff read on the
timeline, the archive and exports (`label`) and, when the public portal shows it to the person
who filed the case, the words they read there (`portal_label`) and what of its data they may see
(`portal_fields`). Nothing else spells an event name or its label.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from core.domain.cases import CaseState

__all__ = ["CaseEvent", "EventName", "event_label", "on_portal"]


class EventName(enum.StrEnum):
    """The name of every event written to a case's chain."""

    # written by intake, the material desk and the public portal
    RECEIVED = "case_received"
    ATTACHMENT_ADDED = "case_attachment_added"
    COMPLAINANT_MESSAGE = "case_complainant_message"
    # one per lifecycle action (`Action.event_name`), named in the past tense
    REGISTERED = "case_registered"
    ACCEPTED = "case_accepted"
    REFUSED = "case_refused"
    REFERRED_OUT = "case_referred_out"
    SUPPLEMENT_REQUESTED = "case_supplement_requested"
    SUPPLIED = "case_supplied"
    SUBMITTED_FOR_APPROVAL = "case_submitted_for_approval"
    APPROVED = "case_approved"
    REJECTED = "case_rejected"
    DISPATCHED = "case_dispatched"
    SIGNED_FOR = "case_signed_for"
    RETURNED = "case_returned"
    REPLIED = "case_replied"
    FEEDBACK_RECORDED = "case_feedback_recorded"
    CLOSED = "case_closed"
    ARCHIVED = "case_archived"
    EXTENSION_REQUESTED = "case_extension_requested"
    EXTENDED = "case_extended"
    ESCALATED = "case_escalated"  # a person raised the case to the next level (the action)
    INSTRUCTED = "case_instructed"
    ARRIVED_ON_SITE = "case_arrived_on_site"
    FOLLOWED_UP = "case_followed_up"
    REOPENED = "case_reopened"
    INVESTIGATED = "case_investigated"
    DEADLINE_SET = "case_deadline_set"
    REMEDY_ORDERED = "case_remedy_ordered"
    REMEDY_CONFIRMED = "case_remedy_confirmed"
    # written by the platform itself
    AUTO_ESCALATED = "case_auto_escalated"  # the heads were told without anyone asking: a plugin's
    # at-once rule at intake, or a deadline breached
    REMINDED = "case_reminded"
    SUPERVISION_NOTICE_ISSUED = "case_supervision_notice_issued"
    DEADLINE_RECOMPUTED = "case_deadline_recomputed"
    DOCUMENT_ISSUED = "case_document_issued"
    ACCOUNTABILITY_RECORDED = "case_accountability_recorded"
    IDENTITY_REVEALED = "case_identity_revealed"
    IDENTITY_PURGED = "case_identity_purged"

    @property
    def label(self) -> str:
        """What staff read of it (timeline, archive bundle, exports)."""
        return _WORDS[self].label

    @property
    def portal_label(self) -> str | None:
        """What the person who filed the case reads of it on the portal; None: not shown there."""
        return _WORDS[self].portal

    @property
    def portal_fields(self) -> tuple[str, ...]:
        """The keys of its data the portal may show (reasons told to the person, never notes)."""
        return _WORDS[self].portal_fields


class _Words(NamedTuple):
    label: str
    portal: str | None = None
    portal_fields: tuple[str, ...] = ()


_WORDS = {
    EventName.RECEIVED: _Words("接收", "已收到"),
    EventName.ATTACHMENT_ADDED: _Words("添加材料", "已补充材料"),
    EventName.COMPLAINANT_MESSAGE: _Words("投诉人补充说明", "已补充说明"),
    EventName.REGISTERED: _Words("登记"),
    EventName.ACCEPTED: _Words("受理", "已受理"),
    EventName.REFUSED: _Words("不予受理", "不予受理", ("reason",)),
    EventName.REFERRED_OUT: _Words("移送其他机关", "已告知向有权机关反映", ("agency",)),
    EventName.SUPPLEMENT_REQUESTED: _Words("要求补正", "请补充材料", ("items",)),
    EventName.SUPPLIED: _Words("补正材料"),
    EventName.SUBMITTED_FOR_APPROVAL: _Words("呈报审批"),
    EventName.APPROVED: _Words("审批同意"),
    EventName.REJECTED: _Words("审批退回"),
    EventName.DISPATCHED: _Words("转办", "已转有关单位办理"),
    EventName.SIGNED_FOR: _Words("签收"),
    EventName.RETURNED: _Words("退信"),
    EventName.REPLIED: _Words("答复", "已答复"),
    EventName.FEEDBACK_RECORDED: _Words("反馈", "已评价"),
    EventName.CLOSED: _Words("办结", "已办结"),
    EventName.ARCHIVED: _Words("归档"),
    EventName.EXTENSION_REQUESTED: _Words("申请延期"),
    EventName.EXTENDED: _Words("延期", "办理期限已延长", ("reason",)),
    EventName.ESCALATED: _Words("督办升级"),
    EventName.INSTRUCTED: _Words("领导批示"),
    EventName.ARRIVED_ON_SITE: _Words("到达现场"),
    EventName.FOLLOWED_UP: _Words("跟踪核实"),
    EventName.REOPENED: _Words("重办", "重新办理"),
    EventName.INVESTIGATED: _Words("调查取证"),
    EventName.DEADLINE_SET: _Words("约定办理期限"),
    EventName.REMEDY_ORDERED: _Words("责令整改"),
    EventName.REMEDY_CONFIRMED: _Words("整改验收"),
    EventName.AUTO_ESCALATED: _Words("自动督办升级"),
    EventName.REMINDED: _Words("催办"),
    EventName.SUPERVISION_NOTICE_ISSUED: _Words("发出督办通知单"),
    EventName.DEADLINE_RECOMPUTED: _Words("期限重新计算"),
    EventName.DOCUMENT_ISSUED: _Words("出具文书"),
    EventName.ACCOUNTABILITY_RECORDED: _Words("记录责任追究"),
    EventName.IDENTITY_REVEALED: _Words("查阅身份原文"),
    EventName.IDENTITY_PURGED: _Words("清除身份信息"),
}


def event_label(name: str) -> str:
    """The staff label of a stored event name; a name this build does not know reads as itself."""
    try:
        return EventName(name).label
    except ValueError:
        return name


def on_portal(name: str) -> EventName | None:
    """The event behind a stored name when the portal shows it to the person who filed the case."""
    try:
        known = EventName(name)
    except ValueError:
        return None
    return known if known.portal_label else None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One thing that happened to a case. Never changed once written."""

    name: str
    at: datetime
    actor: str
    from_state: CaseState | None
    to_state: CaseState
    action: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
