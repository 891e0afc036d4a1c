"""Commands from plain payloads: every action builds, every malformed payload is named."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.domain.calendar import Period, PeriodUnit
from core.domain.cases import Complexity, Satisfaction, Severity, SeverityFlag
from core.domain.commands import (
    COMMANDS,
    DispatchCase,
    ExtendCase,
    RegisterCase,
    ReplyMode,
    ReplyToCase,
    RequestSupplement,
)
from core.domain.errors import InvalidCommand
from core.domain.lifecycle import Action
from core.domain.payloads import command_from_payload

# A valid payload for every action, as JSON would bring it (enums and periods as text, lists).
VALID: dict[Action, dict[str, Any]] = {
    Action.REGISTER: {
        "category": "no_disclosure",
        "severity": "major",
        "complexity": "complex",
        "flags": ["mass"],
    },
    Action.ACCEPT: {"note": "符合受理条件"},
    Action.REFUSE: {"reason": "不属于受理范围"},
    Action.REFER_OUT: {"agency": "县市场监督管理局", "reason": "属其职责"},
    Action.REQUEST_SUPPLEMENT: {"items": ["身份证明", "缴费票据"]},
    Action.SUPPLY: {"note": "材料已补齐"},
    Action.SUBMIT_FOR_APPROVAL: {"opinion": "拟转党政办办理"},
    Action.APPROVE: {"opinion": "同意"},
    Action.REJECT: {"reason": "拟办意见不明确"},
    Action.DISPATCH: {"unit_code": "jcs", "cause": "政务公开", "opinion": "请于5个工作日内办结"},
    Action.SIGN_FOR: {"handler": "李四"},
    Action.RETURN: {"reason": "不属本单位职责"},
    Action.REPLY: {"mode": "phone", "content": "经核实，已更新公开栏。"},
    Action.RECORD_FEEDBACK: {"satisfaction": "basically_satisfied", "note": "电话回访"},
    Action.CLOSE: {"summary": "已办结"},
    Action.ARCHIVE: {},
    Action.REQUEST_EXTENSION: {"period": "10 working days", "reason": "需现场核查", "timer": "handling"},
    Action.INSTRUCT: {"instruction": "请稽查大队立即派员到场"},
    Action.ARRIVE: {"note": "已到达现场"},
    Action.FOLLOW_UP: {"note": "经回访核实，已退款", "verified": True},
    Action.EXTEND: {"period": "10 working days", "reason": "需现场核查", "timer": "handling"},
    Action.ESCALATE: {"reason": "逾期未签收"},
    Action.REOPEN: {"reason": "投诉人不满意"},
    Action.INVESTIGATE: {
        "investigators": ["王五", "赵六"],
        "interviewee": "窗口工作人员",
        "findings": "经调查，情况属实",
        "signed": True,
    },
    Action.SET_DEADLINE: {"timer": "handling", "due_on": "2026-12-10", "reason": "与客户约定"},
    Action.ORDER_REMEDY: {
        "accused": "计生服务站",
        "measures": "立即停止违规收费并退还",
        "due_on": "2026-12-10",
    },
    Action.CONFIRM_REMEDY: {"note": "已退还全部费用"},
}

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def refused(action: Action, payload: dict[str, Any]) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as raised:
        command_from_payload(action, payload)
    assert CHINESE.search(str(raised.value)), f"not a message a person can act on: {raised.value}"
    return raised.value


def test_every_action_has_a_command_and_a_sample_here() -> None:
    assert set(COMMANDS) == set(Action)
    assert set(VALID) == set(Action)
    assert all(cls.action is action for action, cls in COMMANDS.items())


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_command_from_a_valid_payload(action: Action) -> None:
    command = command_from_payload(action, VALID[action])
    assert type(command) is COMMANDS[action]
    assert command.action is action
    for name, value in VALID[action].items():
        built = getattr(command, name)
        if isinstance(value, list):
            assert sorted(str(item) for item in built) == sorted(value), name
        else:
            assert built == value or str(built) == value, name


def test_values_are_converted_to_their_types() -> None:
    register = command_from_payload(Action.REGISTER, VALID[Action.REGISTER])
    assert register == RegisterCase(
        category="no_disclosure",
        severity=Severity.MAJOR,
        complexity=Complexity.COMPLEX,
        flags=frozenset({SeverityFlag.MASS}),
    )
    supplement = command_from_payload(Action.REQUEST_SUPPLEMENT, VALID[Action.REQUEST_SUPPLEMENT])
    assert supplement == RequestSupplement(items=("身份证明", "缴费票据"))
    extend = command_from_payload(Action.EXTEND, VALID[Action.EXTEND])
    assert isinstance(extend, ExtendCase)
    assert extend.period == Period(10, PeriodUnit.WORKING_DAYS)
    assert command_from_payload(Action.EXTEND, {"period": "5个工作日", "reason": "r"}).period == Period(
        5, PeriodUnit.WORKING_DAYS
    )
    reply = command_from_payload(Action.REPLY, VALID[Action.REPLY])
    assert reply == ReplyToCase(mode=ReplyMode.PHONE, content="经核实，已更新公开栏。")
    feedback = command_from_payload(Action.RECORD_FEEDBACK, VALID[Action.RECORD_FEEDBACK])
    assert feedback.satisfaction is Satisfaction.BASICALLY_SATISFIED  # type: ignore[attr-defined]


def test_text_is_trimmed() -> None:
    dispatch = command_from_payload(
        Action.DISPATCH, {"unit_code": " jcs ", "cause": "案由\n", "opinion": " 意见"}
    )
    assert dispatch == DispatchCase(unit_code="jcs", cause="案由", opinion="意见")


def test_defaults_apply_to_optional_fields() -> None:
    assert command_from_payload(Action.REGISTER, {}) == RegisterCase()
    assert command_from_payload(Action.REPLY, {"content": "答复"}) == ReplyToCase(
        mode=ReplyMode.WRITTEN, content="答复"
    )


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_unknown_fields_are_refused_and_the_known_ones_listed(action: Action) -> None:
    error = refused(action, {**VALID[action], "zeta": 1, "colour": "red"})
    assert error.field == "colour"  # the first unknown, alphabetically
    assert "colour" in str(error) and "zeta" in str(error)
    assert action.label in str(error)
    for name in VALID[action]:
        assert name in str(error)


def test_action_is_not_a_payload_field() -> None:
    assert refused(Action.ACCEPT, {"action": "close"}).field == "action"


@pytest.mark.parametrize(
    ("action", "payload", "field", "words"),
    [
        (Action.REFUSE, {"reason": 123}, "reason", "应为文字"),
        (Action.REFUSE, {"reason": None}, "reason", "应为文字"),
        (Action.DISPATCH, {"unit_code": ["jcs"], "cause": "c", "opinion": "o"}, "unit_code", "应为文字"),
        (Action.REQUEST_SUPPLEMENT, {"items": "身份证明"}, "items", "应为列表"),
        (Action.REQUEST_SUPPLEMENT, {"items": {"a": 1}}, "items", "应为列表"),
        (Action.REQUEST_SUPPLEMENT, {"items": ["身份证明", 7]}, "items", "应为文字"),
        (Action.REGISTER, {"flags": "mass"}, "flags", "应为列表"),
        (Action.EXTEND, {"period": 10, "reason": "r"}, "period", "期限"),
        (Action.EXTEND, {"period": "10 fortnights", "reason": "r"}, "period", "无法识别的期限"),
        (Action.EXTEND, {"period": "0 working days", "reason": "r"}, "period", "正整数"),
    ],
)
def test_wrong_types_are_named(action: Action, payload: dict[str, Any], field: str, words: str) -> None:
    error = refused(action, payload)
    assert error.field == field
    assert words in str(error)


@pytest.mark.parametrize(
    ("action", "payload", "field", "bad"),
    [
        (Action.REGISTER, {"severity": "huge"}, "severity", "huge"),
        (Action.REGISTER, {"complexity": "simple"}, "complexity", "simple"),
        (Action.REGISTER, {"flags": ["mass", "loud"]}, "flags", "loud"),
        (Action.REPLY, {"mode": "fax", "content": "c"}, "mode", "fax"),
        (Action.RECORD_FEEDBACK, {"satisfaction": "happy"}, "satisfaction", "happy"),
        (Action.RECORD_FEEDBACK, {"satisfaction": None}, "satisfaction", "None"),
    ],
)
def test_bad_enum_values_list_the_choices(
    action: Action, payload: dict[str, Any], field: str, bad: str
) -> None:
    error = refused(action, payload)
    assert error.field == field
    assert bad in str(error)
    assert "可选" in str(error)


def test_bad_enum_message_lists_every_choice() -> None:
    error = refused(Action.REPLY, {"mode": "fax", "content": "c"})
    assert all(mode.value in str(error) for mode in ReplyMode)


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        (Action.REFUSE, {}, "reason"),
        (Action.REFUSE, {"reason": "   "}, "reason"),
        (Action.REFER_OUT, {"reason": "r"}, "agency"),
        (Action.REQUEST_SUPPLEMENT, {}, "items"),
        (Action.REQUEST_SUPPLEMENT, {"items": []}, "items"),
        (Action.REQUEST_SUPPLEMENT, {"items": ["  ", ""]}, "items"),
        (Action.SUBMIT_FOR_APPROVAL, {}, "opinion"),
        (Action.REJECT, {}, "reason"),
        (Action.DISPATCH, {"cause": "c", "opinion": "o"}, "unit_code"),
        (Action.DISPATCH, {"unit_code": "jcs", "opinion": "o"}, "cause"),
        (Action.DISPATCH, {"unit_code": "jcs", "cause": "c"}, "opinion"),
        (Action.DISPATCH, {"unit_code": "jcs", "cause": " ", "opinion": "o"}, "cause"),
        (Action.SIGN_FOR, {}, "handler"),
        (Action.RETURN, {}, "reason"),
        (Action.REPLY, {"mode": "written"}, "content"),
        (Action.EXTEND, {"reason": "r"}, "period"),
        (Action.EXTEND, {"period": None, "reason": "r"}, "period"),
        (Action.EXTEND, {"period": "5 working days"}, "reason"),
        (Action.ESCALATE, {}, "reason"),
        (Action.REOPEN, {}, "reason"),
    ],
)
def test_missing_required_fields_are_named(action: Action, payload: dict[str, Any], field: str) -> None:
    error = refused(action, payload)
    assert error.field == field
    assert error.code == "invalid_command"


def test_dates_are_iso_days_and_named_when_wrong() -> None:
    command = command_from_payload(Action.SET_DEADLINE, VALID[Action.SET_DEADLINE])
    assert str(command.due_on) == "2026-12-10"  # type: ignore[attr-defined]
    error = refused(Action.ORDER_REMEDY, {**VALID[Action.ORDER_REMEDY], "due_on": "12/10/2026"})
    assert error.field == "due_on"
    assert refused(Action.ORDER_REMEDY, {**VALID[Action.ORDER_REMEDY], "due_on": 20261210}).field == "due_on"


def test_an_investigation_names_distinct_investigators_and_its_findings() -> None:
    assert refused(Action.INVESTIGATE, {"investigators": [], "findings": "x"}).field == "investigators"
    assert (
        refused(Action.INVESTIGATE, {"investigators": ["王五", "王五"], "findings": "x"}).field
        == "investigators"
    )
    assert refused(Action.INVESTIGATE, {"investigators": ["王五"]}).field == "findings"


def test_a_fabricated_accusation_names_where_it_is_referred() -> None:
    assert refused(Action.CLOSE, {"outcome": "fabricated"}).field == "referred_to"
    closed = command_from_payload(Action.CLOSE, {"outcome": "fabricated", "referred_to": "市纪委监委"})
    assert closed.referred_to == "市纪委监委"  # type: ignore[attr-defined]
