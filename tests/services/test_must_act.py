"""Who must act on a case, the one rule every 催办 and 督办 follows (`must_act`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.roles import Role
from core.services.notify import must_act
from core.store.directory import UserRecord


def user(username: str, *roles: Role, unit: str | None = None, active: bool = True) -> UserRecord:
    return UserRecord(1, 1, username, username, frozenset(roles), unit, active, "")


USERS = (
    user("operator", Role.INTAKE_OFFICER),
    user("leader", Role.APPROVER, Role.DUTY_LEADER),
    user("night-leader", Role.DUTY_LEADER),
    user("handler", Role.HANDLER, unit="jcs"),
    user("handler2", Role.HANDLER, unit="jcs"),
    user("gone", Role.HANDLER, unit="jcs", active=False),
    user("head", Role.UNIT_HEAD, unit="jcs"),
    user("other-head", Role.UNIT_HEAD, unit="dzb"),
    user("supervisor", Role.SUPERVISOR),
)
CASE = Case(
    id=1,
    tenant_id=1,
    serial="NX-2026-000001",
    kind=CaseKind.COMPLAINT,
    channel=Channel.PHONE,
    state=CaseState.ACCEPTED,
    title="t",
    content="c",
    received_at=datetime(2026, 11, 2, tzinfo=UTC),
)


def test_before_dispatch_the_desk_and_the_leader_on_duty():
    assert must_act(CASE, USERS, on_duty="leader") == ["leader", "operator"]
    # No shift covers now: every duty leader.
    assert must_act(CASE, USERS, on_duty=None) == ["leader", "night-leader", "operator"]


def test_a_dispatched_case_its_units_handlers_and_heads_then_its_handler_alone():
    sent = dataclasses.replace(CASE, state=CaseState.DISPATCHED, unit_code="jcs")
    assert must_act(sent, USERS, on_duty="leader") == ["handler", "handler2", "head"]
    signed = dataclasses.replace(sent, state=CaseState.IN_HANDLING, handler="handler2")
    assert must_act(signed, USERS, on_duty=None) == ["handler2", "head"]


def test_the_plugins_named_people_join_unless_unknown_or_inactive():
    sent = dataclasses.replace(CASE, state=CaseState.DISPATCHED, unit_code="jcs", handler="handler")
    named = ("operator", "nobody", "gone")
    assert must_act(sent, USERS, on_duty=None, named=named) == ["handler", "head", "operator"]
