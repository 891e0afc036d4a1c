"""Intake: what a new case must carry before the core will number it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from core.domain.cases import CaseKind, Channel
from core.domain.decisions import IntakeSchema
from core.domain.errors import InvalidCommand

__all__ = ["IntakeDraft", "check_intake"]


@dataclass(frozen=True, slots=True)
class IntakeDraft:
    """A case as the intake officer (or the person, on the portal) filled it in.

    `received_at` is when the organisation really received it — a letter opened or a call
    logged later still counts from then. `identity` (name, phone, address, ...) is kept apart
    from the case; `fields` holds the rest of the plugin's intake fields.
    """

    kind: CaseKind
    channel: Channel
    title: str
    content: str
    received_at: datetime | None = None
    anonymous: bool = False
    identity: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def check_intake(
    draft: IntakeDraft, schema: IntakeSchema, *, now: datetime, max_backdate: timedelta
) -> datetime:
    """Validate a draft against the tenant's schema and return the instant its deadlines count from.

    Every problem is reported at once (一次性告知), not one per attempt.

    Raises:
        InvalidCommand: listing every missing field and any bad `received_at`.
    """
    problems: list[str] = []
    if not draft.title.strip():
        problems.append("标题")
    if not draft.content.strip():
        problems.append("内容")
    if draft.anonymous and not schema.allow_anonymous:
        raise InvalidCommand("本单位不受理匿名案件，请留下姓名和联系方式", field="anonymous")
    values = {**draft.fields, **draft.identity}
    problems += [spec.label for spec in schema.missing(draft.kind, values, anonymous=draft.anonymous)]
    if problems:
        raise InvalidCommand(f"请补充以下必填内容：{'、'.join(problems)}", field="fields")
    received_at = draft.received_at or now
    if received_at.tzinfo is None:
        raise InvalidCommand("收件时间须带时区，如 2026-09-30T10:00:00+08:00", field="received_at")
    if received_at > now:
        raise InvalidCommand("收件时间不能晚于当前时间 (received_at is in the future)", field="received_at")
    if now - received_at > max_backdate:
        raise InvalidCommand(
            f"收件时间早于允许补登的期限（{max_backdate.days} 日），请核实后由管理员处理",
            field="received_at",
        )
    return received_at
