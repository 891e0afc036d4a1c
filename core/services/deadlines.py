"""Deadline visibility: "my" overdue, due-today and due-this-week timers, and overdue counts per unit.

Whose deadlines "mine" are depends on who asks (`scope_for`):

* a person who may supervise (``case:supervise``: supervisors, and approving leaders) sees every
  case of the tenant;
* a unit head 承办单位负责人 with a unit sees every case of that unit;
* anyone else sees the cases they handle (``case.handler`` is their username).

Windows, in the tenant's time zone (`window_bounds`):

* ``overdue`` — timers overdue now, by `core.domain.sla.is_overdue` (breached, running past the
  due instant, or paused after it had passed);
* ``today`` — timers not overdue that fall due by 23:59:59 local today;
* ``week`` — timers not overdue that fall due by Sunday 23:59:59 local of the current week
  (Monday to Sunday), so ``week`` includes ``today`` and neither includes ``overdue``.

A paused timer's clock stands still: its remaining time is frozen at the pause, and it falls
into a window as if it were resumed now (now + its remaining time).

``remaining_working_days`` (`working_days_left`) counts the tenant's workdays from the local
date of the reference instant (now; for a paused timer, the instant it was paused) to the local
date of the due instant: the workdays in (today, due day], so 0 on the due day, 1 on the
workday before it. After the due day it is minus the workdays in (due day, today], and at least
-1, so a deadline missed on a Friday already shows -1 on Saturday. A timer overdue on its due
day itself (an hour-counted one) still shows 0; ``remaining_seconds`` is then negative.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from core.domain import sla
from core.domain.calendar import BusinessCalendar
from core.domain.cases import CaseState
from core.domain.errors import InvalidCommand
from core.domain.roles import Actor, Permission, Role
from core.plugins import PluginRegistry
from core.services.clock import Clock
from core.services.tenants import load_tenant
from core.store.deadlines import LiveTimer, live_timers, overdue_by_unit
from core.store.tx import tenant_tx

__all__ = [
    "UNDISPATCHED",
    "DeadlineItem",
    "DeadlineList",
    "DeadlineScope",
    "DeadlineService",
    "DeadlineWindow",
    "OverdueByUnit",
    "UnitOverdue",
    "scope_for",
    "window_bounds",
    "working_days_left",
]

_END_OF_DAY = time(23, 59, 59)
UNDISPATCHED = "未交办单位"
"""The name shown for cases not (or no longer) with a unit."""


class DeadlineWindow(enum.StrEnum):
    """Which deadlines a list shows."""

    OVERDUE = "overdue"  # past due now
    TODAY = "today"  # not yet past due, due by the end of the local day
    WEEK = "week"  # not yet past due, due by Sunday 23:59:59 local


class DeadlineScope(enum.StrEnum):
    """Whose cases a person's deadline list covers."""

    HANDLER = "handler"  # the cases they handle
    UNIT = "unit"  # every case of their unit (unit heads)
    TENANT = "tenant"  # every case of the tenant (those who may supervise)


@dataclass(frozen=True, slots=True)
class DeadlineItem:
    """One live timer with its case, as a deadline list shows it.

    Attributes:
        timer_id: The timer's row id.
        kind: What is timed, e.g. "handling".
        label: The plugin's name for it, e.g. "办结时限（一般）".
        basis: Why the deadline applies (the rule or article).
        state: running, paused or breached.
        due_at: The due instant, in the tenant's zone (for a paused timer: as it stood when paused;
            it moves later by the pause on resume).
        provisional: True while the deadline rests on a year without holiday data.
        paused_at: When the current pause began; None unless paused.
        overdue: Whether the timer is overdue now (`core.domain.sla.is_overdue`).
        remaining_seconds: Whole seconds left (negative when overdue; frozen while paused).
        remaining_working_days: Workdays left under the module's rule (negative when overdue).
        case_id: The case's id.
        serial: The case's serial number.
        title: The case's title.
        case_state: Where the case is in its lifecycle.
        unit_code: The unit handling the case, if dispatched.
        handler: The handler who signed for it, if any.
    """

    timer_id: int
    kind: str
    label: str
    basis: str
    state: sla.TimerState
    due_at: datetime
    provisional: bool
    paused_at: datetime | None
    overdue: bool
    remaining_seconds: int
    remaining_working_days: int
    case_id: int
    serial: str
    title: str
    case_state: CaseState
    unit_code: str | None
    handler: str | None


@dataclass(frozen=True, slots=True)
class DeadlineList:
    """A person's deadlines in a window.

    Attributes:
        window: The window asked for.
        scope: Whose cases were looked at.
        as_of: The instant the list was computed for.
        until: The window's last second (23:59:59 local) or, for ``overdue``, `as_of`.
        items: Soonest due first.
    """

    window: DeadlineWindow
    scope: DeadlineScope
    as_of: datetime
    until: datetime
    items: tuple[DeadlineItem, ...]


@dataclass(frozen=True, slots=True)
class UnitOverdue:
    """How many cases of a unit are overdue; `unit_code` None for cases with no unit."""

    unit_code: str | None
    unit_name: str
    overdue_cases: int


@dataclass(frozen=True, slots=True)
class OverdueByUnit:
    """Overdue cases per unit at `as_of`: every unit of the tenant, most overdue first.

    Cases with no unit (not yet dispatched, or returned) come as one line with `unit_code` None,
    present only when there are some. `total` counts each overdue case once.
    """

    as_of: datetime
    total: int
    units: tuple[UnitOverdue, ...]


def scope_for(actor: Actor) -> DeadlineScope:
    """Whose cases `actor`'s deadline list covers (see the module docstring)."""
    if actor.can(Permission.CASE_SUPERVISE):
        return DeadlineScope.TENANT
    if Role.UNIT_HEAD in actor.roles and actor.unit_code:
        return DeadlineScope.UNIT
    return DeadlineScope.HANDLER


def window_bounds(
    window: DeadlineWindow, now: datetime, calendar: BusinessCalendar
) -> tuple[datetime, datetime]:
    """The window's exclusive end for comparisons and its last second for people, in the tenant's zone.

    ``overdue`` ends at `now`; ``today`` at the next local midnight; ``week`` at the midnight after
    Sunday of the current Monday-to-Sunday week.
    """
    zone = calendar.policy.zone
    local = now.astimezone(zone)
    if window is DeadlineWindow.OVERDUE:
        return local, local
    last_day = local.date()
    if window is DeadlineWindow.WEEK:
        last_day += timedelta(days=6 - last_day.weekday())
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone)
    return end, datetime.combine(last_day, _END_OF_DAY, tzinfo=zone)


def working_days_left(calendar: BusinessCalendar, reference: datetime, due_at: datetime) -> int:
    """Workdays from `reference`'s local date to `due_at`'s (the module docstring's rule)."""
    zone = calendar.policy.zone
    today = reference.astimezone(zone).date()
    due_day = due_at.astimezone(zone).date()
    if due_day >= today:
        return calendar.working_days_between(today, due_day)
    return -max(1, calendar.working_days_between(due_day, today))


def _item(found: LiveTimer, now: datetime, calendar: BusinessCalendar) -> DeadlineItem:
    timer = found.timer.timer
    zone = calendar.policy.zone
    # A paused timer's clock stopped at the pause: its working days are counted from there too.
    reference = timer.paused_at if timer.state is sla.TimerState.PAUSED and timer.paused_at else now
    return DeadlineItem(
        timer_id=found.timer.id,
        kind=timer.kind,
        label=found.timer.label,
        basis=timer.basis,
        state=timer.state,
        due_at=timer.due_at.astimezone(zone),
        provisional=timer.provisional,
        paused_at=timer.paused_at.astimezone(zone) if timer.paused_at is not None else None,
        overdue=sla.is_overdue(timer, now),
        # Floored, so a timer a fraction of a second late already shows -1.
        remaining_seconds=sla.remaining(timer, now) // timedelta(seconds=1),
        remaining_working_days=working_days_left(calendar, reference, timer.due_at),
        case_id=found.case_id,
        serial=found.serial,
        title=found.title,
        case_state=found.case_state,
        unit_code=found.unit_code,
        handler=found.handler,
    )


def _in_window(timer: sla.Timer, window: DeadlineWindow, now: datetime, end: datetime) -> bool:
    if window is DeadlineWindow.OVERDUE:
        return sla.is_overdue(timer, now)
    # As if resumed now: for a running timer this is exactly its due instant.
    return not sla.is_overdue(timer, now) and now + sla.remaining(timer, now) < end


class DeadlineService:
    """What is late and what falls due soon, for a person and per unit."""

    def __init__(self, registry: PluginRegistry, clock: Clock) -> None:
        self.registry = registry
        self.clock = clock

    async def mine(self, tenant_id: int, actor: Actor, window: DeadlineWindow | str) -> DeadlineList:
        """The actor's live timers in `window`, soonest due first (scope: the module docstring).

        Raises:
            NotPermitted: the actor may not read cases.
            InvalidCommand: `window` is not overdue, today or week.
            TenantInactive: the tenant is suspended or its plugin is missing.
        """
        actor.require(Permission.CASE_READ)
        try:
            window = DeadlineWindow(window)
        except ValueError:
            allowed = "、".join(w.value for w in DeadlineWindow)
            raise InvalidCommand(f"window 只能是 {allowed}，收到“{window}”", field="window") from None
        scope = scope_for(actor)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            calendar = tenant.calendar
            end, until = window_bounds(window, now, calendar)
            # The stored due instant never comes after a timer's place in a window (a pause only
            # moves it later), so this narrows the rows without losing any; the window is exact below.
            found = await live_timers(
                tenant_id,
                handler=actor.username if scope is DeadlineScope.HANDLER else None,
                unit_code=actor.unit_code if scope is DeadlineScope.UNIT else None,
                due_before=None if window is DeadlineWindow.OVERDUE else end,
            )
        chosen = tuple(
            _item(row, now, calendar) for row in found if _in_window(row.timer.timer, window, now, end)
        )
        return DeadlineList(window, scope, now.astimezone(calendar.policy.zone), until, chosen)

    async def by_unit(self, tenant_id: int, actor: Actor) -> OverdueByUnit:
        """Overdue cases per unit now, for those who chase late cases.

        Raises:
            NotPermitted: the actor may not supervise.
            TenantInactive: the tenant is suspended or its plugin is missing.
        """
        actor.require(Permission.CASE_SUPERVISE)
        now = self.clock.now()
        async with tenant_tx(tenant_id):
            tenant = await load_tenant(tenant_id, self.registry)
            counts = dict(await overdue_by_unit(tenant_id, now))
        names = {unit.code: unit.name for unit in tenant.ctx.units}
        lines = [UnitOverdue(code, name, counts.get(code, 0)) for code, name in names.items()]
        # A unit removed since its cases were dispatched still has them: shown under its code.
        lines += [
            UnitOverdue(code, code, count)
            for code, count in counts.items()
            if code is not None and code not in names
        ]
        lines.sort(key=lambda line: (-line.overdue_cases, line.unit_code or ""))
        if counts.get(None):
            lines.append(UnitOverdue(None, UNDISPATCHED, counts[None]))
        return OverdueByUnit(
            as_of=now.astimezone(tenant.calendar.policy.zone), total=sum(counts.values()), units=tuple(lines)
        )
