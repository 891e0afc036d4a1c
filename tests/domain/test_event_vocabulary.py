"""One vocabulary of events.

Every name the platform writes is a member of `EventName`, spelled nowhere else, with one staff
label and, for the portal, the words the public reads.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.domain.events import EventName, event_label, on_portal
from core.domain.lifecycle import Action

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = ROOT / "core" / "domain" / "events.py"


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_no_event_name_is_spelled_outside_the_vocabulary() -> None:
    names = {member.value for member in EventName}
    spelled = {
        str(path.relative_to(ROOT)): sorted(_string_constants(path) & names)
        for folder in ("core", "plugins")
        for path in (ROOT / folder).rglob("*.py")
        if path != VOCABULARY and "migrations" not in path.parts
    }
    assert {path: found for path, found in spelled.items() if found} == {}


def test_each_action_writes_its_own_member_with_the_action_s_words() -> None:
    written = [action.event_name for action in Action]
    assert all(isinstance(name, EventName) for name in written)
    assert len(set(written)) == len(written)
    assert all(action.label == action.event_name.label for action in Action)


def test_a_person_s_escalation_and_the_platform_s_are_two_events() -> None:
    assert Action.ESCALATE.event_name is EventName.ESCALATED
    assert EventName.AUTO_ESCALATED != EventName.ESCALATED
    assert EventName.AUTO_ESCALATED.label != EventName.ESCALATED.label


def test_the_portal_shows_only_what_the_public_may_read() -> None:
    shown = {member for member in EventName if member.portal_label}
    # The public follows its case's progress; who read the identity, internal approval steps,
    # reminders and the platform's own escalations stay inside.
    assert EventName.RECEIVED in shown and EventName.REPLIED in shown and EventName.CLOSED in shown
    assert not shown & {
        EventName.IDENTITY_REVEALED,
        EventName.SUBMITTED_FOR_APPROVAL,
        EventName.APPROVED,
        EventName.REMINDED,
        EventName.AUTO_ESCALATED,
        EventName.INSTRUCTED,
        EventName.DOCUMENT_ISSUED,
    }
    assert all(member.portal_label or not member.portal_fields for member in EventName)
    assert EventName.REFUSED.portal_fields == ("reason",)
    assert on_portal("case_replied") is EventName.REPLIED
    assert on_portal("case_approved") is None
    assert on_portal("plugin_own_event") is None


def test_an_unknown_stored_name_reads_as_itself() -> None:
    assert event_label("case_dispatched") == "转办"
    assert event_label("plugin_own_event") == "plugin_own_event"
