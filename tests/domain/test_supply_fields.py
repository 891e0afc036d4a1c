"""补正 with fields: a supplement brings intake values, merged into the case so acceptance is rechecked."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.commands import SupplyMaterial
from core.domain.errors import InvalidCommand
from core.domain.lifecycle import Action
from core.domain.payloads import command_from_payload
from core.domain.roles import Actor, Role
from core.domain.transitions import decide

NOW = datetime.fromisoformat("2026-10-08T09:30:00+08:00")
OFFICER = Actor("chen", roles=frozenset({Role.INTAKE_OFFICER}))


def waiting(**fields: str) -> Case:
    return Case(
        id=9,
        tenant_id=1,
        serial="CDC-2026-000009",
        kind=CaseKind.COMPLAINT,
        channel=Channel.VISIT,
        state=CaseState.AWAITING_SUPPLEMENT,
        title="接种告知",
        content="内容",
        received_at=datetime.fromisoformat("2026-09-30T10:00:00+08:00"),
        fields=fields,
    )


def test_supplied_fields_are_merged_into_the_case_and_recorded():
    case = waiting(facts="接种时未告知", statement="unsigned_transcript")
    decision = decide(
        case,
        SupplyMaterial(note="已签字", fields={"statement": "signed_transcript", "demands": "道歉"}),
        actor=OFFICER,
        now=NOW,
    )
    assert decision.case.state is CaseState.REGISTERED
    assert dict(decision.case.fields) == {
        "facts": "接种时未告知",
        "statement": "signed_transcript",
        "demands": "道歉",
    }
    assert dict(case.fields)["statement"] == "unsigned_transcript"  # the old snapshot is untouched
    assert decision.event.data["fields"] == {"statement": "signed_transcript", "demands": "道歉"}


def test_a_supplement_without_fields_leaves_the_fields_alone():
    case = waiting(facts="接种时未告知")
    decision = decide(case, SupplyMaterial(note="补交了票据"), actor=OFFICER, now=NOW)
    assert decision.case.fields is case.fields
    assert decision.event.data["fields"] == {}


def test_fields_come_from_a_payload_as_an_object_of_text():
    command = command_from_payload(Action.SUPPLY, {"fields": {"demands": " 道歉 "}})
    assert isinstance(command, SupplyMaterial) and dict(command.fields) == {"demands": "道歉"}
    with pytest.raises(InvalidCommand, match="对象"):
        command_from_payload(Action.SUPPLY, {"fields": ["demands"]})
    with pytest.raises(InvalidCommand, match="文字"):
        command_from_payload(Action.SUPPLY, {"fields": {"demands": 3}})
    with pytest.raises(InvalidCommand, match="字段名"):
        SupplyMaterial(fields={" ": "x"})
