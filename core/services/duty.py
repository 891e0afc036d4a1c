"""Duty 应急值班: the roster, its gaps, who is on duty, handovers, and the "报" step of intake.

Each public method of `DutyService` is one tenant transaction. `leader_on_duty` and
`report_new_case_to_leader` are also module functions, because case intake calls them inside
its own tenant transaction (a nested `tenant_tx` for the same tenant joins the outer one), so
the report to the leader commits or rolls back with the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain.cases import Case, Severity
from core.domain.duty import Handover, Shift, check_window, coverage_gaps, new_handover, new_shift, on_duty
from core.domain.errors import InvalidCommand, NotPermitted
from core.domain.roles import Actor, Permission, Role
from core.services.clock import Clock
from core.store.directory import TenantDirectory, UserRecord
from core.store.duty import DutyRepository
from core.store.outbox import OutboxRepository
from core.store.tenants import TenantRepository
from core.store.tx import current_tenant, tenant_tx

__all__ = [
    "HANDOVER_LIMIT",
    "DutyService",
    "leader_on_duty",
    "report_new_case_to_leader",
    "tell_leader_of_new_case",
]

HANDOVER_LIMIT = 100
"""The most handover records one read returns (newest first)."""

_LEADER_ROLES = frozenset({Role.DUTY_LEADER})
_OFFICER_ROLES = frozenset({Role.INTAKE_OFFICER, Role.DUTY_LEADER})

_SEVERITY_LABELS = {Severity.GENERAL: "一般", Severity.SERIOUS: "较重", Severity.MAJOR: "重大"}


def _require_duty_log(actor: Actor) -> None:
    # Duty logs are confidential (12312 rule: no unrelated person may read them).
    if not actor.can(Permission.DUTY_LOG_READ):
        raise NotPermitted("值班记录保密：仅值班人员和督查员可以查阅或填写交接班记录")


async def leader_on_duty(tenant_id: int, at: datetime) -> str | None:
    """The username of the duty leader on duty at `at`, or None when no shift covers it.

    Joins the caller's `tenant_tx` when there is one (it must be for the same tenant).
    """
    async with tenant_tx(tenant_id):
        shift = on_duty(await DutyRepository(tenant_id).shifts_at(at), at)
    return shift.leader if shift else None


async def _zone(tenant_id: int) -> ZoneInfo:
    record = await TenantRepository().get(tenant_id)
    try:
        return ZoneInfo(record.timezone)
    except (ZoneInfoNotFoundError, ValueError):  # checked at onboarding; never fail intake over it
        return ZoneInfo("Asia/Shanghai")


async def report_new_case_to_leader(tenant_id: int, case: Case, now: datetime) -> str | None:
    """The "报" step: tell the duty leader on duty at `now` of the new `case`, in their inbox.

    Must run inside the caller's ``tenant_tx(tenant_id)`` (the intake's), so the notification
    exists exactly when the case does. It names the case's serial, title, kind, channel,
    severity and time of receipt — never the complainant's identity, which the case snapshot
    does not carry. Writing it twice for the same case and leader is a no-op (dedupe key).

    Returns:
        The leader's username, or None when nobody is on duty (nothing is written).

    Raises:
        RuntimeError: called outside ``tenant_tx(tenant_id)``.
    """
    if current_tenant() != tenant_id:
        raise RuntimeError(f"report_new_case_to_leader must run inside tenant_tx({tenant_id})")
    if case.id is None:
        raise ValueError("report a stored case (it has no id yet)")
    leader = await leader_on_duty(tenant_id, now)
    if leader is None:
        return None
    await tell_leader_of_new_case(tenant_id, case, leader, now, await _zone(tenant_id))
    return leader


async def tell_leader_of_new_case(
    tenant_id: int, case: Case, leader: str, now: datetime, zone: ZoneInfo
) -> None:
    """Write the "报" notice of `report_new_case_to_leader` to a `leader` the caller looked up.

    Intake looks the leader up before it draws the case's serial and writes the notice after,
    so the serial counter stays locked for as few statements as possible. `zone` is the
    tenant's, for the time of receipt.

    Raises:
        RuntimeError: called outside ``tenant_tx(tenant_id)``.
        ValueError: the case is not stored and numbered yet.
    """
    if current_tenant() != tenant_id:
        raise RuntimeError(f"tell_leader_of_new_case must run inside tenant_tx({tenant_id})")
    if case.id is None or not case.serial:
        raise ValueError("report a stored case with its serial")
    received = case.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    body = "\n".join(
        (
            f"类别：{case.kind.label}",
            f"渠道：{case.channel.label}",
            f"严重程度：{_SEVERITY_LABELS[case.severity]}",
            f"收件时间：{received}",
            "请及时作出指示。",
        )
    )
    await OutboxRepository(tenant_id).add(
        channel="inbox",
        recipient=leader,
        subject=f"新案件 {case.serial}：{case.title}",
        body=body,
        dedupe_key=f"new-case:{case.id}:{leader}",
        now=now,
        case_id=case.id,
    )


class DutyService:
    """Plan the duty roster, see its gaps and who is on duty, write and read handover records."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    leader_on_duty = staticmethod(leader_on_duty)
    report_new_case_to_leader = staticmethod(report_new_case_to_leader)

    async def add_shift(
        self,
        tenant_id: int,
        actor: Actor,
        *,
        starts_at: datetime,
        ends_at: datetime,
        leader: str,
        officers: Sequence[str],
    ) -> Shift:
        """Plan a shift. Overlapping shifts are allowed (the later-starting one takes over).

        Raises:
            NotPermitted: the actor may not plan the roster.
            InvalidCommand: the times or the staff are wrong; the leader must be an active user
                holding duty_leader, each officer an active intake_officer or duty_leader.
        """
        actor.require(Permission.DUTY_MANAGE)
        shift = new_shift(starts_at=starts_at, ends_at=ends_at, leader=leader, officers=officers)
        async with tenant_tx(tenant_id):
            users = {user.username: user for user in await TenantDirectory(tenant_id).users()}
            _check_staff(users.get(shift.leader), shift.leader, _LEADER_ROLES, "leader", "值班领导")
            for officer in shift.officers:
                _check_staff(users.get(officer), officer, _OFFICER_ROLES, "officers", "值班员")
            return await DutyRepository(tenant_id).add_shift(shift, created_by=actor.username)

    async def roster(self, tenant_id: int, actor: Actor, start: datetime, end: datetime) -> list[Shift]:
        """The shifts overlapping ``[start, end)``, by start time. Any tenant user may look.

        Raises:
            NotPermitted: the actor may not read cases.
            InvalidCommand: the span is naive, reversed or longer than `MAX_WINDOW`.
        """
        actor.require(Permission.CASE_READ)
        check_window(start, end)
        async with tenant_tx(tenant_id):
            return await DutyRepository(tenant_id).shifts_between(start, end)

    async def coverage(
        self, tenant_id: int, actor: Actor, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """The spans of ``[start, end)`` nobody is on duty (24 h duty must have none).

        Raises:
            NotPermitted: the actor may not plan the roster.
            InvalidCommand: the span is naive, reversed or longer than `MAX_WINDOW`.
        """
        actor.require(Permission.DUTY_MANAGE)
        check_window(start, end)
        async with tenant_tx(tenant_id):
            shifts = await DutyRepository(tenant_id).shifts_between(start, end)
        return coverage_gaps(shifts, start, end)

    async def on_duty(self, tenant_id: int, actor: Actor, at: datetime | None = None) -> Shift | None:
        """The shift on duty at `at` (default: now, by the service's clock), or None.

        Any tenant user may look: everyone needs to know whom a new case goes to.
        """
        actor.require(Permission.CASE_READ)
        at = self.clock.now() if at is None else at
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidCommand("时间须带时区 (at must be timezone-aware)", field="at")
        async with tenant_tx(tenant_id):
            return on_duty(await DutyRepository(tenant_id).shifts_at(at), at)

    async def write_handover(
        self,
        tenant_id: int,
        actor: Actor,
        shift_id: int,
        *,
        cases_received: Sequence[str],
        pending: Sequence[str],
        documents: Sequence[str],
        equipment: str,
        notes: str = "",
    ) -> Handover:
        """Record the handover of shift `shift_id`, written now by `actor`.

        Raises:
            NotPermitted: the actor may not write duty logs, or is neither on this shift (its
                leader or one of its officers) nor a supervisor.
            ShiftNotFound: no such shift in this tenant.
            InvalidCommand: a blank item, or no equipment state.
        """
        _require_duty_log(actor)
        handover = new_handover(
            shift_id=shift_id,
            written_by=actor.username,
            at=self.clock.now(),
            cases_received=cases_received,
            pending=pending,
            documents=documents,
            equipment=equipment,
            notes=notes,
        )
        async with tenant_tx(tenant_id):
            repo = DutyRepository(tenant_id)
            shift = await repo.shift(shift_id)
            if actor.username not in shift.staff and Role.SUPERVISOR not in actor.roles:
                raise NotPermitted("只有本班值班领导、值班员或督查员可以填写本班交接班记录")
            return await repo.add_handover(handover)

    async def handovers(self, tenant_id: int, actor: Actor, shift_id: int | None = None) -> list[Handover]:
        """Handover records, newest first (at most `HANDOVER_LIMIT`); of one shift if `shift_id`.

        Raises:
            NotPermitted: the actor is not duty staff or a supervisor (duty logs are confidential).
            ShiftNotFound: `shift_id` names no shift of this tenant.
        """
        _require_duty_log(actor)
        async with tenant_tx(tenant_id):
            repo = DutyRepository(tenant_id)
            if shift_id is not None:
                await repo.shift(shift_id)
            return await repo.handovers(shift_id, limit=HANDOVER_LIMIT)


def _check_staff(
    user: UserRecord | None, username: str, roles: frozenset[Role], field: str, label: str
) -> None:
    if user is None or not user.active:
        raise InvalidCommand(f"{label} {username} 不是本租户的在职用户", field=field)
    if not user.roles & roles:
        needed = "、".join(sorted(role.label for role in roles))
        raise InvalidCommand(f"{label} {username} 不具有{needed}角色", field=field)
