"""A test organisation whose breach effects fail for one case: a plugin bug that hits one timer.

The on-site rules (10 minutes to dispatch) with a ``hy_timer_effects`` that raises for a case
whose title carries 故障, so a batch of timers holds one that cannot be fired.
"""

from __future__ import annotations

from core.sdk import Case, TenantContext, TimerPhase, hookimpl
from tests.fixture_plugins.onsite import hy_sla_timers  # noqa: F401 - registered as this plugin's hook

FAULTY = "故障"


@hookimpl
def hy_timer_effects(ctx: TenantContext, case: Case, timer_kind: str, phase: TimerPhase) -> None:
    if FAULTY in case.title:
        raise RuntimeError(f"插件故障：{case.serial}")
    return None  # the core's default effects
