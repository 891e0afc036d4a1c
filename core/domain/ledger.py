"""The accountability ledger as a journal: lines are never edited, only answered by new entries.

A sanction or reward derived from an event is a `line`. A correction or an appeal that
overturns or reduces a line writes a `reversal` of it (and, when reduced, a new line with the
reduced figures and the same `event_ref`). An `appeal` and its `appeal_decision`, and an agreed
`instalments` schedule, are entries too. `fold` reads the journal back into the standing of
each line; the rules for what may be written next live here, as pure functions.
"""

from __future__ import annotations

import calendar as _calendar
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from core.domain.decisions import AccountabilityKind, Sanction
from core.domain.errors import InvalidCommand, RuleViolation

__all__ = [
    "AppealDecision",
    "EntryType",
    "Instalment",
    "LedgerEntry",
    "LineStanding",
    "appeal_outcome",
    "check_appeal",
    "correction",
    "events_in_force",
    "fold",
    "split_instalments",
]

_CENT = Decimal("0.01")


class EntryType(enum.StrEnum):
    """What a journal entry records."""

    LINE = "line"  # a sanction or a reward, derived from an accountability event
    REVERSAL = "reversal"  # cancels a line: a correction, or an appeal overturned or reduced
    APPEAL = "appeal"  # the subject appeals a line 申诉
    APPEAL_DECISION = "appeal_decision"  # the decision on an appeal
    INSTALMENTS = "instalments"  # an agreed schedule for paying a line's amount 分期

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    EntryType.LINE: "记录",
    EntryType.REVERSAL: "撤销",
    EntryType.APPEAL: "申诉",
    EntryType.APPEAL_DECISION: "申诉决定",
    EntryType.INSTALMENTS: "分期约定",
}


class AppealDecision(enum.StrEnum):
    """How an appeal ends."""

    UPHOLD = "uphold"  # 维持: the line stands
    OVERTURN = "overturn"  # 撤销: the line is reversed
    REDUCE = "reduce"  # 变更（减轻）: reversed and replaced by a lighter line

    @property
    def label(self) -> str:
        """The Chinese name shown to people."""
        return {"uphold": "维持原处理", "overturn": "撤销原处理", "reduce": "减轻处理"}[self.value]


@dataclass(frozen=True, slots=True)
class Instalment:
    """One agreed payment."""

    due_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One journal entry as stored; `sanction` is set on lines only."""

    id: int | None
    type: EntryType
    subject: str
    at: datetime
    by: str = "system"
    unit_code: str = ""
    case_id: int | None = None
    event_kind: AccountabilityKind | None = None
    event_ref: str = ""  # the lines of one accountability event share it
    sanction: Sanction | None = None
    refers_to: int | None = None  # the line a reversal, appeal or schedule is about; the appeal a decision
    evidence: str = ""  # what the entry rests on: the case and event it derives from
    reason: str = ""
    decision: AppealDecision | None = None
    due_at: datetime | None = None  # an appeal's decision deadline
    schedule: tuple[Instalment, ...] = ()


@dataclass(frozen=True, slots=True)
class LineStanding:
    """A line read with everything written about it since."""

    line: LedgerEntry
    reversal: LedgerEntry | None = None
    appeal: LedgerEntry | None = None
    decision: LedgerEntry | None = None
    schedule: tuple[Instalment, ...] = ()
    replaced_by: int | None = None  # the lighter line an appeal or correction put in its place
    history: tuple[LedgerEntry, ...] = field(default=())

    @property
    def in_force(self) -> bool:
        """True until a reversal cancels the line."""
        return self.reversal is None

    @property
    def appeal_open(self) -> bool:
        """An appeal was lodged and is not yet decided."""
        return self.appeal is not None and self.decision is None

    def appeal_overdue(self, now: datetime) -> bool:
        """An open appeal past its decision deadline."""
        return (
            self.appeal_open
            and self.appeal is not None
            and self.appeal.due_at is not None
            and (now > self.appeal.due_at)
        )


def fold(entries: Iterable[LedgerEntry]) -> list[LineStanding]:
    """The standing of every line in the journal, in the order the lines were written."""
    ordered = sorted(entries, key=lambda e: (e.at, e.id or 0))
    lines: dict[int, LineStanding] = {}
    appeals: dict[int, int] = {}  # appeal entry id -> line id
    for entry in ordered:
        if entry.type is EntryType.LINE and entry.id is not None:
            lines[entry.id] = LineStanding(line=entry, history=(entry,))
            if entry.refers_to in lines:  # a replacement line names the one it replaces
                lines[entry.refers_to] = replace(lines[entry.refers_to], replaced_by=entry.id)
            continue
        if entry.type is EntryType.APPEAL_DECISION:
            line_id = appeals.get(entry.refers_to or -1)
            if line_id is not None:
                standing = lines[line_id]
                lines[line_id] = replace(standing, decision=entry, history=(*standing.history, entry))
            continue
        standing = lines.get(entry.refers_to or -1)
        if standing is None:
            continue
        history = (*standing.history, entry)
        if entry.type is EntryType.REVERSAL:
            lines[standing.line.id or 0] = replace(standing, reversal=entry, history=history)
        elif entry.type is EntryType.APPEAL:
            if entry.id is not None:
                appeals[entry.id] = standing.line.id or 0
            lines[standing.line.id or 0] = replace(standing, appeal=entry, history=history)
        elif entry.type is EntryType.INSTALMENTS:
            lines[standing.line.id or 0] = replace(standing, schedule=entry.schedule, history=history)
    return list(lines.values())


def events_in_force(
    standings: Iterable[LineStanding],
    subject: str,
    kind: AccountabilityKind,
    since: datetime,
    until: datetime,
) -> int:
    """How many accountability events of `kind` still hold `subject` to account in [since, until).

    An event counts once however many lines it wrote, and not at all once every one of its
    lines was reversed (an appeal overturned it): yearly ladders climb on what stands.
    """
    first_seen: dict[str, datetime] = {}
    standing_refs: set[str] = set()
    for s in standings:
        if s.line.subject != subject or s.line.event_kind is not kind:
            continue
        ref = s.line.event_ref or f"line-{s.line.id}"
        # A replacement line is written later; the event happened when its first line was.
        first_seen[ref] = min(first_seen.get(ref, s.line.at), s.line.at)
        if s.in_force:
            standing_refs.add(ref)
    return sum(1 for ref in standing_refs if since <= first_seen[ref] < until)


def check_appeal(standing: LineStanding) -> None:
    """Refuse an appeal the ledger cannot take.

    Raises:
        RuleViolation: the line cannot be appealed, no longer stands, or was appealed already.
    """
    sanction = standing.line.sanction
    if sanction is None or not sanction.appealable:
        raise RuleViolation("该记录不可申诉（依据规定不适用申诉）")
    if not standing.in_force:
        raise RuleViolation("该记录已被撤销，无需申诉")
    if standing.appeal is not None:
        state = "正在审理" if standing.appeal_open else "已作出决定"
        raise RuleViolation(f"该记录已申诉过一次（{state}），不能重复申诉")


def appeal_outcome(
    standing: LineStanding,
    decision: AppealDecision,
    *,
    reason: str,
    by: str,
    at: datetime,
    points: int | None = None,
    amount: Decimal | None = None,
) -> list[LedgerEntry]:
    """The entries a decision on the line's open appeal writes, in order.

    Uphold writes the decision; overturn adds a reversal; reduce adds a reversal and a lighter
    line (fewer points or a smaller amount, never more) with the same event.

    Raises:
        RuleViolation: no appeal is open, or a "reduction" is not lighter.
        InvalidCommand: the reason is missing, or a reduction has no new figure.
    """
    if not reason.strip():
        raise InvalidCommand("请填写申诉决定的理由 (reason is required)", field="reason")
    if not standing.appeal_open or standing.appeal is None:
        raise RuleViolation("该记录没有待审理的申诉")
    line, sanction = standing.line, standing.line.sanction
    assert sanction is not None  # an appeal is only ever lodged on a line
    written = [
        LedgerEntry(
            id=None,
            type=EntryType.APPEAL_DECISION,
            subject=line.subject,
            unit_code=line.unit_code,
            case_id=line.case_id,
            refers_to=standing.appeal.id,
            decision=decision,
            reason=reason.strip(),
            evidence=f"申诉 #{standing.appeal.id}",
            by=by,
            at=at,
        )
    ]
    if decision is AppealDecision.UPHOLD:
        return written
    written.append(_reversal(line, f"申诉{decision.label}：{reason.strip()}", by, at))
    if decision is AppealDecision.REDUCE:
        written.append(_lighter(line, sanction, points, amount, reason.strip(), by, at))
    return written


def correction(
    standing: LineStanding,
    *,
    reason: str,
    by: str,
    at: datetime,
    points: int | None = None,
    amount: Decimal | None = None,
) -> list[LedgerEntry]:
    """A correction: reverse the line and, when new figures are given, write the right line.

    Raises:
        InvalidCommand: the reason is missing.
        RuleViolation: the line no longer stands, or an appeal on it is being decided.
    """
    if not reason.strip():
        raise InvalidCommand("请填写更正理由 (reason is required)", field="reason")
    if not standing.in_force:
        raise RuleViolation("该记录已被撤销，不能再更正")
    if standing.appeal_open:
        raise RuleViolation("该记录的申诉正在审理，请通过申诉决定处理")
    line, sanction = standing.line, standing.line.sanction
    assert sanction is not None
    written = [_reversal(line, f"更正：{reason.strip()}", by, at)]
    if points is not None or amount is not None:
        written.append(
            _replacement(
                line,
                replace(
                    sanction,
                    points=sanction.points if points is None else _non_negative_points(points),
                    amount=sanction.amount if amount is None else _non_negative_amount(amount),
                ),
                f"更正后：{reason.strip()}",
                by,
                at,
            )
        )
    return written


def split_instalments(amount: Decimal, count: int, first_due: date) -> tuple[Instalment, ...]:
    """`amount` in `count` monthly payments from `first_due`, to the cent, the last taking the rest.

    Raises:
        InvalidCommand: fewer than two payments, more than 36, or nothing to pay.
    """
    if not 2 <= count <= 36:
        raise InvalidCommand("分期期数应在 2 到 36 期之间", field="count")
    total = amount.quantize(_CENT)
    if total <= 0:
        raise InvalidCommand("该记录没有需要分期的金额", field="count")
    share = (total / count).quantize(_CENT, rounding="ROUND_DOWN")
    if share <= 0:
        raise InvalidCommand("金额过小，不能分期", field="count")
    dues = [_months_after(first_due, n) for n in range(count)]
    amounts = [share] * (count - 1) + [total - share * (count - 1)]
    return tuple(Instalment(due_on=d, amount=a) for d, a in zip(dues, amounts, strict=True))


def _months_after(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, _calendar.monthrange(year, month)[1]))


def _reversal(line: LedgerEntry, reason: str, by: str, at: datetime) -> LedgerEntry:
    return LedgerEntry(
        id=None,
        type=EntryType.REVERSAL,
        subject=line.subject,
        unit_code=line.unit_code,
        case_id=line.case_id,
        event_kind=line.event_kind,
        event_ref=line.event_ref,
        refers_to=line.id,
        reason=reason,
        evidence=f"记录 #{line.id}",
        by=by,
        at=at,
    )


def _lighter(
    line: LedgerEntry,
    sanction: Sanction,
    points: int | None,
    amount: Decimal | None,
    reason: str,
    by: str,
    at: datetime,
) -> LedgerEntry:
    if points is None and amount is None:
        raise InvalidCommand("减轻处理须给出新的扣分或金额", field="points")
    new_points = sanction.points if points is None else _non_negative_points(points)
    new_amount = sanction.amount if amount is None else _non_negative_amount(amount)
    if new_points > sanction.points or new_amount > sanction.amount:
        raise RuleViolation("减轻处理不能重于原处理")
    if (new_points, new_amount) == (sanction.points, sanction.amount):
        raise RuleViolation("减轻处理须轻于原处理；如维持原处理，请选择“维持”")
    return _replacement(
        line, replace(sanction, points=new_points, amount=new_amount), f"申诉减轻：{reason}", by, at
    )


def _replacement(line: LedgerEntry, sanction: Sanction, reason: str, by: str, at: datetime) -> LedgerEntry:
    return replace(
        line,
        id=None,
        sanction=sanction,
        refers_to=line.id,
        reason=reason,
        evidence=line.evidence,
        by=by,
        at=at,
    )


def _non_negative_points(points: int) -> int:
    if points < 0:
        raise InvalidCommand("扣分不能为负数", field="points")
    return points


def _non_negative_amount(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise InvalidCommand("金额应为 0 至 9999999999.99 之间的数", field="amount")
    return amount.quantize(_CENT)
