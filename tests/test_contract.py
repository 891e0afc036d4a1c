"""Contract meta-tests: the hookspecs, the facade, the core defaults and the registry agree.

These fail the build when the plugin contract drifts: an undocumented or untested hook, a
facade method out of step with its spec, a decision without a core default, a misspelled
hookimpl that would otherwise be ignored, or one tenant's manager reaching another's plugin.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import re
import types
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core import defaults, hookspecs
from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.commands import CaseCommand, CloseCase, DispatchCase
from core.domain.decisions import ApprovalStep, IntakeSchema, TimerRule
from core.domain.lifecycle import Action
from core.domain.roles import Role
from core.domain.tenancy import TenantContext
from core.plugins import (
    ENTRY_POINT_GROUP,
    PluginContractError,
    PluginRegistry,
    TenantHooks,
    UnknownPlugin,
    new_manager,
)
from core.sdk import hookimpl
from plugins.township import hooks as township

TESTS = Path(__file__).parent
FIRSTRESULT_SENTENCE = "Stops at first non-None result."
SPEC_ATTR = f"{hookspecs.PROJECT}_spec"
IMPL_ATTR = f"{hookspecs.PROJECT}_impl"

SPECS: dict[str, Callable[..., Any]] = {
    name: function
    for name, function in vars(hookspecs).items()
    if name.startswith("hy_") and inspect.isfunction(function)
}
FIRSTRESULT = sorted(name for name, spec in SPECS.items() if getattr(spec, SPEC_ATTR)["firstresult"])

# Guards are the one kind the three-kind grammar leaves out (core/hookspecs.py files them under
# "guards (collected)" but its module docstring names only three kinds): collected like
# contributions, so every objection is told at once, and named after what they decide.
GUARDS = {"hy_transition_veto", "hy_action_veto"}


def _is_firstresult(name: str) -> bool:
    return bool(getattr(SPECS[name], SPEC_ATTR)["firstresult"])


def _spec_params(name: str) -> list[str]:
    return list(inspect.signature(SPECS[name]).parameters)


def test_the_contract_has_hooks_of_every_kind() -> None:
    assert all(getattr(spec, SPEC_ATTR, None) is not None for spec in SPECS.values()), (
        "a hy_ function is no spec"
    )
    assert any(name.startswith("hy_register_") for name in SPECS)
    assert any(name.startswith("hy_on_") for name in SPECS)
    assert FIRSTRESULT


# --- documentation ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_docstring_says_when_it_is_called_and_what_it_returns(name: str) -> None:
    doc = inspect.getdoc(SPECS[name]) or ""
    summary = doc.splitlines()[0] if doc else ""
    assert summary.endswith("."), f"{name}: no one-line summary"
    if name.startswith("hy_on_"):
        # Notifications: when they are told, and that the answer does not matter.
        assert re.search(r"\bafter\b", doc), f"{name}: does not say when it is called"
        assert "Return ignored." in doc, f"{name}: does not say its return is ignored"
        return
    assert re.search(r"\bCalled\b", doc), f"{name}: does not say when it is called (a 'Called ...' sentence)"
    assert re.search(r"^Returns:\n\s+\S", doc, re.MULTILINE), f"{name}: no Returns: section"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_firstresult_hooks_say_so_in_pytests_words(name: str) -> None:
    doc = inspect.getdoc(SPECS[name]) or ""
    count = doc.count(FIRSTRESULT_SENTENCE)
    if _is_firstresult(name):
        assert count == 1, f"{name} is firstresult: its docstring must say {FIRSTRESULT_SENTENCE!r} once"
        assert "None" in doc.split("Returns:", 1)[-1].replace(FIRSTRESULT_SENTENCE, ""), (
            f"{name}: Returns does not say what None means"
        )
    else:
        assert count == 0, f"{name} collects every answer: it must not claim to stop at the first"


# --- the three kinds, visible from the name -----------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_names_follow_their_kind(name: str) -> None:
    contribution_or_notification = name.startswith(("hy_register_", "hy_on_"))
    if name in GUARDS:
        assert name.endswith("_veto") and not _is_firstresult(name)
        return
    # firstresult ⇔ a decision ⇔ neither hy_register_* nor hy_on_*.
    assert _is_firstresult(name) is not contribution_or_notification, name
    assert re.fullmatch(r"hy_[a-z]+(_[a-z]+)+", name), f"{name}: not hy_<noun>_<word>"
    if name.startswith("hy_register_"):
        assert name.endswith("s"), f"{name}: contributions are plural"
    if name.startswith("hy_on_"):
        assert name.endswith("ed"), f"{name}: notifications are in the past participle"


def test_guards_are_only_the_known_ones() -> None:
    # A new collected hook must be a contribution or a notification, or be added here knowingly.
    collected = {name for name in SPECS if not _is_firstresult(name)}
    assert collected - GUARDS == {name for name in SPECS if name.startswith(("hy_register_", "hy_on_"))}


# --- the typed facade ---------------------------------------------------------------------------


def _facade_methods() -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(TenantHooks, inspect.isfunction)
        if not name.startswith("_")
    }


def test_facade_has_exactly_one_method_per_hookspec() -> None:
    assert set(_facade_methods()) == {name.removeprefix("hy_") for name in SPECS}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_facade_method_takes_the_spec_parameters_without_ctx(name: str) -> None:
    method = _facade_methods()[name.removeprefix("hy_")]
    facade_params = list(inspect.signature(method).parameters)
    assert facade_params[0] == "self"
    assert facade_params[1:] == [p for p in _spec_params(name) if p != "ctx"]


# --- core defaults ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIRSTRESULT))
def test_every_decision_has_a_core_default_registered_trylast(name: str) -> None:
    default = getattr(defaults, name, None)
    assert default is not None, f"core/defaults.py has no {name}: 'no answer' becomes possible"
    opts = getattr(default, IMPL_ATTR)
    assert opts["trylast"] is True, f"{name} default is not trylast: it would beat the plugins"
    assert list(inspect.signature(default).parameters) == _spec_params(name)


def test_core_defaults_implement_only_known_hooks_without_parameter_defaults() -> None:
    pm = new_manager()
    pm.check_pending()
    impls = {name: fn for name, fn in vars(defaults).items() if hasattr(fn, IMPL_ATTR)}
    assert set(impls) <= set(SPECS)
    for name, function in impls.items():
        params = inspect.signature(function).parameters.values()
        assert all(p.default is p.empty for p in params), f"{name} gives a parameter a default"


def test_core_defaults_answer_every_decision_for_a_bare_plugin() -> None:
    registry = PluginRegistry({"bare": types.ModuleType("bare")})
    hooks = registry.hooks_for(context(1, "bare"))
    case = make_case()
    assert isinstance(hooks.intake_schema(CaseKind.COMPLAINT), IntakeSchema)
    assert hooks.case_acceptance(case).acceptable is True
    assert hooks.case_classification(case).severity is case.severity
    assert hooks.approval_chain(case) == ()
    assert hooks.sla_timers(case) == ()
    assert hooks.reply_requirements(case).modes
    assert [spec.key for spec in hooks.register_settings()] == [
        "intake_max_backdate_days",
        "webhook_url",
        "webhook_secret",
        "identity_retention_years",
        "appeal_decision_working_days",
    ]


# --- every hookspec tested ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hookspec_is_named_in_a_test(name: str) -> None:
    texts = (
        path.read_text(encoding="utf-8")
        for path in TESTS.rglob("test_*.py")
        if path.name != "test_contract.py"
    )
    assert any(re.search(rf"\b{name}\b", text) for text in texts), f"no test under tests/ names {name}"


# --- the registry -------------------------------------------------------------------------------


def context(tenant_id: int, plugin: str, **changes: Any) -> TenantContext:
    ctx = TenantContext(tenant_id=tenant_id, slug=f"t{tenant_id}", name=f"租户{tenant_id}", plugin=plugin)
    return dataclasses.replace(ctx, **changes)


def township_context(tenant_id: int, **changes: Any) -> TenantContext:
    registry = PluginRegistry({"township": township})
    defaults = {spec.key: spec.default for spec in registry.settings_specs("township")}
    return context(tenant_id, "township", **{"settings": defaults, **changes})


def make_case(state: CaseState = CaseState.ACCEPTED, tenant_id: int = 1) -> Case:
    return Case(
        id=1,
        tenant_id=tenant_id,
        serial="T-2026-000001",
        kind=CaseKind.COMPLAINT,
        channel=Channel.WEB,
        state=state,
        title="标题",
        content="内容",
        received_at=datetime.fromisoformat("2026-09-30T10:00:00+08:00"),
        fields={"situation": "untrue"},
    )


class MisspelledClass:
    @hookimpl
    def hy_intake_shema(self, ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
        return IntakeSchema()


def _misspelled_module() -> types.ModuleType:
    module = types.ModuleType("misspelled")

    @hookimpl
    def hy_intake_shema(ctx: TenantContext, kind: CaseKind) -> IntakeSchema:
        return IntakeSchema()

    module.hy_intake_shema = hy_intake_shema  # type: ignore[attr-defined]
    return module


class WrongArgument:
    @hookimpl
    def hy_approval_chain(self, ctx: TenantContext, cse: Case) -> Sequence[ApprovalStep]:
        return ()


@pytest.mark.parametrize(
    ("plugin", "hook"),
    [
        pytest.param(MisspelledClass(), "hy_intake_shema", id="class"),
        pytest.param(_misspelled_module(), "hy_intake_shema", id="module"),
        pytest.param(WrongArgument(), "cse", id="argument"),
    ],
)
def test_a_plugin_breaking_the_contract_stops_start_up(plugin: object, hook: str) -> None:
    with pytest.raises(PluginContractError) as raised:
        PluginRegistry({"township": township, "broken": plugin})
    assert "broken" in str(raised.value)
    assert hook in str(raised.value)


def test_unknown_plugin_names_the_installed_ones() -> None:
    registry = PluginRegistry({"township": township, "other": types.ModuleType("other")})
    with pytest.raises(UnknownPlugin) as raised:
        registry.plugin("nope")
    assert raised.value.name == "nope"
    assert "nope" in str(raised.value)
    assert "township" in str(raised.value) and "other" in str(raised.value)
    with pytest.raises(UnknownPlugin, match="township"):
        registry.hooks_for(context(3, "nope"))
    with pytest.raises(UnknownPlugin, match="township"):
        registry.settings_specs("nope")


def test_discover_finds_township_through_the_entry_point_group() -> None:
    names = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert "township" in names
    registry = PluginRegistry.discover()
    assert "township" in registry.names
    assert registry.plugin("township") is township
    extra = types.ModuleType("extra")
    with_extra = PluginRegistry.discover(extra={"extra": extra})
    assert with_extra.plugin("extra") is extra
    assert "township" in with_extra.names


class RecordingApprovals:
    """A small organisation: two approval levels, and a record of every call it gets."""

    CHAIN = (
        ApprovalStep("section", Role.APPROVER, "科室负责人"),
        ApprovalStep("head", Role.APPROVER, "分管领导"),
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def hy_approval_chain(self, ctx: TenantContext, case: Case) -> Sequence[ApprovalStep]:
        self.calls.append(("hy_approval_chain", ctx.tenant_id))
        return self.CHAIN

    @hookimpl
    def hy_sla_timers(self, ctx: TenantContext, case: Case) -> Sequence[TimerRule]:
        self.calls.append(("hy_sla_timers", ctx.tenant_id))
        return ()

    @hookimpl
    def hy_transition_veto(self, ctx: TenantContext, case: Case, command: CaseCommand) -> str | None:
        self.calls.append(("hy_transition_veto", ctx.tenant_id))
        return "须经两级审批 (recording plugin)"

    @hookimpl
    def hy_on_case_received(self, ctx: TenantContext, case: Case) -> None:
        self.calls.append(("hy_on_case_received", ctx.tenant_id))


def test_each_tenant_calls_only_its_own_plugin() -> None:
    recorder = RecordingApprovals()
    registry = PluginRegistry({"township": township, "approvals": recorder})
    nanxi = registry.hooks_for(township_context(1))
    other = registry.hooks_for(context(2, "approvals"))
    replied = make_case(CaseState.REPLIED)

    assert nanxi.approval_chain(make_case()) == ()
    assert [rule.kind for rule in nanxi.sla_timers(make_case())] == [
        "transfer",
        "return_window",
        "handling",
        "feedback",
    ]
    # township's feedback-first rule, a hy_action_veto: the payload plays no part
    assert len(nanxi.action_veto(replied, Action.CLOSE)) == 1
    assert nanxi.transition_veto(replied, CloseCase()) == ()
    nanxi.on_case_received(make_case())
    assert recorder.calls == [], "the township tenant reached the other tenant's plugin"

    assert other.approval_chain(make_case(tenant_id=2)) == RecordingApprovals.CHAIN
    assert other.sla_timers(make_case(tenant_id=2)) == ()
    assert other.transition_veto(replied, CloseCase()) == ("须经两级审批 (recording plugin)",)
    dispatch = DispatchCase(unit_code="u1", cause="案由", opinion="意见")
    assert other.transition_veto(make_case(tenant_id=2), dispatch) == ("须经两级审批 (recording plugin)",)
    assert {tenant for _, tenant in recorder.calls} == {2}
    assert [hook for hook, _ in recorder.calls] == [
        "hy_approval_chain",
        "hy_sla_timers",
        "hy_transition_veto",
        "hy_transition_veto",
    ]


def test_hooks_for_caches_per_tenant_and_rebuilds_when_the_tenant_changes() -> None:
    registry = PluginRegistry({"township": township, "approvals": RecordingApprovals()})
    first = registry.hooks_for(township_context(1))
    assert registry.hooks_for(township_context(1)) is first  # an equal context, not the same object
    other = registry.hooks_for(context(2, "approvals"))
    assert other is not first
    assert registry.hooks_for(township_context(1)) is first  # another tenant does not evict it

    renamed = registry.hooks_for(township_context(1, name="南溪镇人民政府"))
    assert renamed is not first
    assert renamed.ctx.name == "南溪镇人民政府"
    assert registry.hooks_for(township_context(1, name="南溪镇人民政府")) is renamed

    settings = {**township_context(1).settings, "general_working_days": 7}
    resettled = registry.hooks_for(township_context(1, name="南溪镇人民政府", settings=settings))
    assert resettled is not renamed
    handling = next(rule for rule in resettled.sla_timers(make_case()) if rule.kind == "handling")
    assert handling.period.amount == 7

    switched = registry.hooks_for(context(1, "approvals"))
    assert switched.approval_chain(make_case()) == RecordingApprovals.CHAIN
