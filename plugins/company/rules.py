"""A company's customer complaint rules 客户投诉处理制度 as small named sentences, testable without pluggy.

Clause references ("四.10", "六.2") point at the quotations in this plugin's README: the
regulation numbers its sections 一–七 and the items inside them 1., 2., ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from core.sdk import (
    AccountabilityEvent,
    AccountabilityKind,
    Action,
    ApprovalStep,
    Case,
    CaseCommand,
    CaseKind,
    CaseState,
    Classification,
    CloseCase,
    Complexity,
    FieldSpec,
    IntakeSchema,
    Outcome,
    Period,
    PeriodUnit,
    Role,
    Routing,
    Sanction,
    SanctionKind,
    Satisfaction,
    StandardPhrase,
    Tier,
    TimerEffect,
    TimerPhase,
    TimerRule,
    Unit,
    tiered_amount,
)

__all__ = [
    "COMPLAINTS",
    "GM_STEP",
    "HANDLING_TIMER",
    "REIMBURSEMENT_TIERS",
    "SUBJECTS",
    "TITLE",
    "ResponsibilityDetermined",
    "SatisfiedBeforeClosing",
    "UnclearResponsibility",
    "approval_chain",
    "basis",
    "classification",
    "closing_roles",
    "fault_sanctions",
    "followers",
    "intake_schema",
    "late_sanctions",
    "phrases",
    "reimbursement",
    "route",
    "sanctions_for",
    "timer_effects",
    "timer_rules",
]

TITLE = "客户投诉处理制度"
"""The regulation's title, as every `basis` cites it."""

COMPLAINTS = frozenset({CaseKind.COMPLAINT})
"""The kinds the regulation governs: customer complaints (二). Consultations and reports keep the
core's defaults (no deadline, no sanctions)."""

SUBJECTS: Mapping[str, str] = {"product": "产品", "service": "服务", "other": "其他"}
"""What a customer complains about (二: "对公司产品、服务等方面不满意"); the case's category."""

HANDLING_TIMER = "handling"
"""The one deadline: 5 working days from acceptance, or the date agreed with the customer (五)."""

REIMBURSEMENT_TIERS = (Tier(Decimal(10000), Decimal("0.2")), Tier(None, Decimal("0.1")))
"""六.2: 20% of the part of the loss up to ¥10,000 and 10% of the part above."""

_ANSWERED_FEEDBACK = frozenset(
    {Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNREACHABLE}
)
_CAUSES = frozenset({Outcome.UPHELD, Outcome.NOT_UPHELD})


def basis(clause: str) -> str:
    """The basis text for one clause, e.g. "客户投诉处理制度 六.2"."""
    return f"{TITLE} {clause}"


# --- intake, classification, routing ------------------------------------------------------------


def intake_schema(kind: CaseKind) -> IntakeSchema:
    """What the first-asked person records (四.1): content, reason and the customer's demand.

    The content is the case's own text; the reason and the demand are fields. A complaint needs
    the customer's name and phone: it is resolved "直到客户满意" (四.5), which needs someone to ask.
    """
    return IntakeSchema(
        fields=(
            FieldSpec("subject", "投诉对象（产品或服务）", kinds=COMPLAINTS, choices=tuple(SUBJECTS.items())),
            FieldSpec("reason", "投诉理由", kinds=COMPLAINTS),
            FieldSpec("demand", "客户要求", kinds=COMPLAINTS),
            FieldSpec(
                "via",
                "转来机构（如消费者协会）",
                required=False,
                kinds=COMPLAINTS,
                help="客户通过消协等机构间接投诉的，填写该机构",
            ),
            FieldSpec("name", "客户姓名或单位", kinds=COMPLAINTS, identity=True),
            FieldSpec("phone", "联系电话", kinds=COMPLAINTS, identity=True),
        ),
        allow_anonymous=kind not in COMPLAINTS,
    )


def classification(case: Case) -> Classification:
    """Category = what the complaint is about (product, service, ...); the rest as registered."""
    subject = str(case.fields.get("subject", "") or "").strip()
    return Classification(
        category=subject or case.category,
        severity=case.severity,
        complexity=case.complexity,
        flags=case.flags,
        priority=case.priority,
    )


def route(case: Case, main_unit: str, units: Iterable[Unit]) -> Routing | None:
    """Every complaint goes to the Market Development Dept, the company's main handler (三).

    The dispatcher may pick the department responsible instead (三(6): "由各部门负责客户投诉问题
    的具体解决"). No suggestion when the tenant has no such unit.
    """
    if case.kind not in COMPLAINTS or main_unit not in {unit.code for unit in units}:
        return None
    return Routing(
        unit_code=main_unit,
        cause=f"客户投诉：{case.title}",
        reason=f"市场发展部作为公司对外处理客户投诉的主要部门，负责协调各部门及时处理（{basis('三')}）",
    )


# --- unclear responsibility goes to the VP or the GM ----------------------------------------------


def UnclearResponsibility(case: Case) -> str | None:
    """A complaint registered as complex — responsibility hard to settle — goes to the head (四.10).

    The company's regulation uses no other notion of complexity, so `Complexity.COMPLEX` at
    registration is how the Market Development Dept says "责任难以明确".
    """
    if case.kind in COMPLAINTS and case.complexity is Complexity.COMPLEX:
        return (
            "客户投诉事项的责任难以明确（公司与客户之间或公司各部门之间），"
            f"由市场发展部提交公司分管副总或总经理处理（{basis('四.10')}）"
        )
    return None


GM_STEP = ApprovalStep("gm", Role.APPROVER, "分管副总或总经理处理（责任难以明确）")
"""The one approval level of a complaint whose responsibility is unclear (四.10)."""


def approval_chain(case: Case) -> tuple[ApprovalStep, ...]:
    """The VP or GM decides who handles a complaint of unclear responsibility before it is sent (四.10)."""
    return (GM_STEP,) if UnclearResponsibility(case) else ()


# --- the deadline ---------------------------------------------------------------------------------


def timer_rules(case: Case, *, handling_days: int) -> tuple[TimerRule, ...]:
    """五: "自首问责任人受理起5个工作日或客户与公司协商确定的日期".

    The deadline runs from acceptance and ends with the complaint closed: the company's cause is
    fixed "直到客户满意" (四.5), so a dissatisfied customer's reopening keeps the same deadline
    (the timer is still running). A closed complaint reopened gets a fresh one. `negotiable`:
    the date agreed with the customer replaces it (the `set_deadline` action).
    """
    if case.kind not in COMPLAINTS:
        return ()
    return (
        TimerRule(
            kind=HANDLING_TIMER,
            label="客户投诉处理期限",
            period=Period(handling_days, PeriodUnit.WORKING_DAYS),
            basis=basis("五"),
            starts_on=Action.ACCEPT,
            restarts_on=frozenset({Action.REOPEN}),
            stops_on=frozenset({Action.CLOSE, Action.REFER_OUT}),
            negotiable=True,
        ),
    )


def timer_effects(phase: TimerPhase) -> tuple[TimerEffect, ...]:
    """The Market Development Dept urges (四.6); a late complaint holds its people to account (六.1).

    A company issues no numbered supervision notices: reminders do the urging.
    """
    if phase is TimerPhase.WARNING:
        return (TimerEffect.REMIND,)
    return (TimerEffect.REMIND, TimerEffect.ACCOUNTABILITY)


# --- closing: responsibility settled, the customer satisfied --------------------------------------


def ResponsibilityDetermined(case: Case, command: CaseCommand) -> str | None:
    """An answered complaint closes with its responsibility settled (四.3, 四.4, 四.5).

    `upheld` is the company's cause (the respondent is the employee or department at fault),
    `not_upheld` the customer's own cause. The sanctions of 六 depend on it.
    """
    if (
        isinstance(command, CloseCase)
        and case.kind in COMPLAINTS
        and case.state in (CaseState.REPLIED, CaseState.FEEDBACK)
        and command.outcome not in _CAUSES
    ):
        return (
            "办结客户投诉须判定责任归属：属公司原因的选“投诉属实”并写明责任人，"
            f"属客户自身原因的选“投诉不属实”（{basis('四.3')}）"
        )
    return None


def SatisfiedBeforeClosing(case: Case, command: CaseCommand) -> str | None:
    """A complaint of the company's cause is fixed until the customer is satisfied (四.5).

    A dissatisfied customer (or one not yet asked) sends the case back to the responsible
    department (``reopen``). A customer who cannot be reached gives no verdict; the record of the
    attempt closes it (a reading: the rule cannot be met otherwise).
    """
    if (
        isinstance(command, CloseCase)
        and case.kind in COMPLAINTS
        and command.outcome is Outcome.UPHELD
        and not case.anonymous
        and case.satisfaction not in _ANSWERED_FEEDBACK
    ):
        return (
            "属公司原因的客户投诉，须由责任部门解决问题直到客户满意，方可办结；"
            f"客户不满意或尚未回访的，请先回访或重办（{basis('四.5')}）"
        )
    return None


def closing_roles(case: Case, action: Action) -> frozenset[Role] | None:
    """四.9: the handling department's superior (or the GM) gives the handling opinion at closing.

    Only complaints; the matrix already keeps the GM (an approver) from closing, so in practice
    the Market Development Dept's manager (supervisor) closes.
    """
    if action is Action.CLOSE and case.kind in COMPLAINTS:
        return frozenset({Role.SUPERVISOR, Role.APPROVER})
    return None


def followers(case: Case) -> tuple[str, ...]:
    """四.1: the first-asked person "必须记录并关注、配合处理进程": every 催办 and 督办 reaches them."""
    return (case.owner,) if case.kind in COMPLAINTS and case.owner else ()


# --- sanctions ------------------------------------------------------------------------------------


def reimbursement(loss: Decimal) -> Decimal:
    """六.2: what the employee pays back of a loss: 20% up to ¥10,000, 10% above, to the fen."""
    return tiered_amount(loss, REIMBURSEMENT_TIERS)


def _people(names: Iterable[str]) -> tuple[str, ...]:
    """Distinct non-blank names, in order."""
    seen: dict[str, None] = {}
    for name in names:
        if name and name.strip():
            seen.setdefault(name.strip(), None)
    return tuple(seen)


def late_sanctions(
    event: AccountabilityEvent, *, wage_deduction: Decimal, admin_head: str
) -> tuple[Sanction, ...]:
    """六.1: each direct responsible person for a late complaint loses wage and is named.

    "当月考核工资应予以相应扣除，并予以点名批评". The direct responsible persons are the
    first-asked person, the handler and their department's heads (the event's `responsible`),
    plus the admin head when the tenant names one. Good reasons ("无合理理由") are heard on
    appeal: every line is appealable to the GM (四.9).
    """
    people = _people((*event.responsible, admin_head)) or _people((event.subject,))
    where = f"（{event.case_serial}）" if event.case_serial else ""
    lines: list[Sanction] = []
    for person in people:
        if wage_deduction > 0:
            lines.append(
                Sanction(
                    kind=SanctionKind.WAGE_DEDUCTION,
                    basis=basis("六.1"),
                    amount=wage_deduction,
                    note=f"客户投诉未按时解决{where}，扣减当月考核工资",
                    subject=person,
                )
            )
        lines.append(
            Sanction(
                kind=SanctionKind.CRITICISM,
                basis=basis("六.1"),
                note=f"客户投诉未按时解决{where}，点名批评",
                subject=person,
            )
        )
    return tuple(lines)


def fault_sanctions(
    event: AccountabilityEvent, *, wage_deduction: Decimal, instalment_threshold: Decimal
) -> tuple[Sanction, ...]:
    """六.2 and 六.3: an employee at fault for a complaint, and for the loss it caused.

    An upheld complaint costs the employee assessment wage this month (六.3). A loss the company
    bore or paid the customer (`amount`) is reimbursed by the tiers of 六.2, and the deal's
    commission (`commission`) is cancelled or clawed back. A large reimbursement may be paid in
    agreed instalments (六.3): the note says so, and the ledger keeps the schedule.
    """
    lines: list[Sanction] = []
    if event.kind is AccountabilityKind.COMPLAINT_UPHELD and wage_deduction > 0:
        lines.append(
            Sanction(
                kind=SanctionKind.WAGE_DEDUCTION,
                basis=basis("六.3"),
                amount=wage_deduction,
                note="因自身原因被客户投诉，扣减当月考核工资",
            )
        )
    if event.amount > 0:
        owed = reimbursement(event.amount)
        note = f"损失 {event.amount} 元：1万元以内部分按20%、1万元以上部分按10%赔偿"
        if owed > instalment_threshold:
            note += f"；金额较大，可与公司协商支付期限及方式（{basis('六.3')}）"
        lines.append(Sanction(kind=SanctionKind.REIMBURSEMENT, basis=basis("六.2"), amount=owed, note=note))
        if event.commission > 0:
            lines.append(
                Sanction(
                    kind=SanctionKind.COMMISSION_CLAWBACK,
                    basis=basis("六.2"),
                    amount=event.commission,
                    note="取消该笔业务的提成（已发放的予以扣回）",
                )
            )
    return tuple(lines)


def sanctions_for(
    event: AccountabilityEvent,
    *,
    late_wage_deduction: Decimal,
    upheld_wage_deduction: Decimal,
    admin_head: str,
    instalment_threshold: Decimal,
) -> tuple[Sanction, ...]:
    """The ledger lines of one accountability event (六); other kinds carry none."""
    if event.kind is AccountabilityKind.DEADLINE_BREACHED:
        return late_sanctions(event, wage_deduction=late_wage_deduction, admin_head=admin_head)
    if event.kind in (AccountabilityKind.COMPLAINT_UPHELD, AccountabilityKind.LOSS_CAUSED):
        return fault_sanctions(
            event, wage_deduction=upheld_wage_deduction, instalment_threshold=instalment_threshold
        )
    return ()


# --- standard phrases -----------------------------------------------------------------------------


def phrases(handling_days: int) -> Sequence[StandardPhrase]:
    """What the first-asked person and the departments say at each step (四, 五)."""
    return (
        StandardPhrase(
            "first_asked",
            "您好，我是这次投诉的首问责任人。您反映的问题、理由和要求我都已记录下来，"
            "我会一直跟进处理进度，直到问题解决。",
            step=Action.REGISTER,
        ),
        StandardPhrase(
            "accepted",
            f"您的投诉已受理，我们将在{handling_days}个工作日内给您答复并解决问题；"
            "如需更多时间，我们会与您协商确定一个日期。",
            step=Action.ACCEPT,
        ),
        StandardPhrase(
            "agreed_date",
            "经与您协商，我们约定在您同意的日期前解决这个问题，届时一定给您答复。",
            step=Action.SET_DEADLINE,
        ),
        StandardPhrase(
            "customer_cause",
            "经我们了解，这次的问题是由使用方面的原因引起的。我们为您详细说明原因，"
            "并协助您把问题解决好，您看这样可以吗？",
            step=Action.REPLY,
        ),
        StandardPhrase(
            "company_cause",
            "非常抱歉，经核实是我们公司的原因给您带来了不便。责任部门会在约定的期限内为您解决，"
            "直到您满意为止。",
            step=Action.REPLY,
        ),
        StandardPhrase(
            "escalated",
            "您反映的问题涉及多个方面，责任需要进一步明确，我们已提交公司分管副总（总经理）处理，"
            "会尽快给您答复。",
            step=Action.SUBMIT_FOR_APPROVAL,
        ),
        StandardPhrase(
            "satisfaction",
            "请问您对这次投诉的处理结果满意吗？如果还有不满意的地方，请告诉我们，我们会继续处理。",
            step=Action.RECORD_FEEDBACK,
        ),
    )
