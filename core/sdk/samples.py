"""The sample tenant, cases, commands and events the conformance suite asks a plugin about.

Time is fixed: the samples are received at 2026-09-30T10:00+08:00 (just before the National
Day holiday) and deadlines are computed from several fixed instants around it (`TRIGGERS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, ClassVar

from core.domain.calendar import BusinessCalendar, CalendarPolicy, Period, statutory_schedules
from core.domain.cases import (
    Case,
    CaseKind,
    CaseState,
    Channel,
    Complexity,
    Satisfaction,
    Severity,
    SeverityFlag,
)
from core.domain.commands import COMMANDS, CaseCommand, ReplyMode
from core.domain.events import CaseEvent, EventName
from core.domain.lifecycle import TRANSITIONS, Action
from core.domain.tenancy import TenantContext, Unit, resolve_settings
from core.plugins import PluginRegistry, TenantHooks

__all__ = ["NOW", "TRIGGERS", "ConformanceSamples"]

NOW = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
"""When the sample cases were received: the last workday before National Day 2026."""

TRIGGERS: tuple[datetime, ...] = (
    NOW,
    datetime.fromisoformat("2026-10-01T00:00:00+08:00"),  # first day of a statutory holiday
    datetime.fromisoformat("2026-10-09T23:59:59+08:00"),  # the last second of a workday
    datetime.fromisoformat("2026-10-10T09:00:00+08:00"),  # a Saturday that is a make-up workday
    datetime.fromisoformat("2026-12-31T23:30:00+08:00"),  # the next year has no holiday data yet
    datetime.fromisoformat("2026-03-28T18:00:00+00:00"),  # UTC, already Sunday in the tenant's zone
)
"""The fixed instants deadlines are computed from; none of them is read from a clock."""

# Where a sample case stands decides what the earlier steps left on it.
_DISPATCHED = frozenset(
    {
        CaseState.DISPATCHED,
        CaseState.IN_HANDLING,
        CaseState.REPLIED,
        CaseState.FEEDBACK,
        CaseState.CLOSED,
        CaseState.ARCHIVED,
    }
)
_SIGNED = _DISPATCHED - {CaseState.DISPATCHED}
_REPLIED = _SIGNED - {CaseState.IN_HANDLING}
_ANSWERED = _REPLIED - {CaseState.REPLIED}

# (complexity, severity, flags, anonymous) of the variants built for every kind and state.
_VARIANTS = (
    (Complexity.GENERAL, Severity.GENERAL, frozenset(), False),
    (Complexity.COMPLEX, Severity.MAJOR, frozenset({SeverityFlag.MAJOR, SeverityFlag.MASS}), False),
    (Complexity.GENERAL, Severity.SERIOUS, frozenset({SeverityFlag.SUDDEN}), True),
)


class ConformanceSamples:
    """The sample tenant and the sample cases, commands and events the conformance tests ask about.

    Subclass `PluginConformance` (which is one), not this; override `case_fields` or `units` to
    give the samples realistic values.
    """

    plugin: ClassVar[object]
    """The plugin: a module or an object with ``hy_*`` hookimpls, as its entry point loads it."""

    name: ClassVar[str]
    """The name the plugin is installed under (its entry-point name)."""

    settings: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    """Tenant settings to check the plugin with; validated against what the plugin declares."""

    units: ClassVar[tuple[Unit, ...]] = (
        Unit("u01", "示例承办单位"),
        Unit("u02", "示例下级单位", parent="u01"),
    )
    """The sample tenant's handling units; dispatched sample cases sit with the first one."""

    timezone: ClassVar[str] = "Asia/Shanghai"
    """The sample tenant's time zone."""

    # --- the tenant, as the platform builds it ------------------------------------------------

    def registry(self) -> PluginRegistry:
        """A registry holding only the plugin under test."""
        return PluginRegistry({self.name: self.plugin})

    def context(self, registry: PluginRegistry | None = None) -> TenantContext:
        """The sample tenant, settings resolved against the core's and the plugin's declarations."""
        registry = registry or self.registry()
        specs = registry.settings_specs(self.name)
        return TenantContext(
            tenant_id=1,
            slug="conformance",
            name=f"一致性测试租户（{self.name}）",
            plugin=self.name,
            timezone=self.timezone,
            units=tuple(self.units),
            settings=resolve_settings(specs, platform={}, tenant=dict(self.settings), by_kind={}),
        )

    def hooks(self) -> TenantHooks:
        """The typed facade over the sample tenant's manager."""
        registry = self.registry()
        return registry.hooks_for(self.context(registry))

    def calendar(self) -> BusinessCalendar:
        """The statutory business calendar in the sample tenant's zone."""
        return BusinessCalendar(statutory_schedules(), CalendarPolicy(timezone=self.timezone))

    # --- sample values ------------------------------------------------------------------------

    def case_fields(self, hooks: TenantHooks, kind: CaseKind) -> Mapping[str, Any]:
        """Intake values for sample cases of `kind`: by default a placeholder for every field.

        A field with choices gets its first choice. Identity fields are left out: they live
        apart from the case. Override to give values your rules recognise (e.g. a real category
        key).
        """
        schema = hooks.intake_schema(kind)
        return {
            spec.key: spec.choices[0][0] if spec.choices else f"示例{spec.label}"
            for spec in schema.fields
            if kind in spec.kinds and not spec.identity
        }

    def sample_cases(self, hooks: TenantHooks, kind: CaseKind) -> tuple[Case, ...]:
        """Cases of `kind` in every state, simple and complex, named and anonymous."""
        fields = dict(self.case_fields(hooks, kind))
        unit = self.units[0].code if self.units else "u01"
        cases = []
        for state in CaseState:
            for complexity, severity, flags, anonymous in _VARIANTS:
                number = len(cases) + 1
                cases.append(
                    Case(
                        id=number,
                        tenant_id=1,
                        serial=f"CF-2026-{number:06d}",
                        kind=kind,
                        channel=Channel.LETTER if anonymous else Channel.PHONE,
                        state=state,
                        title=f"示例{kind.label}：政务信息未及时公开（{number}）",
                        content="反映人称办事指南长期未更新，要求公开最新收费标准。",
                        received_at=NOW,
                        severity=severity,
                        flags=flags,
                        complexity=complexity,
                        anonymous=anonymous,
                        unit_code=unit if state in _DISPATCHED else None,
                        handler="示例承办人" if state in _SIGNED else None,
                        cause="政务公开" if state in _DISPATCHED else "",
                        opinion="请依规办理并答复" if state in _DISPATCHED else "",
                        reply_mode=ReplyMode.WRITTEN.value if state in _REPLIED else "",
                        reply_content="经核实，已更新办事指南。" if state in _REPLIED else "",
                        satisfaction=Satisfaction.SATISFIED if state in _ANSWERED else None,
                        fields=fields,
                    )
                )
        return tuple(cases)

    def sample_command(self, action: Action) -> CaseCommand:
        """A valid command for `action`, as an operator would send it."""
        values: dict[Action, dict[str, Any]] = {
            Action.REGISTER: {"category": "示例类别"},
            Action.ACCEPT: {"note": "符合受理条件"},
            Action.REFUSE: {"reason": "不属于受理范围"},
            Action.REFER_OUT: {"agency": "县市场监督管理局", "reason": "属其职责"},
            Action.REQUEST_SUPPLEMENT: {"items": ("身份证明", "相关票据")},
            Action.SUPPLY: {"note": "材料已补齐"},
            Action.SUBMIT_FOR_APPROVAL: {"opinion": "拟转承办单位办理"},
            Action.APPROVE: {"opinion": "同意"},
            Action.REJECT: {"reason": "意见不明确"},
            Action.DISPATCH: {
                "unit_code": self.units[0].code if self.units else "u01",
                "cause": "政务公开",
                "opinion": "请依规办理",
            },
            Action.SIGN_FOR: {"handler": "示例承办人"},
            Action.RETURN: {"reason": "不属本单位职责"},
            Action.REPLY: {"mode": ReplyMode.WRITTEN, "content": "经核实，已更新办事指南。"},
            Action.RECORD_FEEDBACK: {"satisfaction": Satisfaction.SATISFIED},
            Action.CLOSE: {"summary": "已办结"},
            Action.ARCHIVE: {},
            Action.REQUEST_EXTENSION: {"period": Period.parse("5 working days"), "reason": "需现场核查"},
            Action.INSTRUCT: {"instruction": "请立即派员核查"},
            Action.ARRIVE: {"note": "已到达现场"},
            Action.FOLLOW_UP: {"note": "已核实", "verified": True},
            Action.EXTEND: {"period": Period.parse("5 working days"), "reason": "需现场核查"},
            Action.ESCALATE: {"reason": "逾期未办"},
            Action.REOPEN: {"reason": "投诉人不满意"},
            Action.INVESTIGATE: {
                "investigators": ("调查人甲", "调查人乙"),
                "interviewee": "被调查人",
                "place": "本中心接待室",
                "findings": "经调查，情况属实",
                "signed": True,
            },
            Action.SET_DEADLINE: {
                "timer": "handling",
                "due_on": date(2026, 12, 10),
                "reason": "与投诉人约定",
            },
            Action.ORDER_REMEDY: {
                "accused": "被投诉单位",
                "measures": "立即纠正",
                "due_on": date(2026, 12, 10),
            },
            Action.CONFIRM_REMEDY: {"note": "已整改到位"},
        }
        return COMMANDS[action](**values[action])

    def sample_event(self, case: Case) -> CaseEvent:
        """An event that could have brought `case` into its state."""
        edge = next(
            ((state, action) for (state, action), to in TRANSITIONS.items() if to is case.state), None
        )
        if edge is None:
            return CaseEvent(
                name=EventName.RECEIVED, at=NOW, actor="conformance", from_state=None, to_state=case.state
            )
        from_state, action = edge
        return CaseEvent(
            name=action.event_name,
            at=NOW,
            actor="conformance",
            from_state=from_state,
            to_state=case.state,
            action=action.value,
        )
