"""Every value people see has one Chinese name, given by the domain (pages and documents use it)."""

from __future__ import annotations

import re

import pytest

from core.domain.cases import CaseKind, CaseState, Channel, Complexity, Satisfaction, Severity, SeverityFlag
from core.domain.commands import DispatchMode, Outcome, ReplyMode
from core.domain.events import EventName
from core.domain.ledger import AppealDecision, EntryType
from core.domain.lifecycle import Action
from core.domain.sla import TimerState

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "enum",
    [
        CaseKind,
        Channel,
        CaseState,
        Severity,
        SeverityFlag,
        Complexity,
        Satisfaction,
        ReplyMode,
        Outcome,
        Action,
        AppealDecision,
        EntryType,
        DispatchMode,
        TimerState,
        EventName,
    ],
    ids=lambda e: e.__name__,
)
def test_each_value_has_its_own_chinese_name(enum) -> None:
    labels = [member.label for member in enum]
    assert all(CHINESE.search(label) for label in labels), labels
    assert len(set(labels)) == len(labels), labels
