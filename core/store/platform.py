"""Platform scope: holiday schedules and the platform's operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.domain.calendar import YearSchedule
from core.store.rows import json_value
from core.store.tables import (
    HolidaySchedule,
    PlatformAdmin,
    RefreshFamily,
)

__all__ = ["HolidayRepository", "PlatformAdminRecord", "PlatformAdminRepository", "RefreshFamilyRepository"]


# --- refresh tokens (platform scope) ------------------------------------------------------------
class RefreshFamilyRepository:
    """Each sign-in's chain of refresh tokens: which one is current, and whether it was revoked."""

    async def start(self, family: str, jti: str, expires_at: datetime) -> None:
        await RefreshFamily(family=family, current_jti=jti, expires_at=expires_at).save()

    async def rotate(self, family: str, used: str, fresh: str, expires_at: datetime, now: datetime) -> bool:
        """Move the family from `used` to `fresh`; False when `used` is not its current token.

        One guarded UPDATE: of two requests presenting the same token, only one rotates it.
        """
        rows = (
            await RefreshFamily.update(
                {RefreshFamily.current_jti: fresh, RefreshFamily.expires_at: expires_at}
            )
            .where(
                (RefreshFamily.family == family)
                & (RefreshFamily.current_jti == used)
                & (RefreshFamily.revoked == False)  # noqa: E712 - piccolo builds SQL from ==
                & (RefreshFamily.expires_at > now)
            )
            .returning(RefreshFamily.id)
        )
        return bool(rows)

    async def revoke(self, family: str) -> None:
        await RefreshFamily.update({RefreshFamily.revoked: True}).where(RefreshFamily.family == family)

    async def prune(self, now: datetime) -> int:
        """Forget the families whose last token has expired; returns how many."""
        rows = await RefreshFamily.delete().where(RefreshFamily.expires_at <= now).returning(RefreshFamily.id)
        return len(rows)


# --- holiday schedules (platform scope) ---------------------------------------------------------
class HolidayRepository:
    """Imported holiday schedules for years the calendar package does not know."""

    async def all(self) -> dict[int, YearSchedule]:
        rows = await HolidaySchedule.select().order_by(HolidaySchedule.year)
        return {
            row["year"]: YearSchedule(
                year=row["year"],
                holidays=frozenset(date.fromisoformat(d) for d in json_value(row["holidays"])),
                workdays=frozenset(date.fromisoformat(d) for d in json_value(row["workdays"])),
                source=row["source"],
            )
            for row in rows
        }

    async def put(self, schedule: YearSchedule) -> None:
        values = {
            HolidaySchedule.holidays: sorted(d.isoformat() for d in schedule.holidays),
            HolidaySchedule.workdays: sorted(d.isoformat() for d in schedule.workdays),
            HolidaySchedule.source: schedule.source,
        }
        existing = await HolidaySchedule.select(HolidaySchedule.id).where(
            HolidaySchedule.year == schedule.year
        )
        if existing:
            await HolidaySchedule.update(values).where(HolidaySchedule.year == schedule.year)
        else:
            row = HolidaySchedule(year=schedule.year)
            for column, value in values.items():
                setattr(row, column._meta.name, value)
            await row.save()


# --- platform admins (platform scope) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlatformAdminRecord:
    """A platform operator as stored."""

    id: int
    username: str
    password_hash: str
    failed_logins: int
    locked_until: datetime | None


class PlatformAdminRepository:
    """Platform operators: outside every tenant."""

    async def get(self, username: str) -> PlatformAdminRecord | None:
        row = await PlatformAdmin.select().where(PlatformAdmin.username == username).first()
        if row is None:
            return None
        return PlatformAdminRecord(
            row["id"], row["username"], row["password_hash"], row["failed_logins"], row["locked_until"]
        )

    async def put(self, username: str, password_hash: str) -> None:
        """Create the admin, or set a new password for an existing one."""
        if await self.get(username) is None:
            await PlatformAdmin(username=username, password_hash=password_hash).save()
        else:
            await PlatformAdmin.update(
                {PlatformAdmin.password_hash: password_hash, PlatformAdmin.failed_logins: 0}
            ).where(PlatformAdmin.username == username)

    async def for_sign_in(self, username: str) -> PlatformAdminRecord | None:
        """The admin, locked against other sign-ins until the transaction ends (see the tenant's)."""
        await PlatformAdmin.update({PlatformAdmin.failed_logins: PlatformAdmin.failed_logins}).where(
            PlatformAdmin.username == username
        )
        return await self.get(username)

    async def record_login(self, username: str, *, failed_logins: int, locked_until: datetime | None) -> None:
        await PlatformAdmin.update(
            {PlatformAdmin.failed_logins: failed_logins, PlatformAdmin.locked_until: locked_until}
        ).where(PlatformAdmin.username == username)
