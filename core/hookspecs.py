"""The plugin contract: every hook an organisation plugin may implement, documented here.

Three kinds of hook, visible from the name, plus one guard:

* decisions ``hy_<noun>_<decision>`` — ``firstresult``; the core registers a default
  ``trylast``, so a decision always has an answer;
* contributions ``hy_register_<plural>`` — every plugin's lists are flattened by the core;
* notifications ``hy_on_<noun>_<past participle>`` — the return value is ignored;
* the guard ``hy_transition_veto`` — every answer is collected; any reason refuses the action.

Hooks are synchronous and pure: they receive a `TenantContext` and frozen domain values
(never a request, an ORM row or the app) and return frozen domain values. The core does all
I/O. Hookimpls must not give parameters defaults. All hooks appeared in version 0.1.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from core.domain.cases import Case, CaseKind
from core.domain.commands import CaseCommand
from core.domain.decisions import (
    AcceptanceCheck,
    AccountabilityEvent,
    ApprovalStep,
    Classification,
    DocumentTemplate,
    IntakeSchema,
    ReplyRequirements,
    Routing,
    Sanction,
    StandardPhrase,
    StatisticsDimension,
    TimerEffect,
    TimerPhase,
    TimerRule,
)
from core.domain.events import CaseEvent
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.domain.tenancy import SettingSpec, TenantContext

PROJECT = "huiying"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookimpl", "hookspec"]


# --- decisions -------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hy_intake_schema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema | None:
    """Say what intake must capture for a case of `kind`.

    Called when a case is taken in (to validate it) and when a form is drawn.

    Args:
        ctx: the tenant.
        kind: complaint, report or consultation.

    Returns:
        The fields required and whether anonymous cases are allowed; ``None`` defers to the
        next implementation. Core default: no extra fields, anonymous allowed.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_case_acceptance(ctx: TenantContext, case: Case) -> AcceptanceCheck | None:
    """Decide whether a registered case meets the acceptance conditions.

    Called before the ``accept`` action. If ``acceptable`` is false the core refuses the action
    and tells every unmet condition at once (一次性告知).

    Args:
        ctx: the tenant.
        case: the case as registered.

    Returns:
        The check; ``None`` defers. Core default: acceptable.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_case_classification(ctx: TenantContext, case: Case) -> Classification | None:
    """Propose category, severity, complexity and flags for a newly received case.

    Called at intake; the proposal is stored on the case and the registering officer may
    change it with the ``register`` action. The case is not numbered yet: ``case.serial`` is
    empty (intake draws the serial last, see `core.store.intake`).

    Returns:
        The proposal; ``None`` defers. Core default: the case's current values.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_case_routing(ctx: TenantContext, case: Case) -> Routing | None:
    """Suggest the handling unit for a case (by area, industry, duty division, ...).

    Called when a dispatcher opens the dispatch step (the case page preselects the unit and
    the cause and shows the reason; ``GET /api/v1/cases/{id}/routing``) and when the case is
    dispatched: the dispatcher may choose another unit unless the routing is ``binding``.

    Returns:
        A unit code of ``ctx.units`` with the cause and the reason; ``None`` defers. Core
        default: ``None`` (no suggestion), which the facade reports as "no route".

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    """Decide whether a new case goes to the head at once (重大、严重、突发性、群体性).

    Called at intake and at registration, once the classification is known. A reason makes
    the core write a ``case_escalated`` event and notify the approvers and the leader on duty.

    Returns:
        The reason, in Chinese with its basis; ``None`` for no escalation. Core default: ``None``.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_supervision_recipients(ctx: TenantContext, case: Case) -> Sequence[str] | None:
    """Name the people, beyond those handling the case, who must hear of a 催办 or 督办 on it.

    Called when a timer reminds or issues a supervision notice, and when staff supervise a case
    by hand (the ``escalate`` action). The core always tells who must act on the case now (its
    handler or its unit's handlers, and the unit's heads; before dispatch, the intake officers
    and the leader on duty).

    Returns:
        Usernames (e.g. the first-asked person who follows the case); unknown or inactive
        ones are skipped; ``None`` defers. Core default: nobody more.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_approval_chain(ctx: TenantContext, case: Case) -> Sequence[ApprovalStep] | None:
    """Name the approval levels a case needs before dispatch, in order.

    Called on ``approve`` and ``dispatch``; dispatch is refused while a step is unsigned.

    Returns:
        The ordered steps (empty: no approval needed); ``None`` defers. Core default: ``()``.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_sla_timers(ctx: TenantContext, case: Case) -> Sequence[TimerRule] | None:
    """List every deadline a case runs against, with what starts, pauses and stops each.

    Called after every transition; the core starts the timers whose ``starts_on`` matches
    (``None``: at intake), stops those whose ``stops_on`` matches and pauses/resumes the rest.
    At intake the case is stored but not numbered yet: ``case.serial`` is empty.

    Returns:
        The rules for this case (depend on kind, complexity, severity); ``None`` defers.
        Core default: ``()`` — no deadlines.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_timer_effects(
    ctx: TenantContext, case: Case, timer_kind: str, phase: TimerPhase
) -> Sequence[TimerEffect] | None:
    """Choose what happens when a timer reaches its warning point or breaches.

    Called by the timer jobs when a timer passes its warning point or its due instant.

    Args:
        ctx: the tenant.
        case: the case the timer belongs to.
        timer_kind: the ``TimerRule.kind``.
        phase: warning or breach.

    Returns:
        The effects to carry out; ``None`` defers. Core default: a reminder at the warning
        point; a reminder, a supervision notice and an accountability event at breach.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_reply_requirements(ctx: TenantContext, case: Case) -> ReplyRequirements | None:
    """Say how a case must be answered: allowed reply modes and a written reply's sections.

    Called on ``reply``; a mode outside the answer is refused with the basis.

    Returns:
        The requirements; ``None`` defers. Core default: every mode, no sections.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_accountability_sanctions(ctx: TenantContext, event: AccountabilityEvent) -> Sequence[Sanction] | None:
    """Turn an accountability event into sanctions or rewards for the ledger.

    Called whenever an accountability event is recorded (a breach, an upheld complaint, a
    loss, a verified report); the lines returned are written to the ledger.

    Returns:
        The ledger lines (possibly empty); ``None`` defers. Amounts and points are never
        negative and the answer is deterministic. Core default: ``()``.

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_action_roles(ctx: TenantContext, case: Case, action: Action) -> frozenset[Role] | None:
    """Name the roles that may take `action` on this case (e.g. only the office replies).

    Called before every action, after the permission matrix allowed it. The core intersects
    the answer with the actor's roles that hold the action's permission, so a plugin can narrow
    who acts, never widen it.

    Returns:
        The roles allowed; ``None`` defers. Core default: ``None`` (the matrix alone decides).

    Stops at first non-None result.
    """


@hookspec(firstresult=True)
def hy_identity_access(ctx: TenantContext, case: Case, actor: Actor) -> frozenset[Role] | None:
    """Name the roles that may read this case's complainant identity in clear, for `actor`.

    Called before every reveal and wherever the identity or the text it appears in is shown.
    The core intersects the answer with the roles that hold ``identity:reveal`` in the
    permission matrix, so a plugin can tighten the rule (e.g. reports against staff: supervisors
    only; nobody in the accused unit itself) but never loosen it. A hookimpl that does not need
    `actor` (who asks: username, roles, unit) leaves the parameter out.

    Returns:
        The roles allowed; ``None`` defers. Core default: every role holding ``identity:reveal``.

    Stops at first non-None result.
    """


# --- guards (collected) --------------------------------------------------------------------


@hookspec
def hy_action_veto(ctx: TenantContext, case: Case, action: Action, open_timers: frozenset[str]) -> str | None:
    """Object to an action on this case whatever its payload says, with the reason.

    Called when the actions a person may take are listed (buttons, ``GET …/actions``), and again
    before the action is performed; every non-None answer is collected. A refusal here is never
    offered. Use it for rules that depend on the case alone (feedback recorded before closing, a
    power the organisation does not have); a rule that reads the payload belongs in
    `hy_transition_veto`.

    Args:
        ctx: the tenant, settings resolved for the case's kind.
        case: the case before the action.
        action: the action asked about.
        open_timers: the kinds of the case's timers still open (running, paused or breached).
            A hookimpl that does not need it leaves the parameter out.

    Returns:
        A reason in Chinese (with its basis), or ``None`` for no objection.
    """


@hookspec
def hy_transition_veto(
    ctx: TenantContext, case: Case, command: CaseCommand, open_timers: frozenset[str]
) -> str | None:
    """Object to a transition the lifecycle table allows, with the reason.

    Called before every action; every non-None answer is collected and the action is refused
    with all reasons. Plugins add guards this way; they cannot add edges to the table.

    Args:
        ctx: the tenant, settings resolved for the case's kind.
        case: the case before the action.
        command: the action asked for.
        open_timers: the kinds of the case's timers still open (running, paused or breached),
            the core's own included — e.g. ``remedy`` while an order to put things right is
            unconfirmed. A hookimpl that does not need it leaves the parameter out. (0.2)

    Returns:
        A reason in Chinese (with its basis), or ``None`` for no objection.
    """


# --- contributions -------------------------------------------------------------------------


@hookspec
def hy_register_settings() -> Sequence[SettingSpec]:
    """Declare the plugin's typed settings (key, type, default, description).

    Called when a tenant is onboarded and when its manager is built; tenant values are
    validated against the union of declarations, and unknown keys are errors.

    Returns:
        The plugin's `SettingSpec` list; keys must not clash with the core's.
    """


@hookspec
def hy_register_document_templates(ctx: TenantContext) -> Sequence[DocumentTemplate]:
    """Contribute printable forms and reply templates (登记表, 转办单, 答复书, ...).

    Called when documents are listed or rendered for a case of the tenant.

    Returns:
        Templates whose bodies use the ``{placeholders}`` of `core.domain.documents`.
    """


@hookspec
def hy_register_phrases(ctx: TenantContext) -> Sequence[StandardPhrase]:
    """Contribute the standard phrases offered to operators at each step (规范用语).

    Called when a screen offers phrases for a step.

    Returns:
        The phrases, each tied to a step (an action) or to none (any time).
    """


@hookspec
def hy_register_statistics_dimensions(ctx: TenantContext) -> Sequence[StatisticsDimension]:
    """Contribute the dimensions monthly statistics are broken down by.

    Called when statistics are compiled for the tenant.

    Returns:
        Dimensions naming a case attribute or an intake field.
    """


# --- notifications -------------------------------------------------------------------------


@hookspec
def hy_on_case_received(ctx: TenantContext, case: Case) -> None:
    """Be told a case was taken in (after its transaction committed). Return ignored."""


@hookspec
def hy_on_case_transitioned(ctx: TenantContext, case: Case, event: CaseEvent) -> None:
    """Be told a case moved (after its transaction committed). Return ignored."""
