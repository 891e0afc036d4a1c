"""An action changes only what its payload names: what intake and the plugin decided survives.

Every action of the lifecycle table, from every state it may be taken in, with a valid payload
that leaves the classification out, keeps the category, severity, complexity, flags, intake
fields and priority the case had. Re-classifying is an explicit register step, recorded.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from types import MappingProxyType

import pytest

from core.domain.cases import Case, CaseKind, CaseState, Channel, Complexity, Severity, SeverityFlag
from core.domain.commands import COMMANDS, RegisterCase
from core.domain.decisions import ApprovalStep
from core.domain.lifecycle import TRANSITIONS, Action
from core.domain.payloads import command_from_payload
from core.domain.roles import Actor, Role
from core.domain.transitions import CLASSIFICATION, decide
from core.sdk.samples import ConformanceSamples

NOW = datetime.fromisoformat("2026-10-12T10:00:00+08:00")
EVERYONE = Actor("everyone", roles=frozenset(Role))
CHAIN = (ApprovalStep("head", Role.APPROVER, "分管领导"),)

# What intake and the plugin's classification hook left on the case.
DECIDED = {
    "category": "no_disclosure",
    "severity": Severity.MAJOR,
    "complexity": Complexity.COMPLEX,
    "flags": frozenset({SeverityFlag.MASS}),
    "priority": 3,
    "owner": "operator",
    "fields": MappingProxyType({"respondent": "财政所", "situation": "no_disclosure"}),
}


def case_in(state: CaseState) -> Case:
    return Case(
        id=7,
        tenant_id=1,
        serial="NX-2026-000007",
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        state=state,
        title="政务公开栏未更新",
        content="村务公开栏三个月未更新。",
        received_at=NOW,
        unit_code="jcs" if state is not CaseState.RECEIVED else None,
        version=3,
        **DECIDED,
    )


EDGES = sorted(((state, action) for state, action in TRANSITIONS if action in COMMANDS), key=str)


@pytest.mark.parametrize(("state", "action"), EDGES, ids=[f"{s.value}-{a.value}" for s, a in EDGES])
def test_an_action_keeps_every_decided_field_its_payload_leaves_out(state, action):
    command = ConformanceSamples().sample_command(action)
    named = {f.name for f in dataclasses.fields(command) if getattr(command, f.name) is not None}
    # Approving and submitting need a chain to act on; everything else runs without one.
    chain = CHAIN if action in (Action.APPROVE, Action.SUBMIT_FOR_APPROVAL) else ()
    decision = decide(case_in(state), command, actor=EVERYONE, now=NOW, approval_chain=chain)
    for name, value in DECIDED.items():
        if name in named or (name == "fields" and action is Action.SUPPLY):
            continue
        assert getattr(decision.case, name) == value, f"{action.value} reset {name}"


def test_the_edges_cover_every_action_with_a_command():
    assert {action for _, action in EDGES} == set(COMMANDS)


def test_registering_with_an_empty_body_keeps_the_classification_and_records_no_change():
    command = command_from_payload(Action.REGISTER, {})
    decision = decide(case_in(CaseState.RECEIVED), command, actor=EVERYONE, now=NOW)
    assert {name: getattr(decision.case, name) for name in CLASSIFICATION} == {
        name: DECIDED[name] for name in CLASSIFICATION
    }
    assert "reclassified" not in decision.event.data


def test_re_classifying_is_recorded_from_what_to_what_by_whom_and_when():
    command = RegisterCase(severity=Severity.GENERAL, category="no_disclosure")
    decision = decide(case_in(CaseState.RECEIVED), command, actor=EVERYONE, now=NOW)
    assert decision.case.severity is Severity.GENERAL
    assert decision.case.complexity is Complexity.COMPLEX  # not named: kept
    assert decision.event.data["reclassified"] == {"severity": {"from": "major", "to": "general"}}
    assert (decision.event.actor, decision.event.at) == ("everyone", NOW)
