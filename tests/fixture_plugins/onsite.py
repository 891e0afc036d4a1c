"""A test organisation with the 12312 on-site rules: dispatch within 10 minutes, arrive in 30.

Loaded by name in other processes (workers) through ``HUIYING_PLUGIN_MODULES``; the
commerce12312 plugin will follow the same path.
"""

from __future__ import annotations

from core.sdk import Action, Case, Period, TenantContext, TimerRule, hookimpl


@hookimpl
def hy_sla_timers(ctx: TenantContext, case: Case) -> tuple[TimerRule, ...]:
    return (
        TimerRule(
            kind="dispatch",
            label="分流转办时限",
            period=Period.parse("10 minutes"),
            basis="测试规则：现场处置投诉受理后 10 分钟内发出转办",
            stops_on=frozenset({Action.DISPATCH, Action.REFER_OUT, Action.REFUSE}),
        ),
        TimerRule(
            kind="arrival",
            label="到达现场时限",
            period=Period.parse("30 minutes"),
            basis="测试规则：接到转办后 30 分钟内到达现场",
            starts_on=Action.DISPATCH,
            stops_on=frozenset({Action.ARRIVE, Action.RETURN}),
        ),
    )


@hookimpl
def hy_case_escalation(ctx: TenantContext, case: Case) -> str | None:
    if case.flags:
        return "重大、严重、突发性、群体性事件，立即报告站长并跟踪（测试规则）"
    return None
