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
from core.domain.masking import IDENTITY_KEYS
from core.domain.text import LIMITS, LONG_TEXT, text_problem

__all__ = ["IntakeDraft", "check_intake", "identity_problems", "text_problems"]


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
        InvalidCommand: listing every missing field, every answer outside its field's choices
            and any bad `received_at`.
    """
    missing: list[str] = []
    if not draft.title.strip():
        missing.append("标题")
    if not draft.content.strip():
        missing.append("内容")
    values = {**draft.fields, **draft.identity}
    missing += [spec.label for spec in schema.missing(draft.kind, values, anonymous=draft.anonymous)]
    problems: list[tuple[str, str]] = []
    if missing:
        problems.append(("fields", f"请补充以下必填内容：{'、'.join(missing)}"))
    for spec, value in schema.off_list(draft.kind, values):
        allowed = "、".join(f"{label}（{key}）" for key, label in spec.choices)
        problems.append((spec.key, f"{spec.label}只能选择：{allowed}；收到“{value}”"))
    if draft.anonymous and not schema.allow_anonymous:
        problems.append(("anonymous", "本单位不受理匿名案件，请留下姓名和联系方式"))
    received_at = draft.received_at or now
    if received_at.tzinfo is None:
        problems.append(("received_at", "收件时间须带时区，如 2026-09-30T10:00:00+08:00"))
    elif received_at > now:
        problems.append(("received_at", "收件时间不能晚于当前时间 (received_at is in the future)"))
    elif now - received_at > max_backdate:
        problems.append(
            ("received_at", f"收件时间早于允许补登的期限（{max_backdate.days} 日），请核实后由管理员处理")
        )
    problems += identity_problems(draft, schema)
    problems += text_problems(draft, schema)
    if problems:
        raise InvalidCommand("；".join(message for _, message in problems), field=problems[0][0])
    return received_at


def identity_problems(draft: IntakeDraft, schema: IntakeSchema) -> list[tuple[str, str]]:
    """Identity where it does not belong: a detail nobody declared, or one given as a field.

    Under `identity` go the complainant's usual details (`IDENTITY_KEYS`) and what the plugin
    declares as identity; a detail of the person given among the `fields` would be stored in
    clear and shown to every reader, so it is refused, named, never taken silently.
    """
    declared = {spec.key for spec in schema.fields if spec.identity and draft.kind in spec.kinds}
    plain = {spec.key for spec in schema.fields if not spec.identity and draft.kind in spec.kinds}
    allowed = IDENTITY_KEYS | declared
    problems = [
        (key, f"身份信息“{key}”不是本单位登记的项目；可填：{'、'.join(sorted(allowed))}")
        for key in draft.identity
        if key not in allowed
    ]
    problems += [
        (key, f"“{key}”是投诉人身份信息，须放在 identity 中另行保密登记，不能作为普通登记项")
        for key in draft.fields
        if (key in IDENTITY_KEYS or key in declared) and key not in plain
    ]
    return problems


def text_problems(draft: IntakeDraft, schema: IntakeSchema) -> list[tuple[str, str]]:
    """Text the store cannot hold, (field, what is wrong): control characters, or too long."""
    labels = {spec.key: spec.label for spec in schema.fields}
    texts = [("title", "标题", draft.title, LIMITS["title"]), ("content", "内容", draft.content, LONG_TEXT)]
    texts += [
        (key, labels.get(key, key), str(value), LIMITS["answer"])
        for key, value in {**draft.fields, **draft.identity}.items()
        if isinstance(value, str)
    ]
    found = ((field, text_problem(label, value, limit)) for field, label, value, limit in texts)
    return [(field, problem) for field, problem in found if problem]
