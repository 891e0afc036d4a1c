"""Chinese words for values the domain names in English (presentation only, no rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain import sla
from core.domain.cases import Satisfaction

__all__ = [
    "FIELD_LABELS",
    "SATISFACTION_LABELS",
    "TIMER_STATE_LABELS",
    "countdown",
    "local_time",
    "urgency",
]

SATISFACTION_LABELS = {
    Satisfaction.SATISFIED.value: "满意",
    Satisfaction.BASICALLY_SATISFIED.value: "基本满意",
    Satisfaction.DISSATISFIED.value: "不满意",
    Satisfaction.UNREACHABLE.value: "无法联系",
}

TIMER_STATE_LABELS = {
    sla.TimerState.RUNNING.value: "计时中",
    sla.TimerState.PAUSED.value: "已暂停",
    sla.TimerState.STOPPED.value: "已结束",
    sla.TimerState.BREACHED.value: "已超期",
}

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
}

CHOICE_LABELS = {
    "severity": {"general": "一般", "serious": "较重", "major": "重大"},
    "complexity": {"general": "一般性", "complex": "比较复杂疑难"},
    "flags": {"major": "重大", "serious": "严重", "sudden": "突发性", "mass": "群体性"},
    "satisfaction": SATISFACTION_LABELS,
    "outcome": {
        "upheld": "投诉属实",
        "not_upheld": "投诉不属实",
        "verified": "举报查实",
        "unverified": "查无实据",
        "answered": "咨询已解答",
    },
    "mode": {
        "written": "书面答复",
        "in_person": "当面答复",
        "phone": "电话答复",
        "sms": "短信",
        "email": "电子邮件",
        "online": "网上答复",
        "on_the_spot": "当场答复",
        "public_notice": "定期公布",
        "self": "自办",
        "transfer": "转办",
        "assign": "交办",
        "divert": "分流",
    },
}


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
