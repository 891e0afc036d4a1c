"""The permission matrix: who may do what, as data."""

from __future__ import annotations

import re

import pytest

from core.domain.errors import NotPermitted
from core.domain.lifecycle import Action
from core.domain.roles import (
    ACTION_PERMISSIONS,
    ROLE_PERMISSIONS,
    Actor,
    Permission,
    Role,
    can,
    permission_for,
)

P, R = Permission, Role


def test_every_action_needs_a_permission() -> None:
    assert set(ACTION_PERMISSIONS) == set(Action)
    assert all(permission_for(action) is ACTION_PERMISSIONS[action] for action in Action)


def test_every_role_has_permissions_and_a_label() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    for role in Role:
        assert P.CASE_READ in ROLE_PERMISSIONS[role], role
        assert re.search(r"[\u4e00-\u9fff]", role.label), role


def test_every_permission_is_granted_to_some_role() -> None:
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted == set(Permission)


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_can_be_performed_by_someone(action: Action) -> None:
    assert any(can([role], permission_for(action)) for role in Role), action


@pytest.mark.parametrize(
    ("action", "permission"),
    [
        (Action.REGISTER, P.CASE_REGISTER),
        (Action.REFUSE, P.CASE_REGISTER),
        (Action.APPROVE, P.CASE_APPROVE),
        (Action.REJECT, P.CASE_APPROVE),
        (Action.DISPATCH, P.CASE_DISPATCH),
        (Action.SIGN_FOR, P.CASE_HANDLE),
        (Action.REPLY, P.CASE_HANDLE),
        (Action.CLOSE, P.CASE_CLOSE),
        (Action.REOPEN, P.CASE_CLOSE),
        (Action.EXTEND, P.CASE_EXTEND),
        (Action.ESCALATE, P.CASE_SUPERVISE),
    ],
)
def test_key_actions_map_to_their_permission(action: Action, permission: Permission) -> None:
    assert permission_for(action) is permission


# (role, permission, granted): the sentences of the matrix that matter most.
MATRIX = [
    (R.HANDLER, P.CASE_HANDLE, True),
    (R.HANDLER, P.CASE_DISPATCH, False),
    (R.HANDLER, P.CASE_REGISTER, False),
    (R.HANDLER, P.CASE_APPROVE, False),
    (R.HANDLER, P.CASE_CLOSE, False),
    (R.HANDLER, P.IDENTITY_REVEAL, False),
    (R.INTAKE_OFFICER, P.CASE_INTAKE, True),
    (R.INTAKE_OFFICER, P.CASE_REGISTER, True),
    (R.INTAKE_OFFICER, P.CASE_HANDLE, True),  # answers simple matters on the spot
    (R.INTAKE_OFFICER, P.CASE_DISPATCH, False),
    (R.INTAKE_OFFICER, P.CASE_APPROVE, False),
    (R.DUTY_LEADER, P.CASE_DISPATCH, True),
    (R.DUTY_LEADER, P.CASE_HANDLE, False),
    (R.APPROVER, P.CASE_APPROVE, True),
    (R.APPROVER, P.IDENTITY_REVEAL, True),
    (R.APPROVER, P.CASE_HANDLE, False),
    (R.UNIT_HEAD, P.CASE_HANDLE, True),
    (R.UNIT_HEAD, P.CASE_EXTEND, True),
    (R.UNIT_HEAD, P.CASE_DISPATCH, False),
    (R.SUPERVISOR, P.CASE_SUPERVISE, True),
    (R.SUPERVISOR, P.AUDIT_READ, True),
    (R.SUPERVISOR, P.CASE_HANDLE, False),
    (R.SUPERVISOR, P.IDENTITY_REVEAL, True),
    (R.TENANT_ADMIN, P.TENANT_ADMIN, True),
    (R.TENANT_ADMIN, P.CASE_HANDLE, False),
    (R.TENANT_ADMIN, P.IDENTITY_REVEAL, False),
]


@pytest.mark.parametrize(("role", "permission", "granted"), MATRIX, ids=str)
def test_matrix(role: Role, permission: Permission, granted: bool) -> None:
    assert can([role], permission) is granted


def test_auditor_reads_only() -> None:
    assert ROLE_PERMISSIONS[R.AUDITOR] == {P.CASE_READ, P.AUDIT_READ, P.LEDGER_READ, P.CASE_MATERIALS}
    assert not any(can([R.AUDITOR], permission_for(action)) for action in Action)


def test_only_intake_leaders_and_supervisors_may_reveal_an_identity() -> None:
    # Handlers, unit heads (the accused's side), admins and auditors see masks only.
    allowed = [role for role in Role if can([role], P.IDENTITY_REVEAL)]
    assert allowed == [R.INTAKE_OFFICER, R.APPROVER, R.SUPERVISOR]


def test_only_the_tenant_admin_manages_the_tenant() -> None:
    assert [role for role in Role if can([role], P.TENANT_ADMIN)] == [R.TENANT_ADMIN]


def test_can_grants_the_union_of_roles() -> None:
    assert can([], P.CASE_READ) is False
    assert can([R.HANDLER, R.AUDITOR], P.AUDIT_READ) is True
    assert can([R.HANDLER, R.AUDITOR], P.CASE_DISPATCH) is False
    assert can(iter([R.AUDITOR, R.APPROVER]), P.CASE_APPROVE) is True


def test_actor_can() -> None:
    leader = Actor("zhao", display_name="赵", roles=frozenset({R.APPROVER, R.DUTY_LEADER}))
    assert leader.can(P.CASE_APPROVE) and leader.can(P.CASE_INTAKE) and leader.can(P.CASE_DISPATCH)
    assert not leader.can(P.CASE_HANDLE)
    assert not Actor("nobody").can(P.CASE_READ)  # no role, no permission
    handler = Actor("li", roles=frozenset({R.HANDLER}), unit_code="jcs")
    assert handler.can(permission_for(Action.REPLY))
    assert not handler.can(permission_for(Action.DISPATCH))


def test_the_matrix_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        ROLE_PERMISSIONS[R.AUDITOR] = frozenset(Permission)  # type: ignore[index]
    with pytest.raises(TypeError):
        ACTION_PERMISSIONS[Action.CLOSE] = P.CASE_READ  # type: ignore[index]


def test_the_handling_unit_never_reads_complaint_materials() -> None:
    # It may be the accused's own department (成都机关事务管理局: 不得将投诉材料交给被投诉人).
    assert not can([R.HANDLER, R.UNIT_HEAD], P.CASE_MATERIALS)
    assert not can([R.HANDLER, R.UNIT_HEAD], P.IDENTITY_REVEAL)


def test_require_refuses_naming_the_permission_and_lets_the_holder_through() -> None:
    handler = Actor("li", roles=frozenset({R.HANDLER}), unit_code="jcs")
    handler.require(P.CASE_HANDLE)
    with pytest.raises(NotPermitted, match="case:dispatch"):
        handler.require(P.CASE_DISPATCH)
    with pytest.raises(NotPermitted, match="case:read"):
        Actor.from_public().require(P.CASE_READ)
