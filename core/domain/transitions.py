"""Deciding a transition: the lifecycle table, the core guards, and the changed case.

`decide` is the single place a case changes state. The services call it inside one tenant
transaction after asking the tenant's plugin for its vetoes and approval chain.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from core.domain.cases import Case
from core.domain.commands import (
    ApproveCase,
    CaseCommand,
    DispatchCase,
    ExtendCase,
    FollowUp,
    RecordFeedback,
    RecordInvestigation,
    RegisterCase,
    RejectCase,
    ReopenCase,
    ReplyMode,
    ReplyToCase,
    ReturnCase,
    SignForCase,
    SubmitForApproval,
    SupplyMaterial,
)
from core.domain.decisions import ApprovalStep, ReplyRequirements
from core.domain.errors import RuleViolation
from core.domain.events import CaseEvent
from core.domain.lifecycle import Action, next_state
from core.domain.roles import Actor

__all__ = ["CLASSIFICATION", "Decision", "decide", "missing_sections", "pending_approvals", "refusal"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a command: the case after it and the event that records it."""

    case: Case
    event: CaseEvent


CLASSIFICATION = ("category", "severity", "complexity", "flags")
"""The case fields that say what kind of case it is: set at intake (and by the plugin's
classification hook), changed only by a register step that names them."""


def pending_approvals(case: Case, chain: tuple[ApprovalStep, ...]) -> tuple[ApprovalStep, ...]:
    """The steps of `chain` the case still lacks, in order."""
    return tuple(step for step in chain if step.key not in case.approvals)


def refusal(case: Case, action: Action, actor: Actor, chain: tuple[ApprovalStep, ...]) -> str | None:
    """Why the core refuses `action` on `case` by `actor` whatever the payload says, or None.

    The guards that depend on where the case stands (its approvals, its unit), not on what is
    sent: `decide` applies them, and the actions offered to a person leave out every action
    they refuse, so nothing is offered that would then be refused.
    """
    waiting = pending_approvals(case, chain)
    match action:
        case Action.APPROVE if not waiting:
            return "审批已全部完成，无需再次签批 (no approval is pending)"
        case Action.APPROVE if waiting[0].role not in actor.roles:
            return f"当前审批环节“{waiting[0].label}”须由{waiting[0].role.label}签批"
        case Action.SUBMIT_FOR_APPROVAL if not chain:
            return "本案无需审批，可直接转办 (no approval chain for this case)"
        case Action.DISPATCH if waiting:
            return f"尚未完成审批，不能转办：待“{waiting[0].label}”签批"
        case Action.REOPEN if case.unit_code is None:
            return "该案件没有承办单位，不能重办；请重新登记 (no unit to reopen with)"
    return None


def _changes(
    case: Case, command: CaseCommand, actor: Actor, chain: tuple[ApprovalStep, ...]
) -> dict[str, Any]:
    """The fields `command` sets on `case`, after the core guards that depend on the command."""
    match command:
        case RegisterCase():
            given = {name: getattr(command, name) for name in CLASSIFICATION}
            return {name: value for name, value in given.items() if value is not None}
        case ApproveCase():
            return {"approvals": (*case.approvals, pending_approvals(case, chain)[0].key)}
        case SubmitForApproval():
            return {"approvals": ()}
        case RejectCase():
            return {"approvals": ()}
        case DispatchCase():
            return {
                "unit_code": command.unit_code,
                "cause": command.cause,
                "opinion": command.opinion,
                "handler": None,
            }
        case SignForCase():
            return {"handler": command.handler}
        case ReturnCase():
            return {"unit_code": None, "handler": None}
        case ReplyToCase():
            return {"reply_mode": command.mode.value, "reply_content": command.content}
        case RecordFeedback():
            return {"satisfaction": command.satisfaction}
        case SupplyMaterial() if command.fields:
            return {"fields": MappingProxyType({**case.fields, **command.fields})}
        case ExtendCase():
            return {"extensions": case.extensions + 1}
        case RecordInvestigation():
            return {"investigations": case.investigations + 1}
        case FollowUp():
            return {"verified": case.verified or command.verified}
        case ReopenCase():
            return {"satisfaction": None, "reply_mode": "", "reply_content": "", "verified": False}
    return {}


_SECTION_MARK = "(?:【{0}】|{0}\\s*[：:])"


def missing_sections(content: str, sections: Sequence[str]) -> tuple[str, ...]:
    """The sections `content` does not state: not headed (``责任认定：…`` or ``【责任认定】…``) or empty."""
    marks = []
    for section in sections:
        match = re.search(_SECTION_MARK.format(re.escape(section)), content)
        if match:
            marks.append((match.start(), match.end(), section))
    marks.sort()
    stated = set()
    for i, (_, end, section) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(content)
        if content[end:stop].strip(" \t\r\n；;。."):
            stated.add(section)
    return tuple(section for section in sections if section not in stated)


def _check_reply(command: CaseCommand, requirements: ReplyRequirements | None) -> None:
    if not isinstance(command, ReplyToCase) or requirements is None:
        return
    basis = f"（依据：{requirements.basis}）" if requirements.basis else ""
    if command.mode not in requirements.modes:
        allowed = "、".join(sorted(mode.value for mode in requirements.modes))
        raise RuleViolation(f"本案不能以“{command.mode.value}”方式答复，可用方式：{allowed}{basis}")
    # A written answer is the record the person keeps: it must state every section the rules name.
    missing = (
        missing_sections(command.content, requirements.sections) if command.mode is ReplyMode.WRITTEN else ()
    )
    if missing:
        example = "；".join(f"{section}：……" for section in requirements.sections)
        raise RuleViolation(
            f"书面答复缺少：{'、'.join(missing)}。书面答复须写明{'、'.join(requirements.sections)}，"
            f"格式如“{example}”{basis}"
        )


def decide(
    case: Case,
    command: CaseCommand,
    *,
    actor: Actor,
    now: datetime,
    approval_chain: tuple[ApprovalStep, ...] = (),
    reply_requirements: ReplyRequirements | None = None,
) -> Decision:
    """Apply `command` to `case`.

    Raises:
        IllegalTransition: the lifecycle table has no such edge.
        RuleViolation: a core guard refused (approval incomplete, wrong approver, reply mode).
    """
    to_state = next_state(case.state, command.action)
    reason = refusal(case, command.action, actor, approval_chain)
    if reason:
        raise RuleViolation(reason)
    _check_reply(command, reply_requirements)
    changes = _changes(case, command, actor, approval_chain)
    updated = dataclasses.replace(case, state=to_state, version=case.version + 1, **changes)
    payload = {
        f.name: _plain(getattr(command, f.name)) for f in dataclasses.fields(command) if f.name != "action"
    }
    reclassified = {
        name: {"from": _plain(getattr(case, name)), "to": _plain(value)}
        for name, value in changes.items()
        if name in CLASSIFICATION and getattr(case, name) != value
    }
    if reclassified:  # who changed it is the event's actor, when its instant
        payload["reclassified"] = reclassified
    event = CaseEvent(
        name=command.action.event_name,
        at=now,
        actor=actor.username,
        from_state=case.state,
        to_state=to_state,
        action=command.action.value,
        data=MappingProxyType(payload),
    )
    return Decision(case=updated, event=event)


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a command field for the event record."""
    if isinstance(value, frozenset):  # no order of its own: sorted, so records are stable
        return sorted(_plain(item) for item in value)
    if isinstance(value, tuple):  # the order given (investigators, items to supplement) is kept
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
