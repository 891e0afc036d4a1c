"""SLA timers: start, pause, resume, extend, stop and the questions a scheduler asks of them.

A `Timer` is a frozen value; every move returns a new one. Paused time does not count: on
resume the due and warning instants move later by the paused duration (whole seconds, so
``due_at`` stays exactly the original due plus ``paused_seconds`` plus extensions).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from core.domain.calendar import BusinessCalendar, Period, PeriodUnit, require_aware
from core.domain.errors import InvalidCommand

if TYPE_CHECKING:
    from core.domain.decisions import TimerRule
    from core.domain.lifecycle import Action

__all__ = [
    "Timer",
    "TimerState",
    "breach",
    "due_phases",
    "extend",
    "is_due_for_warning",
    "is_overdue",
    "next_timer",
    "pause",
    "remaining",
    "resume",
    "start_timer",
    "stop",
]


class TimerState(enum.StrEnum):
    """Where a timer is in its life."""

    RUNNING = "running"  # counting down towards due_at
    PAUSED = "paused"  # clock stopped (e.g. waiting for the person's material); resumes later
    STOPPED = "stopped"  # finished: the step it measured is done; nothing more may happen
    BREACHED = "breached"  # due_at passed while running; escalation has been triggered

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    TimerState.RUNNING: "计时中",
    TimerState.PAUSED: "已暂停",
    TimerState.STOPPED: "已结束",
    TimerState.BREACHED: "已超期",
}


@dataclass(frozen=True, slots=True)
class Timer:
    """One deadline being watched for a case.

    Attributes:
        kind: What is timed, e.g. "acceptance" or "reply".
        started_at: The trigger instant, in the tenant's zone.
        due_at: When the time is up (shifted by pauses and extensions).
        warn_at: When to send the reminder 催办.
        state: Where the timer is in its life.
        basis: Why this deadline applies, for people to read.
        provisional: True when holiday data was missing for a year the deadline depends on.
        period: The period originally granted.
        paused_at: When the current pause began; None unless paused.
        paused_seconds: Total whole seconds spent paused so far.
        extended: Amount of extension already granted, in the cap's unit.
        stopped_at: When the timer was stopped; None unless stopped.
    """

    kind: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    state: TimerState
    basis: str
    provisional: bool
    period: Period
    paused_at: datetime | None = None
    paused_seconds: int = 0
    extended: int = 0
    stopped_at: datetime | None = None


def start_timer(
    kind: str,
    start: datetime,
    period: Period,
    calendar: BusinessCalendar,
    *,
    basis: str,
    warn_ratio: float = 0.8,
) -> Timer:
    """Start a running timer whose deadline is `start` + `period` on the tenant's calendar.

    Args:
        kind: What is timed.
        start: Timezone-aware trigger instant.
        period: The time allowed.
        calendar: The tenant's business calendar.
        basis: Why this deadline applies.
        warn_ratio: Share of the allowed time after which the reminder is due, in (0, 1].

    Returns:
        The running timer.

    Raises:
        InvalidCommand: If `kind` is empty, `start` is naive or `warn_ratio` is out of range.
    """
    if not kind:
        raise InvalidCommand("计时类型不能为空 (timer kind is required)", field="kind")
    if not 0 < warn_ratio <= 1:
        raise InvalidCommand(
            f"提醒比例应在 0 到 1 之间，收到 {warn_ratio} (warn_ratio out of range)", field="warn_ratio"
        )
    deadline = calendar.add(start, period, basis=basis)
    started_at = start.astimezone(deadline.due_at.tzinfo)
    warn_at = _shift(started_at, (deadline.due_at - started_at) * warn_ratio)
    return Timer(
        kind=kind,
        started_at=started_at,
        due_at=deadline.due_at,
        warn_at=warn_at,
        state=TimerState.RUNNING,
        basis=basis,
        provisional=deadline.provisional,
        period=period,
    )


def end_of_local_day(day: date, calendar: BusinessCalendar) -> datetime:
    """23:59:59 local on `day`: where a deadline named by a date ends."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=calendar.policy.zone)


def start_timer_until(
    kind: str,
    start: datetime,
    due_on: date,
    calendar: BusinessCalendar,
    *,
    basis: str,
    warn_ratio: float = 0.8,
) -> Timer:
    """Start a running timer due at the end of a date someone set (an order's deadline).

    Raises:
        InvalidCommand: `due_on` is before the local day of `start`.
    """
    require_aware(start, "start")
    due_at = end_of_local_day(due_on, calendar)
    local_start = start.astimezone(calendar.policy.zone)
    if due_at <= local_start:
        raise InvalidCommand(f"期限日期 {due_on} 已过，请填写今天或以后的日期", field="due_on")
    days = max((due_on - local_start.date()).days, 1)
    return Timer(
        kind=kind,
        started_at=local_start,
        due_at=due_at,
        warn_at=_shift(local_start, (due_at - local_start) * warn_ratio),
        state=TimerState.RUNNING,
        basis=basis,
        provisional=False,
        period=Period(days, PeriodUnit.CALENDAR_DAYS),
    )


def reschedule(timer: Timer, due_on: date, calendar: BusinessCalendar, now: datetime) -> Timer:
    """约定期限: a running timer's due becomes the end of `due_on`, a date agreed with the person.

    The reminder keeps its lead: it falls at the same share of the time left as before.

    Raises:
        InvalidCommand: the timer is not running, or `due_on` is already past.
    """
    _require_state(timer, "约定期限", "reschedule", TimerState.RUNNING)
    due_at = end_of_local_day(due_on, calendar)
    if due_at <= now:
        raise InvalidCommand(f"约定日期 {due_on} 已过，请填写今天或以后的日期", field="due_on")
    allowed = timer.due_at - timer.started_at
    share = (timer.warn_at - timer.started_at) / allowed if allowed > timedelta(0) else 0.8
    return replace(
        timer,
        due_at=due_at,
        warn_at=_shift(now, (due_at - now) * min(max(share, 0.0), 1.0)),
        provisional=False,
    )


def pause(timer: Timer, now: datetime) -> Timer:
    """Stop the clock of a running timer at `now`."""
    _require_state(timer, "暂停", "pause", TimerState.RUNNING)
    _require_not_before(now, timer.started_at, "计时开始")
    return replace(timer, state=TimerState.PAUSED, paused_at=now)


def resume(timer: Timer, now: datetime) -> Timer:
    """Restart a paused timer; due and warning instants move later by the whole seconds paused."""
    _require_state(timer, "恢复", "resume", TimerState.PAUSED)
    assert timer.paused_at is not None  # a paused timer always knows when the pause began
    _require_not_before(now, timer.paused_at, "暂停开始")
    seconds = int((now - timer.paused_at).total_seconds())
    paused = timedelta(seconds=seconds)
    return replace(
        timer,
        state=TimerState.RUNNING,
        paused_at=None,
        paused_seconds=timer.paused_seconds + seconds,
        due_at=_shift(timer.due_at, paused),
        warn_at=_shift(timer.warn_at, paused),
    )


def extend(timer: Timer, period: Period, calendar: BusinessCalendar, *, cap: Period | None) -> Timer:
    """Grant more time: the new due is `period` added to the old due (day periods count from its day).

    Args:
        timer: A running or paused timer.
        period: The extension granted.
        calendar: The tenant's business calendar.
        cap: The most extension allowed in total, or None for no cap.

    Returns:
        The timer with the later due and warning instants.

    Raises:
        InvalidCommand: If the timer cannot be extended, the unit differs from the cap's, or the
            total would exceed the cap.
    """
    _require_state(timer, "延期", "extend", TimerState.RUNNING, TimerState.PAUSED)
    if period.is_same_day:  # "the same day" adds nothing to a due date
        raise InvalidCommand(
            f"延长期限须为正数，如“5个工作日”，不能为{period.label} (an extension must add time)",
            field="period",
        )
    if cap is not None:
        if period.unit is not cap.unit:
            raise InvalidCommand(
                f"延期单位须与上限一致：上限为{cap.label}，申请为{period.label} "
                "(extension unit differs from the cap)",
                field="period",
            )
        left = cap.amount - timer.extended
        if period.amount > left:
            raise InvalidCommand(
                f"延期超出上限：上限{cap.label}，已延期{timer.extended}，"
                f"剩余可延期{max(left, 0)}，申请{period.label} "
                f"(extension exceeds the cap; {max(left, 0)} left)",
                field="period",
            )
    deadline = calendar.add(timer.due_at, period, basis=timer.basis)
    moved = deadline.due_at - timer.due_at
    return replace(
        timer,
        due_at=deadline.due_at,
        warn_at=_shift(timer.warn_at, moved),  # keep the reminder's lead time before the due
        provisional=timer.provisional or deadline.provisional,
        extended=timer.extended + period.amount,
    )


def stop(timer: Timer, now: datetime) -> Timer:
    """Finish a timer (running, paused or breached); a paused one is resumed at `now` first."""
    _require_state(timer, "停止", "stop", TimerState.RUNNING, TimerState.PAUSED, TimerState.BREACHED)
    if timer.state is TimerState.PAUSED:
        timer = resume(timer, now)
    _require_not_before(now, timer.started_at, "计时开始")
    return replace(timer, state=TimerState.STOPPED, stopped_at=now)


def breach(timer: Timer, now: datetime) -> Timer:
    """Mark a running timer breached once `now` is past its due instant."""
    _require_state(timer, "标记超期", "mark breached", TimerState.RUNNING)
    if not is_overdue(timer, now):
        raise InvalidCommand(
            f"尚未到期（到期时间 {timer.due_at.isoformat()}），不能标记超期 (timer is not overdue yet)",
            field="now",
        )
    return replace(timer, state=TimerState.BREACHED)


def remaining(timer: Timer, now: datetime) -> timedelta:
    """Time left until due: frozen while paused or stopped, negative when overdue."""
    require_aware(now, "now")
    if timer.state is TimerState.PAUSED and timer.paused_at is not None:
        now = timer.paused_at
    elif timer.state is TimerState.STOPPED and timer.stopped_at is not None:
        now = timer.stopped_at
    return timer.due_at - now


def is_due_for_warning(timer: Timer, now: datetime) -> bool:
    """Whether a running timer is inside its reminder window [warn_at, due_at]."""
    require_aware(now, "now")
    return timer.state is TimerState.RUNNING and timer.warn_at <= now <= timer.due_at


def is_overdue(timer: Timer, now: datetime) -> bool:
    """Whether the timer is (or, when paused or stopped, was) past its due instant."""
    return timer.state is TimerState.BREACHED or remaining(timer, now) < timedelta(0)


def _shift(instant: datetime, delta: timedelta) -> datetime:
    """Add elapsed time (in UTC, so daylight saving cannot bend it) and keep the instant's zone."""
    return (instant.astimezone(UTC) + delta).astimezone(instant.tzinfo)


def _require_state(timer: Timer, action: str, action_en: str, *allowed: TimerState) -> None:
    """Raise if the timer's state does not allow the action."""
    if timer.state not in allowed:
        raise InvalidCommand(
            f"计时“{timer.kind}”{timer.state.label}，不能{action} (cannot {action_en} a {timer.state} timer)",
            field="state",
        )


def _require_not_before(now: datetime, earlier: datetime, what: str) -> None:
    """Raise if `now` is naive or earlier than `earlier`."""
    if require_aware(now, "now") < earlier:
        raise InvalidCommand(f"时间 {now.isoformat()} 早于{what} (time goes backwards)", field="now")


def next_timer(rule: TimerRule, timer: Timer, action: Action, at: datetime) -> Timer | None:
    """The timer after `action`, or None when the action does not touch it."""
    live = timer.state in (TimerState.RUNNING, TimerState.PAUSED, TimerState.BREACHED)
    if action in rule.stops_on and live:
        return stop(timer, at)
    if action in rule.pauses_on and timer.state is TimerState.RUNNING:
        return pause(timer, at)
    if action in rule.resumes_on and timer.state is TimerState.PAUSED:
        return resume(timer, at)
    return None


def due_phases(
    timer: Timer, warned_at: datetime | None, breached_at: datetime | None, now: datetime
) -> tuple[bool, bool]:
    """Whether a timer's warning and its breach are due at `now`, as (warning, breach).

    A phase is due once its instant has passed and it has not fired yet, while the timer runs
    (or has breached, which still leaves an unfired warning to stamp). `core.store.timers.DUE_SQL`
    is this rule in SQL, for the scheduler's claim; tests/store/test_sql_rules.py compares them.
    """
    if timer.state not in (TimerState.RUNNING, TimerState.BREACHED):
        return False, False
    return warned_at is None and timer.warn_at <= now, breached_at is None and timer.due_at <= now
