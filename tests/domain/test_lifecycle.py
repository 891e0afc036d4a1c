"""The lifecycle table: every edge, every state reachable, every other move refused."""

from __future__ import annotations

import re
from collections import deque

import pytest

from core.domain.cases import CaseState
from core.domain.errors import IllegalTransition
from core.domain.events import EventName
from core.domain.lifecycle import TRANSITIONS, Action, allowed_actions, next_state

ILLEGAL = [(state, action) for state in CaseState for action in Action if (state, action) not in TRANSITIONS]


@pytest.mark.parametrize(("edge", "to_state"), list(TRANSITIONS.items()), ids=lambda v: str(v))
def test_every_edge_of_the_table(edge: tuple[CaseState, Action], to_state: CaseState) -> None:
    state, action = edge
    assert next_state(state, action) is to_state
    assert action in allowed_actions(state)


def test_the_table_reads_as_the_lifecycle() -> None:
    # The main path, spelled out: a regression in the table shows here as a sentence.
    path = [
        (Action.REGISTER, CaseState.REGISTERED),
        (Action.ACCEPT, CaseState.ACCEPTED),
        (Action.SUBMIT_FOR_APPROVAL, CaseState.PENDING_APPROVAL),
        (Action.APPROVE, CaseState.PENDING_APPROVAL),
        (Action.DISPATCH, CaseState.DISPATCHED),
        (Action.SIGN_FOR, CaseState.IN_HANDLING),
        (Action.REPLY, CaseState.REPLIED),
        (Action.RECORD_FEEDBACK, CaseState.FEEDBACK),
        (Action.CLOSE, CaseState.CLOSED),
        (Action.ARCHIVE, CaseState.ARCHIVED),
    ]
    state = CaseState.RECEIVED
    for action, expected in path:
        state = next_state(state, action)
        assert state is expected, action


def test_every_state_is_reachable_from_received() -> None:
    seen = {CaseState.RECEIVED}
    queue = deque([CaseState.RECEIVED])
    while queue:
        state = queue.popleft()
        for action in allowed_actions(state):
            target = TRANSITIONS[(state, action)]
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(CaseState)


def test_only_archived_is_final() -> None:
    assert [state for state in CaseState if not allowed_actions(state)] == [CaseState.ARCHIVED]


def test_every_action_is_used_by_the_table() -> None:
    assert {action for _, action in TRANSITIONS} == set(Action)


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_other_move_is_an_illegal_transition(state: CaseState, action: Action) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_state(state, action)
    error = raised.value
    assert error.state == state.value
    assert error.action == action.value
    assert error.allowed == tuple(a.value for a in allowed_actions(state))
    assert state.value in str(error) and action.value in str(error)
    assert error.code == "illegal_transition"


def test_illegal_transition_says_what_is_allowed_instead_in_words() -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_state(CaseState.RECEIVED, Action.CLOSE)
    message = str(raised.value)
    assert CaseState.RECEIVED.label in message and Action.CLOSE.label in message
    assert f"此状态可执行：{Action.REGISTER.label}" in message
    with pytest.raises(IllegalTransition) as raised:
        next_state(CaseState.ARCHIVED, Action.REOPEN)
    assert raised.value.allowed == ()
    assert "不可再执行任何操作" in str(raised.value)


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(CaseState.RECEIVED, Action.CLOSE)] = CaseState.CLOSED  # type: ignore[index]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (CaseState.RECEIVED, {Action.REGISTER}),
        (
            CaseState.REGISTERED,
            {
                Action.ACCEPT,
                Action.REFUSE,
                Action.REFER_OUT,
                Action.REQUEST_SUPPLEMENT,
                Action.ESCALATE,
                Action.INSTRUCT,
            },
        ),
        (
            CaseState.DISPATCHED,
            {
                Action.SIGN_FOR,
                Action.RETURN,
                Action.REQUEST_EXTENSION,
                Action.EXTEND,
                Action.ESCALATE,
                Action.INSTRUCT,
                Action.ARRIVE,
                Action.FOLLOW_UP,
                Action.INVESTIGATE,
                Action.SET_DEADLINE,
                Action.ORDER_REMEDY,
                Action.CONFIRM_REMEDY,
            },
        ),
        (
            CaseState.REPLIED,
            {
                Action.RECORD_FEEDBACK,
                Action.CLOSE,
                Action.REOPEN,
                Action.ESCALATE,
                Action.INSTRUCT,
                Action.FOLLOW_UP,
                Action.ORDER_REMEDY,
                Action.CONFIRM_REMEDY,
            },
        ),
        (CaseState.REFUSED, {Action.CLOSE}),
        (CaseState.CLOSED, {Action.ARCHIVE, Action.REOPEN, Action.RECORD_FEEDBACK}),
        (CaseState.ARCHIVED, set()),
    ],
)
def test_allowed_actions(state: CaseState, expected: set[Action]) -> None:
    allowed = allowed_actions(state)
    assert set(allowed) == expected
    assert len(allowed) == len(set(allowed))


def test_allowed_actions_keep_the_tables_declaration_order() -> None:
    # Screens list the actions in this order: the main path first.
    assert allowed_actions(CaseState.REGISTERED)[:4] == (
        Action.ACCEPT,
        Action.REFUSE,
        Action.REFER_OUT,
        Action.REQUEST_SUPPLEMENT,
    )
    assert allowed_actions(CaseState.DISPATCHED)[:2] == (Action.SIGN_FOR, Action.RETURN)


def test_escalation_keeps_the_state_and_only_open_unfinished_cases_escalate() -> None:
    escalatable = {state for (state, action) in TRANSITIONS if action is Action.ESCALATE}
    assert all(TRANSITIONS[(state, Action.ESCALATE)] is state for state in escalatable)
    assert not escalatable & {CaseState.RECEIVED, CaseState.CLOSED, CaseState.ARCHIVED, CaseState.REFUSED}


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_every_action_has_a_label_and_an_event_name(action: Action) -> None:
    assert re.search(r"[\u4e00-\u9fff]", action.label), action.label
    assert re.fullmatch(r"case_[a-z_]+", action.event_name), action.event_name


def test_labels_and_event_names_are_distinct() -> None:
    labels = [action.label for action in Action]
    events = [action.event_name for action in Action]
    assert len(set(labels)) == len(labels)
    assert len(set(events)) == len(events)
    assert EventName.RECEIVED not in events  # intake's event is not an action's
    assert Action.DISPATCH.event_name == "case_dispatched"
    assert Action.REQUEST_SUPPLEMENT.event_name == "case_supplement_requested"
    assert Action.RECORD_FEEDBACK.event_name == "case_feedback_recorded"


def test_every_state_has_a_label() -> None:
    labels = [state.label for state in CaseState]
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels)
    assert len(set(labels)) == len(labels)
    assert [state for state in CaseState if not state.is_open] == [CaseState.CLOSED, CaseState.ARCHIVED]
