"""SLA timers with fixed instants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, statutory_schedules
from core.domain.errors import InvalidCommand
from core.domain.sla import (
    Timer,
    TimerState,
    breach,
    extend,
    is_due_for_warning,
    is_overdue,
    pause,
    remaining,
    resume,
    start_timer,
    stop,
)

CALENDAR = BusinessCalendar(statutory_schedules(), CalendarPolicy())
START = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
DUE = datetime.fromisoformat("2026-10-13T23:59:59+08:00")


def at(text: str) -> datetime:
    """An aware instant from ISO text (offset included)."""
    return datetime.fromisoformat(text)


def reply_timer() -> Timer:
    """A running 5-working-day timer started before National Day 2026."""
    return start_timer("reply", START, Period.parse("5 working days"), CALENDAR, basis="答复期限")


def test_start_timer() -> None:
    timer = reply_timer()
    assert timer.state is TimerState.RUNNING
    assert timer.started_at == START
    assert timer.due_at == DUE
    assert timer.warn_at == START + (DUE - START) * 0.8
    assert timer.basis == "答复期限"
    assert timer.provisional is False
    assert timer.period == Period.parse("5个工作日")
    assert (timer.paused_at, timer.paused_seconds, timer.extended, timer.stopped_at) == (None, 0, 0, None)


def test_start_timer_converts_start_to_the_tenant_zone_and_keeps_provisional() -> None:
    timer = start_timer(
        "reply", datetime(2026, 12, 20, 2, 0, tzinfo=UTC), Period.parse("30 working days"), CALENDAR, basis=""
    )
    assert timer.started_at.isoformat() == "2026-12-20T10:00:00+08:00"
    assert timer.provisional is True


@pytest.mark.parametrize("ratio", [0, -0.1, 1.5])
def test_start_timer_rejects_bad_warn_ratio(ratio: float) -> None:
    with pytest.raises(InvalidCommand):
        start_timer("reply", START, Period.parse("1 hour"), CALENDAR, basis="", warn_ratio=ratio)


def test_start_timer_rejects_empty_kind_and_naive_start() -> None:
    with pytest.raises(InvalidCommand):
        start_timer("", START, Period.parse("1 hour"), CALENDAR, basis="")
    with pytest.raises(InvalidCommand):
        start_timer("reply", datetime(2026, 9, 30, 10), Period.parse("1 hour"), CALENDAR, basis="")


def test_pause_and_resume_shift_due_and_warning_by_the_paused_time() -> None:
    timer = reply_timer()
    paused = pause(timer, at("2026-10-08T09:00:00+08:00"))
    assert paused.state is TimerState.PAUSED
    assert paused.paused_at == at("2026-10-08T09:00:00+08:00")
    # frozen while paused, however late we look
    assert remaining(paused, at("2026-10-09T09:00:00+08:00")) == DUE - at("2026-10-08T09:00:00+08:00")
    assert remaining(paused, at("2026-12-31T09:00:00+08:00")) == remaining(paused, paused.paused_at)
    assert not is_due_for_warning(paused, at("2026-10-13T09:00:00+08:00"))
    resumed = resume(paused, at("2026-10-10T09:30:00+08:00"))
    assert resumed.state is TimerState.RUNNING
    assert resumed.paused_at is None
    assert resumed.paused_seconds == 2 * 86400 + 1800
    assert resumed.due_at == DUE + timedelta(days=2, minutes=30)
    assert resumed.warn_at == timer.warn_at + timedelta(days=2, minutes=30)
    assert remaining(resumed, at("2026-10-10T09:30:00+08:00")) == remaining(paused, paused.paused_at)
    again = resume(pause(resumed, at("2026-10-11T09:00:00+08:00")), at("2026-10-11T09:00:10+08:00"))
    assert again.paused_seconds == 2 * 86400 + 1800 + 10
    assert again.due_at == DUE + timedelta(seconds=again.paused_seconds)


def test_resume_counts_whole_seconds_only() -> None:
    paused = pause(reply_timer(), at("2026-10-08T09:00:00+08:00"))
    resumed = resume(paused, at("2026-10-08T09:00:05.900000+08:00"))
    assert resumed.paused_seconds == 5
    assert resumed.due_at == DUE + timedelta(seconds=5)


def test_extend_counts_from_the_old_due_day() -> None:
    timer = reply_timer()
    extended = extend(timer, Period.parse("5 working days"), CALENDAR, cap=Period.parse("10 working days"))
    assert extended.due_at == at("2026-10-20T23:59:59+08:00")  # 5 workdays after Tue 10-13
    assert extended.warn_at == timer.warn_at + timedelta(days=7)
    assert extended.extended == 5
    assert extended.state is TimerState.RUNNING
    twice = extend(extended, Period.parse("5 working days"), CALENDAR, cap=Period.parse("10 working days"))
    assert twice.extended == 10
    assert twice.due_at == at("2026-10-27T23:59:59+08:00")


def test_extend_beyond_the_cap_says_how_much_is_left() -> None:
    timer = extend(
        reply_timer(), Period.parse("7 working days"), CALENDAR, cap=Period.parse("10 working days")
    )
    with pytest.raises(InvalidCommand, match="剩余可延期3") as error:
        extend(timer, Period.parse("5 working days"), CALENDAR, cap=Period.parse("10 working days"))
    assert error.value.field == "period"


def test_extend_in_another_unit_than_the_cap_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="单位"):
        extend(reply_timer(), Period.parse("5 days"), CALENDAR, cap=Period.parse("10 working days"))


def test_extend_by_the_same_day_is_refused_as_adding_nothing() -> None:
    for cap in (None, Period.parse("10 working days")):
        with pytest.raises(InvalidCommand, match="延长期限须为正数"):
            extend(reply_timer(), Period.parse("same working day"), CALENDAR, cap=cap)


def test_a_same_day_timer_warns_late_in_the_day() -> None:
    timer = start_timer("draft", START, Period.parse("same day"), CALENDAR, basis="当日内")
    assert timer.due_at == at("2026-09-30T23:59:59+08:00")
    assert timer.warn_at == START + (timer.due_at - START) * 0.8


def test_extend_without_cap_and_with_minutes() -> None:
    timer = start_timer("callback", START, Period.parse("2 hours"), CALENDAR, basis="回拨")
    assert timer.due_at == at("2026-09-30T12:00:00+08:00")
    assert timer.warn_at == at("2026-09-30T11:36:00+08:00")
    extended = extend(timer, Period.parse("30 minutes"), CALENDAR, cap=None)
    assert extended.due_at == at("2026-09-30T12:30:00+08:00")
    assert extended.warn_at == at("2026-09-30T12:06:00+08:00")
    assert extended.extended == 30


def test_extend_into_a_year_without_data_becomes_provisional() -> None:
    timer = start_timer(
        "reply", at("2026-12-01T10:00:00+08:00"), Period.parse("5 working days"), CALENDAR, basis=""
    )
    assert timer.provisional is False
    assert extend(timer, Period.parse("30 working days"), CALENDAR, cap=None).provisional is True


def test_extend_while_paused_keeps_the_pause() -> None:
    paused = pause(reply_timer(), at("2026-10-08T09:00:00+08:00"))
    extended = extend(paused, Period.parse("1 working day"), CALENDAR, cap=None)
    assert extended.state is TimerState.PAUSED
    assert extended.due_at == at("2026-10-14T23:59:59+08:00")


def test_warning_and_overdue_over_time() -> None:
    timer = reply_timer()
    assert not is_due_for_warning(timer, at("2026-10-01T00:00:00+08:00"))
    assert is_due_for_warning(timer, timer.warn_at)
    assert is_due_for_warning(timer, DUE)
    assert not is_overdue(timer, DUE)
    assert remaining(timer, DUE) == timedelta(0)
    late = DUE + timedelta(seconds=1)
    assert is_overdue(timer, late)
    assert not is_due_for_warning(timer, late)
    assert remaining(timer, late) == timedelta(seconds=-1)


def test_breach_only_when_overdue() -> None:
    timer = reply_timer()
    with pytest.raises(InvalidCommand, match="尚未到期"):
        breach(timer, DUE)
    breached = breach(timer, DUE + timedelta(minutes=1))
    assert breached.state is TimerState.BREACHED
    assert is_overdue(breached, DUE + timedelta(minutes=1))
    with pytest.raises(InvalidCommand):
        pause(breached, DUE + timedelta(minutes=2))
    stopped = stop(breached, DUE + timedelta(hours=1))
    assert stopped.state is TimerState.STOPPED
    assert is_overdue(stopped, DUE + timedelta(days=30))


def test_stop_freezes_remaining() -> None:
    stopped = stop(reply_timer(), at("2026-10-12T10:00:00+08:00"))
    assert stopped.state is TimerState.STOPPED
    assert stopped.stopped_at == at("2026-10-12T10:00:00+08:00")
    assert remaining(stopped, at("2027-01-01T00:00:00+08:00")) == DUE - at("2026-10-12T10:00:00+08:00")
    assert not is_overdue(stopped, at("2027-01-01T00:00:00+08:00"))
    assert not is_due_for_warning(stopped, at("2026-10-13T10:00:00+08:00"))


def test_stop_while_paused_books_the_pause() -> None:
    paused = pause(reply_timer(), at("2026-10-08T09:00:00+08:00"))
    stopped = stop(paused, at("2026-10-08T10:00:00+08:00"))
    assert stopped.paused_seconds == 3600
    assert stopped.paused_at is None
    assert remaining(stopped, at("2027-01-01T00:00:00+08:00")) == DUE - at("2026-10-08T09:00:00+08:00")


LATER = at("2026-10-09T09:00:00+08:00")

MOVES: dict[str, Callable[[Timer], Timer]] = {
    "pause": lambda timer: pause(timer, LATER),
    "resume": lambda timer: resume(timer, LATER),
    "extend": lambda timer: extend(timer, Period.parse("1 working day"), CALENDAR, cap=None),
    "stop": lambda timer: stop(timer, LATER),
    "breach": lambda timer: breach(timer, DUE + timedelta(days=1)),
}


@pytest.mark.parametrize("move", sorted(MOVES))
def test_nothing_happens_to_a_stopped_timer(move: str) -> None:
    stopped = stop(reply_timer(), at("2026-10-08T09:00:00+08:00"))
    with pytest.raises(InvalidCommand, match="已结束"):
        MOVES[move](stopped)


def test_illegal_pause_and_resume() -> None:
    timer = reply_timer()
    with pytest.raises(InvalidCommand, match="不能恢复"):
        resume(timer, LATER)
    paused = pause(timer, at("2026-10-08T09:00:00+08:00"))
    with pytest.raises(InvalidCommand, match="不能暂停"):
        pause(paused, LATER)
    with pytest.raises(InvalidCommand, match="早于"):
        resume(paused, at("2026-10-08T08:59:59+08:00"))
    with pytest.raises(InvalidCommand, match="早于"):
        pause(timer, at("2026-09-30T09:59:59+08:00"))


def test_naive_now_is_rejected() -> None:
    with pytest.raises(InvalidCommand):
        pause(reply_timer(), datetime(2026, 10, 8, 9))
    with pytest.raises(InvalidCommand):
        remaining(reply_timer(), datetime(2026, 10, 8, 9))
