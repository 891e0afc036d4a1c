"""The case lifecycle as one table: `(state, action) -> next state`, checked in one place.

Plugins may add guards (vetoes) and approval levels through their hooks; they cannot add an
edge to this table or bypass it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from core.domain.cases import CaseState
from core.domain.errors import IllegalTransition
from core.domain.events import EventName

__all__ = ["TRANSITIONS", "Action", "allowed_actions", "next_state"]


class Action(enum.StrEnum):
    """Something a person does to a case; each one writes an event."""

    REGISTER = "register"  # 登记: number and classify what was received
    ACCEPT = "accept"  # 受理
    REFUSE = "refuse"  # 不予受理, with the reason told to the person
    REFER_OUT = "refer_out"  # 移送/告知: out of jurisdiction, name the competent body
    REQUEST_SUPPLEMENT = "request_supplement"  # 一次性告知 what is missing
    SUPPLY = "supply"  # 补正: the missing material arrived
    SUBMIT_FOR_APPROVAL = "submit_for_approval"  # 呈报: draft opinion goes to the approval chain
    APPROVE = "approve"  # 审批同意: one level of the chain signs
    REJECT = "reject"  # 审批退回: a level sends the draft back
    DISPATCH = "dispatch"  # 转办/交办: to a handling unit with cause 案由 and opinion 转办意见
    SIGN_FOR = "sign_for"  # 签收: the unit takes it, a named person owns it
    RETURN = "return"  # 退信: the unit sends a misrouted case back
    REPLY = "reply"  # 答复: the answer, in the required mode
    RECORD_FEEDBACK = "record_feedback"  # 反馈: the person's satisfaction
    CLOSE = "close"  # 办结
    ARCHIVE = "archive"  # 归档
    REQUEST_EXTENSION = "request_extension"  # 延期申请: the handling side asks for more time
    EXTEND = "extend"  # 延期: more time, within the plugin's cap, granted by a leader
    ESCALATE = "escalate"  # 督办/升级: raised to the next level
    INSTRUCT = "instruct"  # 批示: the (duty) leader's instruction, recorded and relayed (传)
    ARRIVE = "arrive"  # 到达现场: the receiving unit is on site (on-site complaints)
    FOLLOW_UP = "follow_up"  # 跟: following execution, reporting verified facts back
    REOPEN = "reopen"  # 重办: handled again after a dissatisfied answer
    INVESTIGATE = "investigate"  # 调查取证: who investigated, whom they asked, the signed record
    SET_DEADLINE = "set_deadline"  # 约定期限: a date agreed with (or committed to) the person
    ORDER_REMEDY = "order_remedy"  # 责令整改: the accused must stop or put it right by a date
    CONFIRM_REMEDY = "confirm_remedy"  # 整改验收: the ordered remedy was checked and done

    @property
    def label(self) -> str:
        """The Chinese name shown to people: the words of the event it writes."""
        return self.event_name.label

    @property
    def event_name(self) -> EventName:
        """The past-tense event this action writes, e.g. `case_dispatched`."""
        return _EVENTS[self]


_EVENTS = {
    Action.REGISTER: EventName.REGISTERED,
    Action.ACCEPT: EventName.ACCEPTED,
    Action.REFUSE: EventName.REFUSED,
    Action.REFER_OUT: EventName.REFERRED_OUT,
    Action.REQUEST_SUPPLEMENT: EventName.SUPPLEMENT_REQUESTED,
    Action.SUPPLY: EventName.SUPPLIED,
    Action.SUBMIT_FOR_APPROVAL: EventName.SUBMITTED_FOR_APPROVAL,
    Action.APPROVE: EventName.APPROVED,
    Action.REJECT: EventName.REJECTED,
    Action.DISPATCH: EventName.DISPATCHED,
    Action.SIGN_FOR: EventName.SIGNED_FOR,
    Action.RETURN: EventName.RETURNED,
    Action.REPLY: EventName.REPLIED,
    Action.RECORD_FEEDBACK: EventName.FEEDBACK_RECORDED,
    Action.CLOSE: EventName.CLOSED,
    Action.ARCHIVE: EventName.ARCHIVED,
    Action.REQUEST_EXTENSION: EventName.EXTENSION_REQUESTED,
    Action.EXTEND: EventName.EXTENDED,
    Action.ESCALATE: EventName.ESCALATED,
    Action.INSTRUCT: EventName.INSTRUCTED,
    Action.ARRIVE: EventName.ARRIVED_ON_SITE,
    Action.FOLLOW_UP: EventName.FOLLOWED_UP,
    Action.REOPEN: EventName.REOPENED,
    Action.INVESTIGATE: EventName.INVESTIGATED,
    Action.SET_DEADLINE: EventName.DEADLINE_SET,
    Action.ORDER_REMEDY: EventName.REMEDY_ORDERED,
    Action.CONFIRM_REMEDY: EventName.REMEDY_CONFIRMED,
}

S, A = CaseState, Action

# Escalation and extension keep the state: they raise attention or grant time, the case stays put.
_ESCALATABLE = (
    S.REGISTERED,
    S.AWAITING_SUPPLEMENT,
    S.ACCEPTED,
    S.PENDING_APPROVAL,
    S.DISPATCHED,
    S.IN_HANDLING,
    S.RETURNED,
    S.REPLIED,
)

_EXTENDABLE = (S.ACCEPTED, S.PENDING_APPROVAL, S.DISPATCHED, S.IN_HANDLING, S.RETURNED)
# Instructions, arrival and follow-up are recorded steps: the case stays where it is.
_ON_SITE = (S.DISPATCHED, S.IN_HANDLING)
_FOLLOWED = (S.DISPATCHED, S.IN_HANDLING, S.RETURNED, S.REPLIED)
_INVESTIGATED = (S.ACCEPTED, S.DISPATCHED, S.IN_HANDLING)
# An order to put things right may outlive the answer: it is checked until the case closes.
_REMEDIED = (S.ACCEPTED, S.DISPATCHED, S.IN_HANDLING, S.REPLIED, S.FEEDBACK)

_TABLE: dict[tuple[CaseState, Action], CaseState] = {
    (S.RECEIVED, A.REGISTER): S.REGISTERED,
    (S.REGISTERED, A.ACCEPT): S.ACCEPTED,
    (S.REGISTERED, A.REFUSE): S.REFUSED,
    (S.REGISTERED, A.REFER_OUT): S.REFERRED_OUT,
    (S.REGISTERED, A.REQUEST_SUPPLEMENT): S.AWAITING_SUPPLEMENT,
    (S.AWAITING_SUPPLEMENT, A.SUPPLY): S.REGISTERED,
    (S.AWAITING_SUPPLEMENT, A.REFUSE): S.REFUSED,
    (S.ACCEPTED, A.SUBMIT_FOR_APPROVAL): S.PENDING_APPROVAL,
    (S.ACCEPTED, A.DISPATCH): S.DISPATCHED,
    (S.ACCEPTED, A.REPLY): S.REPLIED,  # answered on the spot, e.g. a consultation
    (S.ACCEPTED, A.REFER_OUT): S.REFERRED_OUT,
    (S.PENDING_APPROVAL, A.APPROVE): S.PENDING_APPROVAL,
    (S.PENDING_APPROVAL, A.REJECT): S.ACCEPTED,
    (S.PENDING_APPROVAL, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.SIGN_FOR): S.IN_HANDLING,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.IN_HANDLING, A.REPLY): S.REPLIED,
    (S.IN_HANDLING, A.RETURN): S.RETURNED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.REPLIED, A.RECORD_FEEDBACK): S.FEEDBACK,
    (S.REPLIED, A.CLOSE): S.CLOSED,
    (S.REPLIED, A.REOPEN): S.IN_HANDLING,
    (S.FEEDBACK, A.CLOSE): S.CLOSED,
    (S.FEEDBACK, A.REOPEN): S.IN_HANDLING,
    (S.REFUSED, A.CLOSE): S.CLOSED,
    (S.REFERRED_OUT, A.CLOSE): S.CLOSED,
    (S.CLOSED, A.ARCHIVE): S.ARCHIVED,
    (S.CLOSED, A.REOPEN): S.IN_HANDLING,
    # Some rules ask for the person's feedback after closing (e.g. within 2 days of it).
    (S.CLOSED, A.RECORD_FEEDBACK): S.CLOSED,
    **{(state, A.ESCALATE): state for state in _ESCALATABLE},
    **{(state, A.EXTEND): state for state in _EXTENDABLE},
    **{(state, A.REQUEST_EXTENSION): state for state in _EXTENDABLE},
    **{(state, A.INSTRUCT): state for state in _ESCALATABLE},
    **{(state, A.ARRIVE): state for state in _ON_SITE},
    **{(state, A.FOLLOW_UP): state for state in _FOLLOWED},
    **{(state, A.INVESTIGATE): state for state in _INVESTIGATED},
    **{(state, A.SET_DEADLINE): state for state in _EXTENDABLE},
    **{(state, A.ORDER_REMEDY): state for state in _REMEDIED},
    **{(state, A.CONFIRM_REMEDY): state for state in _REMEDIED},
}

TRANSITIONS: Mapping[tuple[CaseState, Action], CaseState] = MappingProxyType(_TABLE)
"""Every legal move of a case. Anything not listed is an `IllegalTransition`."""

del S, A


def allowed_actions(state: CaseState) -> tuple[Action, ...]:
    """The actions the table allows from `state`, in declaration order."""
    return tuple(action for (from_state, action) in TRANSITIONS if from_state is state)


def next_state(state: CaseState, action: Action) -> CaseState:
    """Where `action` takes a case in `state`.

    Raises:
        IllegalTransition: the table has no such edge; the error names the state, the action
            and what is allowed instead.
    """
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = allowed_actions(state)
        raise IllegalTransition(
            state.value,
            action.value,
            tuple(a.value for a in allowed),
            labels=(state.label, action.label, tuple(a.label for a in allowed)),
        ) from None
