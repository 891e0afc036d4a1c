"""The quality bureau's complaint and report rules as small named sentences, testable without pluggy.

Clause references ("质监局制度 一") point at 第三篇 质量技术监督局举报、投诉制度, quoted in this
plugin's README. Where the regulation is silent (deadlines, reward amounts, sanctions for
staff) the docstring says the rule is the plugin's reading, and its numbers come from tenant
settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.sdk import (
    AccountabilityEvent,
    AccountabilityKind,
    Action,
    ApprovalStep,
    Case,
    CaseCommand,
    CaseKind,
    Channel,
    CloseCase,
    Outcome,
    Period,
    ReplyMode,
    Role,
    Routing,
    Sanction,
    SanctionKind,
    TimerRule,
    Unit,
)

__all__ = [
    "AREA",
    "BASIS",
    "FOLLOWED_UP",
    "INDUSTRY",
    "LEADER_APPROVAL",
    "PRODUCT",
    "WILDCARD",
    "OutcomeFitsKind",
    "RewardTerms",
    "approval_chain",
    "identity_readers",
    "matrix_choices",
    "reply_modes",
    "reward_for",
    "route_for",
    "sanctions_for",
    "timer_rules",
]

BASIS = "质监局制度"

AREA = "area"
"""Intake field: the jurisdiction area 管辖区域 (a key of the routing matrix, e.g. 城东)."""
INDUSTRY = "industry"
"""Intake field: the industry 行业性质 (a key of the routing matrix, e.g. 特种设备)."""
PRODUCT = "product"
"""Intake field: the product or enterprise the complaint or report is about."""

WILDCARD = "*"
"""In a routing key, any area or any industry."""

FOLLOWED_UP = frozenset({CaseKind.COMPLAINT, CaseKind.REPORT})
"""The kinds the regulation governs (举报、投诉); consultations are answered by the office."""

LEADER_APPROVAL = ApprovalStep("bureau_leader", Role.APPROVER, "局领导审批")
"""The one approval level of clause 一."""

_CENT = Decimal("0.01")


# --- 一: register, approve, transfer by area and industry -----------------------------------------


def approval_chain(case: Case) -> tuple[ApprovalStep, ...]:
    """A complaint or report is transferred only after a bureau leader approved it (一)."""
    return (LEADER_APPROVAL,) if case.kind in FOLLOWED_UP else ()


def _normalise(matrix: Mapping[str, object]) -> dict[str, str]:
    """The matrix with keys as ``area/industry`` without stray spaces; malformed entries dropped."""
    table: dict[str, str] = {}
    for key, code in matrix.items():
        area, slash, industry = str(key).partition("/")
        if slash and area.strip() and industry.strip() and isinstance(code, str) and code.strip():
            table[f"{area.strip()}/{industry.strip()}"] = code.strip()
    return table


def matrix_choices(matrix: Mapping[str, object]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The areas and industries the routing matrix names (without the wildcard), sorted."""
    keys = [key.split("/") for key in _normalise(matrix)]
    areas = sorted({area for area, _ in keys} - {WILDCARD})
    industries = sorted({industry for _, industry in keys} - {WILDCARD})
    return tuple(areas), tuple(industries)


def route_for(case: Case, matrix: Mapping[str, object], units: Sequence[Unit]) -> Routing | None:
    """The handling unit by jurisdiction area, then industry (一); the most specific entry wins.

    Keys are tried in this order: ``area/industry``, ``area/*``, ``*/industry``, ``*/*``. The
    clause names the area before the industry (按照管辖区域权限、行业性质), so an area entry beats
    an industry entry; a bureau that wants an industry handled centrally in one area writes the
    exact ``area/industry`` key. An entry naming a unit the tenant does not have is skipped.
    No entry: None, and the dispatcher chooses.
    """
    area = str(case.fields.get(AREA, "") or "").strip()
    industry = str(case.fields.get(INDUSTRY, "") or "").strip()
    table = _normalise(matrix)
    names = {unit.code: unit.name for unit in units}
    tries = []
    if area and industry:
        tries.append((f"{area}/{industry}", "管辖区域和行业"))
    if area:
        tries.append((f"{area}/{WILDCARD}", "管辖区域"))
    if industry:
        tries.append((f"{WILDCARD}/{industry}", "行业"))
    tries.append((f"{WILDCARD}/{WILDCARD}", "默认承办单位"))
    for key, how in tries:
        code = table.get(key)
        if code is not None and code in names:
            product = str(case.fields.get(PRODUCT, "") or "").strip()
            return Routing(
                unit_code=code,
                cause=f"{case.kind.label}：{product or case.title}",
                reason=f"按{how}转交{names[code]}（路由表“{key}”，{BASIS} 一）",
            )
    return None


# --- 二: confidentiality -----------------------------------------------------------------------


def identity_readers(*, supervisors_too: bool) -> frozenset[Role]:
    """Only the office and the bureau leaders see the name and address (二).

    The office is the intake officer (局办公室 registers every case), the leaders sign the
    approval. A tenant may let supervisors read identities too (setting); handlers never do.
    """
    readers = {Role.INTAKE_OFFICER, Role.APPROVER}
    if supervisors_too:
        readers.add(Role.SUPERVISOR)
    return frozenset(readers)


# --- 三: result reported back, the complainant told -------------------------------------------

_ON_PAPER = frozenset({Channel.LETTER, Channel.FAX, Channel.BOX, Channel.REFERRAL})
_ONLINE = frozenset({Channel.EMAIL, Channel.WEB})


def reply_modes(case: Case) -> frozenset[ReplyMode]:
    """How the office tells the complainant the result (三); written cases get a written answer.

    The plugin's reading: a letter, fax, box slip or a case handed down is answered in writing;
    e-mail and web cases in writing, by e-mail or online; a call or a visit in any direct way.
    An anonymous person cannot be reached, so a periodic public notice is allowed for them too.
    """
    if case.channel in _ON_PAPER:
        modes = {ReplyMode.WRITTEN}
    elif case.channel in _ONLINE:
        modes = {ReplyMode.WRITTEN, ReplyMode.EMAIL, ReplyMode.ONLINE}
    else:
        modes = set(ReplyMode) - {ReplyMode.PUBLIC_NOTICE}
    if case.anonymous:
        modes.add(ReplyMode.PUBLIC_NOTICE)
    return frozenset(modes)


def timer_rules(
    case: Case, *, transfer_days: int, handling_days: int, extension_cap_days: int
) -> tuple[TimerRule, ...]:
    """The plugin's reading of "及时" in 一 and 三: transfer and handling deadlines from settings.

    ``transfer``: from acceptance to dispatch (the leader's approval included), afresh after a
    misrouted case comes back. ``handling``: from the first dispatch to the result's reply; it
    keeps running through a return, so a misrouted case does not win time, and starts afresh
    when the case is reopened.
    """
    return (
        TimerRule(
            kind="transfer",
            label="审批转交时限",
            period=Period.parse(f"{transfer_days} working days"),
            basis=f"{BASIS} 一（及时转交，插件解读）",
            starts_on=Action.ACCEPT,
            restarts_on=frozenset({Action.RETURN}),
            stops_on=frozenset({Action.DISPATCH, Action.REFER_OUT, Action.REPLY}),
        ),
        TimerRule(
            kind="handling",
            label="办理时限",
            period=Period.parse(f"{handling_days} working days"),
            basis=f"{BASIS} 三（及时报送办理结果，插件解读）",
            starts_on=Action.DISPATCH,
            restarts_on=frozenset({Action.REOPEN}),
            stops_on=frozenset({Action.REPLY}),
            extension_cap=Period.parse(f"{extension_cap_days} working days"),
        ),
    )


# --- 四: rewards; sanctions ----------------------------------------------------------------------


def OutcomeFitsKind(case: Case, command: CaseCommand) -> str | None:
    """Only a report can close as verified: that outcome rewards a reporter (四)."""
    if (
        isinstance(command, CloseCase)
        and command.outcome in (Outcome.VERIFIED, Outcome.UNVERIFIED)
        and case.kind is not CaseKind.REPORT
    ):
        return f"只有举报件可以“查实/查无实据”办结，{case.kind.label}请选择其他办结结论（{BASIS} 四）"
    return None


def _decimal(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValueError(f'设置 {name} 应为十进制数字文本，如 "0.05"，实际为 {text!r}') from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"设置 {name} 应为非负数，实际为 {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class RewardTerms:
    """How a verified report's reward is computed: a rate of the amount, between a floor and a cap."""

    rate: Decimal
    cap: Decimal
    minimum: Decimal

    @classmethod
    def parse(cls, *, rate: str, cap: str, minimum: str) -> RewardTerms:
        """Terms from the settings' decimal texts.

        Raises:
            ValueError: a text is not a non-negative decimal, or the floor exceeds the cap.
        """
        terms = cls(
            rate=_decimal("reward_rate", rate),
            cap=_decimal("reward_cap", cap),
            minimum=_decimal("reward_min", minimum),
        )
        if terms.minimum > terms.cap:
            raise ValueError(f"设置 reward_min（{minimum}）不能大于 reward_cap（{cap}）")
        return terms


def reward_for(amount: Decimal, terms: RewardTerms) -> Decimal:
    """The reporter's reward: ``amount × rate``, at least the floor and at most the cap, in fen (四)."""
    raw = max(amount, Decimal("0")) * terms.rate
    return min(terms.cap, max(terms.minimum, raw)).quantize(_CENT, rounding=ROUND_HALF_UP)


def sanctions_for(event: AccountabilityEvent, terms: RewardTerms) -> tuple[Sanction, ...]:
    """Ledger lines: a reward for a verified report (四); criticism for an upheld complaint.

    四 defers the reward to the national, provincial and prefecture rules; `terms` are the
    tenant's placeholders for them. The regulation names no sanction for staff found at fault
    ("按照局有关制度进行处理" speaks of leaks only); the plugin's reading is one criticism line,
    appealable, leaving heavier measures to the bureau leaders. Other events carry nothing.
    """
    if event.kind is AccountabilityKind.REPORT_VERIFIED:
        reward = reward_for(event.amount, terms)
        return (
            Sanction(
                kind=SanctionKind.REWARD,
                basis=f"{BASIS} 四",
                amount=reward,
                appealable=False,
                note=(
                    f"查实金额 {event.amount} × {terms.rate}，不低于 {terms.minimum}、不高于 {terms.cap}"
                    "（国家、省、州奖励办法的本局配置值）"
                ),
            ),
        )
    if event.kind is AccountabilityKind.COMPLAINT_UPHELD:
        return (
            Sanction(
                kind=SanctionKind.CRITICISM,
                basis=f"{BASIS}（按局有关制度处理，插件解读）",
                note=f"本年度第 {event.count_in_year} 次；情节严重的由局领导另行决定",
            ),
        )
    if event.kind is AccountabilityKind.IDENTITY_LEAKED:
        # 二: "按照局有关制度进行处理" — those rules are not in the seed; a leak of a reporter's
        # name or address is read as at least a circulated criticism, referral left to the leaders.
        return (
            Sanction(
                kind=SanctionKind.CIRCULATED_CRITICISM,
                basis=f"{BASIS} 二（按局有关制度处理，插件解读）",
                note="泄露投诉举报人姓名、地址；造成后果的，由局领导决定移交有关部门严肃查处",
            ),
        )
    return ()


def ActingRoles(action: Action) -> frozenset[Role] | None:
    """三: the handling unit reports its result to the office, and the office notifies the person.

    So only the office (the intake officers of 局办公室) gives the reply; None leaves every other
    action to the permission matrix.
    """
    if action is Action.REPLY:
        return frozenset({Role.INTAKE_OFFICER})
    return None
