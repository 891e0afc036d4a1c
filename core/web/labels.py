"""Labels the pages show: the domain's Chinese names of its values, and the forms' field names."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from core.domain import sla
from core.domain.cases import Complexity, Satisfaction, Severity, SeverityFlag
from core.domain.commands import DispatchMode, Outcome, ReplyMode

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

# Command fields, as the action forms label them.
FIELD_LABELS = {
    "category": "类别",
    "severity": "严重程度",
    "complexity": "复杂程度",
    "flags": "特别标记",
    "note": "备注",
    "reason": "理由",
    "agency": "有权处理的机关",
    "items": "需补正的材料（每行一项）",
    "opinion": "意见",
    "unit_code": "承办单位",
    "cause": "案由",
    "mode": "方式",
    "handler": "签收人",
    "content": "答复内容",
    "satisfaction": "满意度",
    "summary": "办理结果摘要",
    "outcome": "办理结论",
    "respondent": "被投诉人（承担责任的人员或单位）",
    "amount": "涉及金额（元）",
    "period": "期限（如 5 working days、10 days、2 hours）",
    "timer": "期限种类（可不填）",
    "instruction": "批示内容",
    "verified": "已核实",
    "investigators": "调查人员（每行一人，至少两人）",
    "interviewee": "被调查人",
    "place": "调查地点",
    "findings": "调查情况",
    "signed": "笔录已由被调查人签名",
    "accused": "被责令整改的单位",
    "measures": "整改措施",
    "due_on": "日期（如 2026-12-31）",
    "respondent_unit": "被投诉人所在单位代码",
    "commission": "涉及提成（元）",
    "referred_to": "移交处理的部门",
}

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
