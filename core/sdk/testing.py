"""The conformance suite every plugin runs, in tree or installed from PyPI.

Like fsspec's abstract test classes: subclass `PluginConformance` in a test module, under a
name pytest collects, and say which plugin to check::

    from core.sdk.testing import PluginConformance
    from my_org import hooks

    class TestMyOrgConformance(PluginConformance):
        plugin = hooks
        name = "my_org"
        settings = MappingProxyType({"general_working_days": 5})  # tenant settings, optional

The inherited tests build the plugin's manager exactly as the platform does (core defaults,
the plugin, ``check_pending``), then ask every hook about sample cases of every kind, in
every state, simple and complex, named and anonymous, and check what the platform relies on:
deadlines are aware and never before ``now``, every document renders for every kind it
applies to, sanctions are non-negative and deterministic, every hook answers with the
declared domain types. Override `case_fields` to give the sample cases realistic intake
values, and `units` to give the tenant the units your routing names.

Time is fixed: the samples are received at 2026-09-30T10:00+08:00 (just before the National
Day holiday) and deadlines are computed from several fixed instants around it.
"""

from __future__ import annotations

import dataclasses
import inspect
from decimal import Decimal

import pytest

from core.defaults import CORE_TEMPLATES
from core.domain.calendar import Period
from core.domain.cases import (
    Case,
    CaseKind,
    Channel,
    Complexity,
    Severity,
    SeverityFlag,
)
from core.domain.commands import ReplyMode
from core.domain.decisions import (
    AcceptanceCheck,
    AccountabilityEvent,
    AccountabilityKind,
    ApprovalStep,
    Classification,
    DocumentTemplate,
    FieldSpec,
    IntakeSchema,
    ReplyRequirements,
    Routing,
    Sanction,
    SanctionKind,
    StandardPhrase,
    StatisticsDimension,
    TimerEffect,
    TimerPhase,
    TimerRule,
)
from core.domain.documents import (
    CASE_FREE_TEMPLATES,
    HANDOVER_PLACEHOLDERS,
    check_template,
    render_document,
    resolve_templates,
)
from core.domain.lifecycle import Action, allowed_actions
from core.domain.reporting import CASE_ATTRIBUTES
from core.domain.roles import Actor, Role
from core.domain.tenancy import SettingSpec
from core.plugins import TenantHooks, new_manager
from core.sdk.samples import NOW, TRIGGERS, ConformanceSamples

__all__ = ["NOW", "TRIGGERS", "PluginConformance"]

_AMOUNTS = (Decimal("0"), Decimal("1"), Decimal("1234.56"), Decimal("100000"))


def _describe(case: Case) -> str:
    """A short label for assertion messages."""
    who = "anonymous" if case.anonymous else "named"
    return f"{case.kind}/{case.state}/{case.complexity}/{case.severity}/{who}"


# Who asks for an identity, for the access hook: the desk, and someone posted in a unit.
_READERS = (
    Actor(username="desk", roles=frozenset({Role.INTAKE_OFFICER, Role.SUPERVISOR})),
    Actor(username="posted", roles=frozenset({Role.INTAKE_OFFICER}), unit_code="u01"),
)


class PluginConformance(ConformanceSamples):
    """Abstract conformance tests; subclass with `plugin` and `name` set (and `settings`, `units`)."""

    # --- the manager --------------------------------------------------------------------------

    def test_manager_builds_and_check_pending_passes(self) -> None:
        pm = new_manager()
        pm.register(self.plugin, name=self.name)
        pm.check_pending()  # a misspelled hook name stops here
        callers = pm.get_hookcallers(self.plugin) or []
        assert callers, f"plugin {self.name!r} implements no hook"
        registry = self.registry()
        assert registry.names == (self.name,)
        ctx = self.context(registry)
        hooks = registry.hooks_for(ctx)
        assert isinstance(hooks, TenantHooks)
        assert hooks.ctx == ctx

    def test_hookimpls_are_synchronous_and_take_no_defaults(self) -> None:
        pm = new_manager()
        pm.register(self.plugin, name=self.name)
        impls = [
            impl
            for caller in pm.get_hookcallers(self.plugin) or []
            for impl in caller.get_hookimpls()
            if impl.plugin_name == self.name
        ]
        assert impls, f"plugin {self.name!r} implements no hook"
        for impl in impls:
            function = impl.function
            label = getattr(function, "__qualname__", repr(function))
            # pluggy has no async; a coroutine object would count as a firstresult answer.
            assert not inspect.iscoroutinefunction(function), f"{label} is async; hooks are synchronous"
            assert not inspect.isasyncgenfunction(function), f"{label} is async; hooks are synchronous"
            # pluggy does not pass parameters that have defaults: they would silently get the default.
            defaulted = [
                p.name for p in inspect.signature(function).parameters.values() if p.default is not p.empty
            ]
            assert not defaulted, f"{label} gives parameters defaults: {defaulted}"

    # --- settings -----------------------------------------------------------------------------

    def test_settings_are_typed_with_unique_keys(self) -> None:
        hooks = self.hooks()
        specs = hooks.register_settings()
        assert all(isinstance(spec, SettingSpec) for spec in specs), specs
        keys = [spec.key for spec in specs]
        assert len(keys) == len(set(keys)), f"setting declared twice (core or plugin): {keys}"
        for spec in specs:
            assert spec.key.strip(), spec
            assert spec.description.strip(), f"setting {spec.key} has no description"
            assert isinstance(spec.type, type), f"setting {spec.key}: type {spec.type!r} is not a type"
            # bool is an int in Python; an int setting must not default to True.
            assert isinstance(spec.default, spec.type) and not (
                spec.type is int and isinstance(spec.default, bool)
            ), f"setting {spec.key}: default {spec.default!r} is not a {spec.type.__name__}"
        for key, value in self.settings.items():
            assert hooks.ctx.settings[key] == value, f"tenant value of {key} did not reach the context"
        assert set(hooks.ctx.settings) == set(keys)

    # --- intake and registration --------------------------------------------------------------

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_intake_schema(self, kind: CaseKind) -> None:
        schema = self.hooks().intake_schema(kind)
        assert isinstance(schema, IntakeSchema), schema
        assert all(isinstance(spec, FieldSpec) for spec in schema.fields), schema.fields
        keys = [spec.key for spec in schema.fields]
        assert len(keys) == len(set(keys)), f"intake field keys repeat: {keys}"
        for spec in schema.fields:
            assert spec.key.strip() and spec.label.strip(), spec
            assert spec.kinds and spec.kinds <= frozenset(CaseKind), f"{spec.key}: kinds {spec.kinds}"
            if spec.choices:
                # A closed list: values stored and sent by forms, labels shown to people.
                values = [choice[0] for choice in spec.choices]
                assert all(isinstance(choice, tuple) and len(choice) == 2 for choice in spec.choices), (
                    f"{spec.key}: choices must be (value, label) pairs: {spec.choices!r}"
                )
                assert all(isinstance(v, str) and v.strip() for v in values), f"{spec.key}: empty value"
                assert len(values) == len(set(values)), f"{spec.key}: choice values repeat: {values}"
                labels = [choice[1] for choice in spec.choices]
                assert all(isinstance(t, str) and t.strip() for t in labels), f"{spec.key}: empty label"
                assert len(labels) == len(set(labels)), f"{spec.key}: choice labels repeat: {labels}"

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_acceptance_and_classification(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        for case in self.sample_cases(hooks, kind):
            check = hooks.case_acceptance(case)
            assert isinstance(check, AcceptanceCheck), (_describe(case), check)
            if check.acceptable:
                assert not check.unmet, f"{_describe(case)}: acceptable yet lists unmet conditions"
            else:
                # 一次性告知: a refusal names every unmet condition.
                assert check.unmet and all(isinstance(u, str) and u.strip() for u in check.unmet), (
                    f"{_describe(case)}: not acceptable without a reason: {check}"
                )
            proposal = hooks.case_classification(case)
            assert isinstance(proposal, Classification), (_describe(case), proposal)
            assert isinstance(proposal.category, str)
            assert isinstance(proposal.severity, Severity) and isinstance(proposal.complexity, Complexity)
            assert all(isinstance(flag, SeverityFlag) for flag in proposal.flags), proposal.flags

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_routing_names_a_unit_of_the_tenant(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        codes = {unit.code for unit in hooks.ctx.units}
        for case in self.sample_cases(hooks, kind):
            route = hooks.case_routing(case)
            if route is not None:
                assert isinstance(route, Routing), (_describe(case), route)
                assert route.unit_code in codes, (
                    f"{_describe(case)}: routed to unknown unit {route.unit_code!r}"
                )

    # --- approval, vetoes ---------------------------------------------------------------------

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_approval_chain_steps_have_unique_keys(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        for case in self.sample_cases(hooks, kind):
            chain = hooks.approval_chain(case)
            assert all(isinstance(step, ApprovalStep) for step in chain), (_describe(case), chain)
            keys = [step.key for step in chain]
            assert len(keys) == len(set(keys)), f"{_describe(case)}: approval step keys repeat: {keys}"
            for step in chain:
                assert step.key.strip() and step.label.strip(), step
                assert isinstance(step.role, Role), step

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_transition_vetoes_are_reasons_or_none(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        asked = 0
        for case in self.sample_cases(hooks, kind):
            open_timers = frozenset(rule.kind for rule in hooks.sla_timers(case)) | {"remedy"}
            for action in allowed_actions(case.state):
                command = self.sample_command(action)
                # With no timer open and with every timer open (a remedy order included).
                reasons = (
                    hooks.transition_veto(case, command)
                    + hooks.transition_veto(case, command, open_timers)
                    + hooks.action_veto(case, action)
                    + hooks.action_veto(case, action, open_timers)
                )
                asked += 1
                for reason in reasons:  # pluggy drops the None answers
                    assert isinstance(reason, str) and reason.strip(), (
                        f"{_describe(case)} {action}: a veto must be a reason in words, got {reason!r}"
                    )
        assert asked, "no transition was asked about"

    # --- deadlines ----------------------------------------------------------------------------

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_timer_rules_and_deadlines(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        calendar = self.calendar()
        for case in self.sample_cases(hooks, kind):
            rules = hooks.sla_timers(case)
            assert all(isinstance(rule, TimerRule) for rule in rules), (_describe(case), rules)
            kinds = [rule.kind for rule in rules]
            assert len(kinds) == len(set(kinds)), f"{_describe(case)}: timer kinds repeat: {kinds}"
            for rule in rules:
                where = f"{_describe(case)} timer {rule.kind!r}"
                assert rule.kind.strip() and rule.label.strip(), where
                assert rule.basis.strip(), f"{where}: no basis"
                # 0 is "the same day" (当日内), allowed for the day units only (Period checks it).
                assert isinstance(rule.period, Period) and rule.period.amount >= 0, (
                    f"{where}: {rule.period!r}"
                )
                assert rule.stops_on, f"{where}: nothing stops it"
                assert all(isinstance(a, Action) for a in rule.stops_on | rule.pauses_on | rule.resumes_on), (
                    where
                )
                assert rule.starts_on is None or isinstance(rule.starts_on, Action), where
                assert 0 < rule.warn_ratio <= 1, f"{where}: warn_ratio {rule.warn_ratio}"
                assert rule.extension_cap is None or isinstance(rule.extension_cap, Period), where
                for now in TRIGGERS:
                    due = calendar.add(now, rule.period, basis=rule.basis).due_at
                    assert due.tzinfo is not None and due.utcoffset() is not None, f"{where}: naive due"
                    # A same-day deadline triggered in the day's last second ends in that second.
                    late = rule.period.is_same_day and due == now
                    assert due > now or late, f"{where}: due {due.isoformat()} is not after {now.isoformat()}"

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_timer_effects(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        for case in self.sample_cases(hooks, kind):
            for rule in hooks.sla_timers(case):
                for phase in TimerPhase:
                    effects = hooks.timer_effects(case, rule.kind, phase)
                    assert all(isinstance(e, TimerEffect) for e in effects), (
                        _describe(case),
                        rule.kind,
                        effects,
                    )
                    assert hooks.timer_effects(case, rule.kind, phase) == effects, "not deterministic"

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_access_answers_name_roles(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        for case in self.sample_cases(hooks, kind):
            for reader in _READERS:
                readers = hooks.identity_access(case, reader)
                assert all(isinstance(role, Role) for role in readers), (_describe(case), readers)
            for action in Action:
                allowed = hooks.action_roles(case, action)
                assert allowed is None or all(isinstance(role, Role) for role in allowed), (
                    _describe(case),
                    action,
                    allowed,
                )

    # --- replies and documents ----------------------------------------------------------------

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_reply_requirements_allow_a_mode(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        for case in self.sample_cases(hooks, kind):
            requirements = hooks.reply_requirements(case)
            assert isinstance(requirements, ReplyRequirements), (_describe(case), requirements)
            assert requirements.modes, (
                f"{_describe(case)}: no reply mode allowed, the case cannot be answered"
            )
            assert all(isinstance(mode, ReplyMode) for mode in requirements.modes), requirements.modes
            assert all(isinstance(s, str) and s.strip() for s in requirements.sections), requirements.sections

    def test_document_templates_are_well_formed(self) -> None:
        templates = self.hooks().register_document_templates()
        assert all(isinstance(t, DocumentTemplate) for t in templates), templates
        # The core's templates come first; a plugin replaces one by reusing its key, once.
        own = [t.key for t in templates if t not in CORE_TEMPLATES]
        assert len(own) == len(set(own)), f"template keys repeat: {own}"
        for template in resolve_templates(templates).values():
            if template.key in CASE_FREE_TEMPLATES:  # about no case (the handover): its own placeholders
                check_template(template.body, HANDOVER_PLACEHOLDERS)
                continue
            assert template.key.strip() and template.title.strip() and template.body.strip(), template.key
            # A template for no kind would never be rendered, so never checked.
            assert template.kinds and template.kinds <= frozenset(CaseKind), (
                f"{template.key}: {template.kinds}"
            )
            assert template.channels and template.channels <= frozenset(Channel), (
                f"{template.key}: {template.channels}"
            )

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_document_templates_render_for_every_kind_they_apply_to(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        templates = [
            t
            for t in resolve_templates(hooks.register_document_templates()).values()
            if kind in t.kinds and t.key not in CASE_FREE_TEMPLATES
        ]
        samples = self.sample_cases(hooks, kind)
        for template in templates:
            # Every template is rendered: on the samples it applies to, or on one by its channel.
            happened = {template.after} if template.after else set()
            cases = [case for case in samples if template.applies_to(case, happened)] or [
                dataclasses.replace(samples[0], channel=sorted(template.channels)[0])
            ]
            for case in cases:
                text = render_document(template, case, hooks.ctx, schema=hooks.intake_schema(kind))
                assert case.serial in text or case.title in text, (
                    f"template {template.key!r} for {_describe(case)} names neither the serial nor the title"
                )

    # --- accountability -----------------------------------------------------------------------

    @pytest.mark.parametrize("kind", list(AccountabilityKind), ids=str)
    def test_sanctions_are_non_negative_and_deterministic(self, kind: AccountabilityKind) -> None:
        hooks = self.hooks()
        for count in range(1, 5):
            for amount in _AMOUNTS:
                event = AccountabilityEvent(
                    kind=kind,
                    subject="示例承办人",
                    case_serial="CF-2026-000001",
                    count_in_year=count,
                    amount=amount,
                    detail="一致性测试",
                )
                where = f"{kind} count={count} amount={amount}"
                sanctions = hooks.accountability_sanctions(event)
                assert all(isinstance(s, Sanction) for s in sanctions), (where, sanctions)
                for sanction in sanctions:
                    assert isinstance(sanction.kind, SanctionKind), (where, sanction)
                    assert sanction.basis.strip(), f"{where}: a ledger line needs its basis"
                    assert isinstance(sanction.points, int) and sanction.points >= 0, (where, sanction)
                    assert isinstance(sanction.amount, Decimal) and sanction.amount >= 0, (where, sanction)
                assert hooks.accountability_sanctions(event) == sanctions, f"{where}: not deterministic"

    # --- phrases, statistics, notifications ---------------------------------------------------

    def test_phrases_have_text(self) -> None:
        phrases = self.hooks().register_phrases()
        assert all(isinstance(p, StandardPhrase) for p in phrases), phrases
        for phrase in phrases:
            assert phrase.key.strip(), phrase
            assert phrase.text.strip(), f"phrase {phrase.key!r} has no text"
            assert phrase.step is None or isinstance(phrase.step, Action), phrase

    def test_statistics_dimensions_have_unique_keys(self) -> None:
        hooks = self.hooks()
        dimensions = hooks.register_statistics_dimensions()
        assert all(isinstance(d, StatisticsDimension) for d in dimensions), dimensions
        keys = [d.key for d in dimensions]
        assert len(keys) == len(set(keys)), f"statistics dimension keys repeat: {keys}"
        # A dimension breaks statistics down by a case attribute or an intake field, never by
        # the complainant's identity (kept apart, and no table may group people by name).
        known = CASE_ATTRIBUTES | {
            spec.key for kind in CaseKind for spec in hooks.intake_schema(kind).fields if not spec.identity
        }
        for dimension in dimensions:
            assert dimension.label.strip(), dimension
            assert dimension.attribute in known, (
                f"dimension {dimension.key!r}: unknown {dimension.attribute!r}"
            )

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_supervision_recipients_are_usernames(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        for case in self.sample_cases(hooks, kind):
            named = hooks.supervision_recipients(case)
            assert all(isinstance(name, str) and name.strip() for name in named), (_describe(case), named)
            assert named == hooks.supervision_recipients(case), f"{_describe(case)}: not deterministic"

    @pytest.mark.parametrize("kind", list(CaseKind), ids=str)
    def test_notifications_accept_every_case(self, kind: CaseKind) -> None:
        hooks = self.hooks()
        told = 0
        for case in self.sample_cases(hooks, kind):
            hooks.on_case_received(case)
            hooks.on_case_transitioned(case, self.sample_event(case))
            told += 1
        assert told, "no sample case was built"
