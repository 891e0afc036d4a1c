"""Case events: the append-only record every transition writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from core.domain.cases import CaseState

__all__ = ["ATTACHMENT_ADDED", "CASE_RECEIVED", "CaseEvent"]

CASE_RECEIVED = "case_received"
"""The event intake writes; lifecycle events are named after their action (`Action.event_name`)."""

ATTACHMENT_ADDED = "case_attachment_added"
"""A file was added to a case; the state does not change."""


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
