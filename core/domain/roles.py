"""Roles and permissions as data: one matrix, consulted by every entry point."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core.domain.errors import NotPermitted
from core.domain.lifecycle import Action

__all__ = [
    "ACTION_PERMISSIONS",
    "PUBLIC_PERMISSIONS",
    "ROLE_PERMISSIONS",
    "Actor",
    "Permission",
    "Role",
    "can",
    "permission_for",
]


class Role(enum.StrEnum):
    """What a person does in a tenant; a user may hold several."""

    INTAKE_OFFICER = "intake_officer"  # 接待/值班员: takes cases in and registers them
    DUTY_LEADER = "duty_leader"  # 值班领导: told of every new case at once, gives instructions
    APPROVER = "approver"  # 审批领导: signs a level of the approval chain
    HANDLER = "handler"  # 承办人: handles a dispatched case inside a unit
    UNIT_HEAD = "unit_head"  # 承办单位负责人: checks the unit's replies, answers for the unit
    SUPERVISOR = "supervisor"  # 督查/监察: chases late cases, issues supervision notices
    TENANT_ADMIN = "tenant_admin"  # 管理员: the tenant's users, units and settings
    AUDITOR = "auditor"  # 审计: reads the record, changes nothing

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.INTAKE_OFFICER: "接待登记员",
    Role.DUTY_LEADER: "值班领导",
    Role.APPROVER: "审批领导",
    Role.HANDLER: "承办人",
    Role.UNIT_HEAD: "承办单位负责人",
    Role.SUPERVISOR: "督查员",
    Role.TENANT_ADMIN: "租户管理员",
    Role.AUDITOR: "审计员",
}


class Permission(enum.StrEnum):
    """One thing a role may do; actions map onto these through `ACTION_PERMISSIONS`."""

    CASE_READ = "case:read"  # see cases (identities stay masked)
    CASE_INTAKE = "case:intake"  # take a new case in
    CASE_ATTACH = "case:attach"  # add evidence or scanned material to a case
    CASE_MATERIALS = "case:materials"  # read the complaint's materials and the masked identity
    # (never the handling unit's: it may be the accused's own department)
    CASE_REGISTER = "case:register"  # register, accept, refuse, refer out, ask for supplements
    CASE_APPROVE = "case:approve"  # sign or reject a level of the approval chain
    CASE_DISPATCH = "case:dispatch"  # send to a unit, take back a returned case
    CASE_HANDLE = "case:handle"  # sign for, return, reply
    CASE_CLOSE = "case:close"  # record feedback, close, archive, reopen
    CASE_EXTEND = "case:extend"  # grant more time
    CASE_SUPERVISE = "case:supervise"  # escalate, issue supervision notices
    IDENTITY_REVEAL = "identity:reveal"  # read the complainant's identity unmasked (logged)
    AUDIT_READ = "audit:read"  # read the event log
    LEDGER_READ = "ledger:read"  # read the accountability ledger of everyone in the tenant
    LEDGER_DECIDE = "ledger:decide"  # decide appeals, correct ledger lines, agree instalments
    DUTY_MANAGE = "duty:manage"  # plan the duty roster
    DUTY_LOG_READ = "duty:log"  # read and write handover records (confidential duty logs)
    TENANT_ADMIN = "tenant:admin"  # manage users, units and settings


P, R = Permission, Role

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        # Intake officers answer simple matters on the spot (a consultation, a general complaint).
        R.INTAKE_OFFICER: frozenset(
            {
                P.CASE_READ,
                P.CASE_INTAKE,
                P.CASE_ATTACH,
                P.CASE_REGISTER,
                P.CASE_HANDLE,
                P.CASE_CLOSE,
                P.DUTY_LOG_READ,
                P.IDENTITY_REVEAL,
                P.CASE_MATERIALS,
            }
        ),
        R.DUTY_LEADER: frozenset(
            {
                P.CASE_READ,
                P.CASE_INTAKE,
                P.CASE_ATTACH,
                P.CASE_REGISTER,
                P.CASE_DISPATCH,
                P.DUTY_LOG_READ,
                P.CASE_MATERIALS,
            }
        ),
        R.APPROVER: frozenset(
            {
                P.CASE_READ,
                P.CASE_APPROVE,
                P.CASE_DISPATCH,
                P.CASE_EXTEND,
                P.CASE_SUPERVISE,
                P.IDENTITY_REVEAL,
                P.CASE_MATERIALS,
                P.LEDGER_READ,
                P.LEDGER_DECIDE,
            }
        ),
        R.HANDLER: frozenset({P.CASE_READ, P.CASE_ATTACH, P.CASE_HANDLE}),
        R.UNIT_HEAD: frozenset({P.CASE_READ, P.CASE_ATTACH, P.CASE_HANDLE, P.CASE_EXTEND}),
        R.SUPERVISOR: frozenset(
            {
                P.CASE_READ,
                P.CASE_DISPATCH,
                P.CASE_CLOSE,
                P.CASE_SUPERVISE,
                P.CASE_EXTEND,
                P.AUDIT_READ,
                P.LEDGER_READ,
                P.DUTY_MANAGE,
                P.DUTY_LOG_READ,
                P.IDENTITY_REVEAL,
                P.CASE_MATERIALS,
            }
        ),
        R.TENANT_ADMIN: frozenset(
            {P.CASE_READ, P.TENANT_ADMIN, P.AUDIT_READ, P.LEDGER_READ, P.LEDGER_DECIDE, P.DUTY_MANAGE}
        ),
        R.AUDITOR: frozenset({P.CASE_READ, P.AUDIT_READ, P.LEDGER_READ, P.CASE_MATERIALS}),
    }
)
"""Who may do what. Platform admins are outside tenants and hold none of these."""

A = Action
ACTION_PERMISSIONS: Mapping[Action, Permission] = MappingProxyType(
    {
        A.REGISTER: P.CASE_REGISTER,
        A.ACCEPT: P.CASE_REGISTER,
        A.REFUSE: P.CASE_REGISTER,
        A.REFER_OUT: P.CASE_REGISTER,
        A.REQUEST_SUPPLEMENT: P.CASE_REGISTER,
        A.SUPPLY: P.CASE_REGISTER,
        A.SUBMIT_FOR_APPROVAL: P.CASE_REGISTER,
        A.APPROVE: P.CASE_APPROVE,
        A.REJECT: P.CASE_APPROVE,
        A.DISPATCH: P.CASE_DISPATCH,
        A.SIGN_FOR: P.CASE_HANDLE,
        A.RETURN: P.CASE_HANDLE,
        A.REPLY: P.CASE_HANDLE,
        A.RECORD_FEEDBACK: P.CASE_CLOSE,
        A.CLOSE: P.CASE_CLOSE,
        A.ARCHIVE: P.CASE_CLOSE,
        A.REQUEST_EXTENSION: P.CASE_HANDLE,
        A.EXTEND: P.CASE_EXTEND,
        A.ESCALATE: P.CASE_SUPERVISE,
        A.INSTRUCT: P.CASE_DISPATCH,
        A.ARRIVE: P.CASE_HANDLE,
        A.FOLLOW_UP: P.CASE_CLOSE,
        A.REOPEN: P.CASE_CLOSE,
        A.INVESTIGATE: P.CASE_HANDLE,
        A.SET_DEADLINE: P.CASE_HANDLE,
        A.ORDER_REMEDY: P.CASE_SUPERVISE,
        A.CONFIRM_REMEDY: P.CASE_SUPERVISE,
    }
)
"""The permission each lifecycle action needs."""

del P, R, A


def can(roles: Iterable[Role], permission: Permission) -> bool:
    """True when any of `roles` grants `permission`."""
    return any(permission in ROLE_PERMISSIONS[role] for role in roles)


def permission_for(action: Action) -> Permission:
    """The permission a person needs to perform `action`."""
    return ACTION_PERMISSIONS[action]


PUBLIC_PERMISSIONS: frozenset[Permission] = frozenset({Permission.CASE_INTAKE})
"""What a member of the public may do without signing in: submit a case."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The person performing a step, as recorded on the event it writes."""

    username: str
    display_name: str = ""
    roles: frozenset[Role] = frozenset()
    unit_code: str | None = None
    public: bool = False  # a member of the public on the portal, not a tenant user

    @classmethod
    def from_public(cls) -> Actor:
        """The actor for portal submissions and follow-ups (no name is recorded)."""
        return cls(username="public", display_name="公众", public=True)

    def can(self, permission: Permission) -> bool:
        """True when one of the actor's roles (or, for the public, the portal) grants `permission`."""
        if self.public:
            return permission in PUBLIC_PERMISSIONS
        return can(self.roles, permission)

    def require(self, permission: Permission) -> None:
        """Refuse unless the actor `can` do it.

        Raises:
            NotPermitted: naming the permission missing.
        """
        if not self.can(permission):
            raise NotPermitted(f"您的角色无权执行此操作（需要权限 {permission.value}）")
