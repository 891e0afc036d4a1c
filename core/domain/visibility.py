"""Which cases a person may open: tenant-wide staff all of them, unit staff their unit's.

A handling unit may be the accused's own department, so its people see the cases sent to
their unit and nothing else. Another unit's case is "not found" to them: its existence is
not told either.
"""

from __future__ import annotations

from core.domain.cases import Case
from core.domain.roles import Actor, Role

__all__ = ["TENANT_WIDE_ROLES", "sees_case", "unit_bound"]

TENANT_WIDE_ROLES = frozenset(
    {
        Role.INTAKE_OFFICER,
        Role.DUTY_LEADER,
        Role.APPROVER,
        Role.SUPERVISOR,
        Role.TENANT_ADMIN,
        Role.AUDITOR,
    }
)
_UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_HEAD})


def unit_bound(actor: Actor) -> bool:
    """True for handlers and unit heads without a tenant-wide role: they see their unit's cases."""
    return bool(actor.roles & _UNIT_ROLES) and not actor.roles & TENANT_WIDE_ROLES


def sees_case(actor: Actor, case: Case) -> bool:
    """Whether `actor` may open `case`.

    Unit staff see the cases of their unit; one without a unit sees the cases they signed for.
    """
    if not unit_bound(actor):
        return True
    if actor.unit_code:
        return case.unit_code == actor.unit_code
    return case.handler == actor.username
