"""Commands: what a person asks to do to a case, one frozen dataclass per lifecycle action.

Each command validates its own payload when built, so a refusal without a reason or a
dispatch without a unit never reaches the services. `core.domain.payloads` builds one from
the plain mapping an API, a form or the CLI receives.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

from core.domain.calendar import Period
from core.domain.cases import Complexity, Satisfaction, Severity, SeverityFlag
from core.domain.errors import InvalidCommand
from core.domain.lifecycle import Action

__all__ = [
    "COMMANDS",
    "FIELD_LABELS",
    "AcceptCase",
    "ApproveCase",
    "ArchiveCase",
    "ArriveOnSite",
    "CaseCommand",
    "CloseCase",
    "ConfirmRemedy",
    "DispatchCase",
    "DispatchMode",
    "EscalateCase",
    "ExtendCase",
    "FollowUp",
    "InstructCase",
    "OrderRemedy",
    "Outcome",
    "RecordFeedback",
    "RecordInvestigation",
    "ReferCaseOut",
    "RefuseCase",
    "RegisterCase",
    "RejectCase",
    "ReopenCase",
    "ReplyMode",
    "ReplyToCase",
    "RequestExtension",
    "RequestSupplement",
    "ReturnCase",
    "SetDeadline",
    "SignForCase",
    "SubmitForApproval",
    "SupplyMaterial",
]


class ReplyMode(enum.StrEnum):
    """How an answer reaches the person."""

    WRITTEN = "written"  # 书面答复: a letter or form
    IN_PERSON = "in_person"  # 当面答复: the person signs and marks satisfaction
    PHONE = "phone"  # 电话答复: with a call record
    SMS = "sms"  # 短信
    EMAIL = "email"  # 电子邮件
    ONLINE = "online"  # 网上答复
    ON_THE_SPOT = "on_the_spot"  # 当场答复: at the window or on the hotline, at once
    PUBLIC_NOTICE = "public_notice"  # 定期公布: for anonymous people who cannot be reached

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _REPLY_MODE_LABELS[self]


_REPLY_MODE_LABELS = {
    ReplyMode.WRITTEN: "书面答复",
    ReplyMode.IN_PERSON: "当面答复",
    ReplyMode.PHONE: "电话答复",
    ReplyMode.SMS: "短信答复",
    ReplyMode.EMAIL: "电子邮件答复",
    ReplyMode.ONLINE: "网上答复",
    ReplyMode.ON_THE_SPOT: "当场答复",
    ReplyMode.PUBLIC_NOTICE: "公开答复",
}


def _required(value: str, field: str, label: str) -> None:
    if not value or not value.strip():
        raise InvalidCommand(f"请填写{label} ({field} is required)", field=field)


@dataclass(frozen=True, slots=True)
class CaseCommand:
    """Base of all commands; `action` names the lifecycle edge the command asks for."""

    action: ClassVar[Action]


@dataclass(frozen=True, slots=True)
class RegisterCase(CaseCommand):
    """登记: confirm or change how the case is classified.

    A field left out (None) keeps what the case has, which intake and the plugin set; only a
    field given changes, and the event records the change from what to what.
    """

    action: ClassVar[Action] = Action.REGISTER
    category: str | None = None
    severity: Severity | None = None
    complexity: Complexity | None = None
    flags: frozenset[SeverityFlag] | None = None


@dataclass(frozen=True, slots=True)
class AcceptCase(CaseCommand):
    """受理."""

    action: ClassVar[Action] = Action.ACCEPT
    note: str = ""


@dataclass(frozen=True, slots=True)
class RefuseCase(CaseCommand):
    """不予受理: the reason is told to the person."""

    action: ClassVar[Action] = Action.REFUSE
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.reason, "reason", "不予受理的理由")


@dataclass(frozen=True, slots=True)
class ReferCaseOut(CaseCommand):
    """移送: not ours; name the competent body so the person can be told where to go."""

    action: ClassVar[Action] = Action.REFER_OUT
    agency: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.agency, "agency", "有权处理的机关")


@dataclass(frozen=True, slots=True)
class RequestSupplement(CaseCommand):
    """一次性告知: everything missing, said at once."""

    action: ClassVar[Action] = Action.REQUEST_SUPPLEMENT
    items: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not any(item.strip() for item in self.items):
            raise InvalidCommand("请一次性列明需要补正的全部材料 (items is required)", field="items")


@dataclass(frozen=True, slots=True)
class SupplyMaterial(CaseCommand):
    """补正: the missing material arrived.

    `fields` are intake values the supplement brings (a demand stated, a transcript signed);
    they are merged into the case's fields, so acceptance conditions are checked afresh. The
    service accepts only the tenant's non-identity intake fields here: identity stays apart.
    """

    action: ClassVar[Action] = Action.SUPPLY
    note: str = ""
    fields: Mapping[str, str] = dataclasses.field(default_factory=lambda: types.MappingProxyType({}))

    def __post_init__(self) -> None:
        if any(not isinstance(key, str) or not key.strip() for key in self.fields):
            raise InvalidCommand("补正的字段名不能为空 (fields keys must be names)", field="fields")
        object.__setattr__(self, "fields", types.MappingProxyType(dict(self.fields)))


@dataclass(frozen=True, slots=True)
class SubmitForApproval(CaseCommand):
    """呈报: a draft handling opinion goes to the approval chain."""

    action: ClassVar[Action] = Action.SUBMIT_FOR_APPROVAL
    opinion: str = ""

    def __post_init__(self) -> None:
        _required(self.opinion, "opinion", "拟办意见")


@dataclass(frozen=True, slots=True)
class ApproveCase(CaseCommand):
    """审批同意: the next level of the chain signs."""

    action: ClassVar[Action] = Action.APPROVE
    opinion: str = ""


@dataclass(frozen=True, slots=True)
class RejectCase(CaseCommand):
    """审批退回: the draft goes back with the reason."""

    action: ClassVar[Action] = Action.REJECT
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.reason, "reason", "退回理由")


class DispatchMode(enum.StrEnum):
    """How a case leaves the dispatcher (分流转办的方式)."""

    SELF = "self"  # 自办: the receiving body handles it itself
    TRANSFER = "transfer"  # 转办: to another body, which answers for it
    ASSIGN = "assign"  # 交办: assigned down, with a report back required
    DIVERT = "divert"  # 分流: diverted by duty division to a squad

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return {"self": "自办", "transfer": "转办", "assign": "交办", "divert": "分流"}[self.value]


@dataclass(frozen=True, slots=True)
class DispatchCase(CaseCommand):
    """转办: to a handling unit with the cause 案由 and the dispatch opinion 转办意见."""

    action: ClassVar[Action] = Action.DISPATCH
    unit_code: str = ""
    cause: str = ""
    opinion: str = ""
    mode: DispatchMode = DispatchMode.TRANSFER

    def __post_init__(self) -> None:
        _required(self.unit_code, "unit_code", "承办单位")
        _required(self.cause, "cause", "案由")
        _required(self.opinion, "opinion", "转办意见")


@dataclass(frozen=True, slots=True)
class SignForCase(CaseCommand):
    """签收: a named person in the unit owns the case from now on."""

    action: ClassVar[Action] = Action.SIGN_FOR
    handler: str = ""

    def __post_init__(self) -> None:
        _required(self.handler, "handler", "签收人")


@dataclass(frozen=True, slots=True)
class ReturnCase(CaseCommand):
    """退信: misrouted; back to the dispatcher with the reason."""

    action: ClassVar[Action] = Action.RETURN
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.reason, "reason", "退信理由")


@dataclass(frozen=True, slots=True)
class ReplyToCase(CaseCommand):
    """答复: the answer and how it reaches the person."""

    action: ClassVar[Action] = Action.REPLY
    mode: ReplyMode = ReplyMode.WRITTEN
    content: str = ""

    def __post_init__(self) -> None:
        _required(self.content, "content", "答复内容")


@dataclass(frozen=True, slots=True)
class RecordFeedback(CaseCommand):
    """反馈: the person's satisfaction with the answer."""

    action: ClassVar[Action] = Action.RECORD_FEEDBACK
    satisfaction: Satisfaction = Satisfaction.UNREACHABLE
    note: str = ""


class Outcome(enum.StrEnum):
    """What handling found, recorded at closing; upheld complaints and verified reports count."""

    UPHELD = "upheld"  # 投诉属实: the respondent answers for it (sanctions)
    NOT_UPHELD = "not_upheld"  # 投诉不属实
    VERIFIED = "verified"  # 举报查实: the reporter may be rewarded
    UNVERIFIED = "unverified"  # 查无实据
    ANSWERED = "answered"  # 咨询已解答
    FABRICATED = "fabricated"  # 捏造事实、诬告: marked and referred, nobody is sanctioned for it

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.UPHELD: "投诉属实",
    Outcome.NOT_UPHELD: "投诉不属实",
    Outcome.VERIFIED: "举报查实",
    Outcome.UNVERIFIED: "查无实据",
    Outcome.ANSWERED: "咨询已解答",
    Outcome.FABRICATED: "捏造事实，已移交处理",
}


@dataclass(frozen=True, slots=True)
class CloseCase(CaseCommand):
    """办结, with what handling found: an upheld complaint names its respondent.

    `amount` is the money at stake where a rule needs it (a loss the company paid, a fine that
    sets a reporter's reward).
    """

    action: ClassVar[Action] = Action.CLOSE
    summary: str = ""
    outcome: Outcome | None = None
    respondent: str = ""
    respondent_unit: str = ""  # the accused's unit code, for per-unit ledgers (e.g. the window)
    amount: Decimal = Decimal("0")
    commission: Decimal = Decimal("0")  # commission earned on the deal, for claw-back rules
    referred_to: str = ""  # where a fabricated accusation is referred

    def __post_init__(self) -> None:
        if self.outcome is Outcome.UPHELD:
            _required(self.respondent, "respondent", "被投诉人（承担责任的人员或单位）")
        if self.outcome is Outcome.FABRICATED:
            _required(self.referred_to, "referred_to", "移交处理的部门（捏造事实的投诉须移交）")
        if self.amount < 0:
            raise InvalidCommand("金额不能为负数", field="amount")
        if self.commission < 0:
            raise InvalidCommand("提成金额不能为负数", field="commission")


@dataclass(frozen=True, slots=True)
class ArchiveCase(CaseCommand):
    """归档."""

    action: ClassVar[Action] = Action.ARCHIVE


@dataclass(frozen=True, slots=True)
class ExtendCase(CaseCommand):
    """延期: more time on a timer, within the plugin's cap; the reason is told to the person."""

    action: ClassVar[Action] = Action.EXTEND
    period: Period | None = None
    reason: str = ""
    timer: str = ""

    def __post_init__(self) -> None:
        if self.period is None:
            raise InvalidCommand("请填写延长期限，如“10 working days” (period is required)", field="period")
        _required(self.reason, "reason", "延期理由")


@dataclass(frozen=True, slots=True)
class RequestExtension(CaseCommand):
    """延期申请: the handler asks a leader for more time, saying why; `ExtendCase` grants it."""

    action: ClassVar[Action] = Action.REQUEST_EXTENSION
    period: Period | None = None
    reason: str = ""
    timer: str = ""

    def __post_init__(self) -> None:
        if self.period is None:
            raise InvalidCommand("请填写申请延长的期限，如“10 working days”", field="period")
        _required(self.reason, "reason", "申请延期的理由")


@dataclass(frozen=True, slots=True)
class EscalateCase(CaseCommand):
    """督办/升级: raise the case to the next level."""

    action: ClassVar[Action] = Action.ESCALATE
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.reason, "reason", "督办理由")


@dataclass(frozen=True, slots=True)
class InstructCase(CaseCommand):
    """批示: the leader's instruction, recorded so it can be relayed and followed."""

    action: ClassVar[Action] = Action.INSTRUCT
    instruction: str = ""

    def __post_init__(self) -> None:
        _required(self.instruction, "instruction", "批示内容")


@dataclass(frozen=True, slots=True)
class ArriveOnSite(CaseCommand):
    """到达现场: the receiving unit reports it is on site."""

    action: ClassVar[Action] = Action.ARRIVE
    note: str = ""


@dataclass(frozen=True, slots=True)
class FollowUp(CaseCommand):
    """跟: a check on how the case is going; `verified` when the facts are confirmed."""

    action: ClassVar[Action] = Action.FOLLOW_UP
    note: str = ""
    verified: bool = False

    def __post_init__(self) -> None:
        _required(self.note, "note", "跟踪核实情况")


@dataclass(frozen=True, slots=True)
class RecordInvestigation(CaseCommand):
    """调查取证: who investigated, whom, where, what they found, and whether it is signed."""

    action: ClassVar[Action] = Action.INVESTIGATE
    investigators: tuple[str, ...] = ()
    interviewee: str = ""
    place: str = ""  # where the questioning took place, as the record states
    findings: str = ""
    signed: bool = False  # the record was signed by the person questioned

    def __post_init__(self) -> None:
        if not any(name.strip() for name in self.investigators):
            raise InvalidCommand("请填写调查人员 (investigators is required)", field="investigators")
        if len({name.strip() for name in self.investigators}) != len(self.investigators):
            raise InvalidCommand("调查人员不能重复", field="investigators")
        _required(self.findings, "findings", "调查情况")


@dataclass(frozen=True, slots=True)
class SetDeadline(CaseCommand):
    """约定期限: a date agreed with the person, or committed to them, replaces a timer's due date.

    Only timers the plugin marks `negotiable` accept it; the deadline ends at 23:59:59 local
    on `due_on`.
    """

    action: ClassVar[Action] = Action.SET_DEADLINE
    timer: str = ""
    due_on: date | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.timer, "timer", "要约定的期限（计时器）")
        if self.due_on is None:
            raise InvalidCommand("请填写约定的日期，如 2026-12-10 (due_on is required)", field="due_on")
        _required(self.reason, "reason", "约定期限的原因")


@dataclass(frozen=True, slots=True)
class OrderRemedy(CaseCommand):
    """责令整改: the accused must stop or put things right by `due_on` (a `remedy` deadline)."""

    action: ClassVar[Action] = Action.ORDER_REMEDY
    accused: str = ""
    measures: str = ""
    due_on: date | None = None

    def __post_init__(self) -> None:
        _required(self.accused, "accused", "被责令整改的单位或人员")
        _required(self.measures, "measures", "整改要求（停止或纠正的行为）")
        if self.due_on is None:
            raise InvalidCommand("请填写整改期限，如 2026-12-10 (due_on is required)", field="due_on")


@dataclass(frozen=True, slots=True)
class ConfirmRemedy(CaseCommand):
    """整改验收: the ordered remedy was checked and found done; its deadline stops."""

    action: ClassVar[Action] = Action.CONFIRM_REMEDY
    note: str = ""

    def __post_init__(self) -> None:
        _required(self.note, "note", "整改验收情况")


@dataclass(frozen=True, slots=True)
class ReopenCase(CaseCommand):
    """重办: the answer did not settle it."""

    action: ClassVar[Action] = Action.REOPEN
    reason: str = ""

    def __post_init__(self) -> None:
        _required(self.reason, "reason", "重办理由")


COMMANDS: Mapping[Action, type[CaseCommand]] = types.MappingProxyType(
    {
        cls.action: cls
        for cls in (
            RegisterCase,
            AcceptCase,
            RefuseCase,
            ReferCaseOut,
            RequestSupplement,
            SupplyMaterial,
            SubmitForApproval,
            ApproveCase,
            RejectCase,
            DispatchCase,
            SignForCase,
            ReturnCase,
            ReplyToCase,
            RecordFeedback,
            CloseCase,
            ArchiveCase,
            RequestExtension,
            ExtendCase,
            EscalateCase,
            InstructCase,
            ArriveOnSite,
            FollowUp,
            ReopenCase,
            RecordInvestigation,
            SetDeadline,
            OrderRemedy,
            ConfirmRemedy,
        )
    }
)
"""The command class of every action."""


FIELD_LABELS: Mapping[str, str] = {
    "category": "类别",
    "severity": "严重程度",
    "complexity": "复杂程度",
    "flags": "特别标记",
    "note": "备注",
    "reason": "理由",
    "agency": "有权处理的机关",
    "items": "需补正的材料（每行一项）",
    "opinion": "意见",
    "unit_code": "承办单位",
    "cause": "案由",
    "mode": "方式",
    "handler": "签收人",
    "content": "答复内容",
    "satisfaction": "满意度",
    "summary": "办理结果摘要",
    "outcome": "办理结论",
    "respondent": "被投诉人（承担责任的人员或单位）",
    "amount": "涉及金额（元）",
    "period": "期限（如 5 working days、10 days、2 hours）",
    "timer": "期限种类（可不填）",
    "instruction": "批示内容",
    "verified": "已核实",
    "investigators": "调查人员（每行一人，至少两人）",
    "interviewee": "被调查人",
    "place": "调查地点",
    "findings": "调查情况",
    "signed": "笔录已由被调查人签名",
    "accused": "被责令整改的单位",
    "measures": "整改措施",
    "due_on": "日期（如 2026-12-31）",
    "respondent_unit": "被投诉人所在单位代码",
    "commission": "涉及提成（元）",
    "referred_to": "移交处理的部门",
}
"""How people name each command field: the action forms' labels, and the words of errors."""
