"""Labels the pages show: the domain's Chinese names of its values, and the forms' field names."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from core.domain import sla
from core.domain.cases import Complexity, Satisfaction, Severity, SeverityFlag
from core.domain.commands import FIELD_LABELS, DispatchMode, Outcome, ReplyMode

__all__ = [
    "FIELD_LABELS",
    "SATISFACTION_LABELS",
    "TIMER_STATE_LABELS",
    "countdown",
    "local_time",
    "urgency",
]


def _labels(values: type[enum.Enum]) -> dict[str, str]:
    return {member.value: member.label for member in values}


SATISFACTION_LABELS = _labels(Satisfaction)
TIMER_STATE_LABELS = _labels(sla.TimerState)


CHOICE_LABELS = {
    "severity": _labels(Severity),
    "complexity": _labels(Complexity),
    "flags": _labels(SeverityFlag),
    "satisfaction": SATISFACTION_LABELS,
    "outcome": _labels(Outcome),
    "mode": _labels(ReplyMode) | _labels(DispatchMode),
}
"""The domain's Chinese names of each choice an action form offers."""


def local_time(value: datetime | None, zone) -> str:
    """An instant in the tenant's zone, as people write it."""
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def countdown(seconds: int) -> str:
    """Remaining time in words: 2天3小时, 45分钟, 超期1天2小时."""
    late = seconds < 0
    left = timedelta(seconds=abs(seconds))
    days, rest = left.days, left.seconds
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        text = f"{days}天{hours}小时"
    elif hours:
        text = f"{hours}小时{minutes}分钟"
    else:
        text = f"{minutes}分钟"
    return f"超期{text}" if late else text


def urgency(timer: sla.Timer, now: datetime) -> str:
    """A CSS class for a timer: overdue, warning (past the reminder point), ok or done."""
    if timer.state is sla.TimerState.STOPPED:
        return "done"
    if sla.is_overdue(timer, now):
        return "overdue"
    if timer.state is sla.TimerState.RUNNING and now >= timer.warn_at:
        return "warning"
    return "ok"
