"""The actions offered to a person are exactly those that would succeed for them now.

A case is walked step by step; at each step, for every demo role and every action the lifecycle
table and the permission matrix leave open, the action is tried on a fresh case walked to the
same step. It must succeed exactly when `allowed_actions` offered it: no button that is then
refused, no step that works but is hidden.
"""

from __future__ import annotations

import pytest

from core.domain.commands import COMMANDS
from core.domain.errors import DomainError
from core.domain.lifecycle import Action, allowed_actions
from core.domain.roles import permission_for
from core.services.cases import CaseService
from core.services.clock import FixedClock
from tests.walks import NOW, PLUGINS, command, offered_to, walk

# Plugin vetoes that do not depend on the payload but are not yet asked before offering: the
# veto hook takes the command itself (issue: the contract honoured end to end, point 5).
NOT_YET_ASKED = {("efficiency", Action.ORDER_REMEDY)}
STAGES = 6


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("stages", range(STAGES))
async def test_what_is_offered_is_what_succeeds(make_tenant, registry, actors, plugin, stages):
    tenant = await make_tenant(plugin)
    service = CaseService(registry, FixedClock(NOW))
    probe = await walk(service, tenant.id, actors, stages, plugin)
    state = (await service.get(tenant.id, probe, actors["supervisor"])).case.state
    checked = 0
    for actor in actors.values():
        offered = await offered_to(service, tenant.id, probe, actor)
        for action in allowed_actions(state):
            if action not in COMMANDS or not actor.can(permission_for(action)):
                assert action not in offered
                continue
            case_id = await walk(service, tenant.id, actors, stages, plugin)
            try:
                await service.perform(tenant.id, case_id, command(action, actor, plugin), actor)
                succeeded = True
            except DomainError as exc:
                succeeded, why = False, str(exc)
            if (plugin, action) in NOT_YET_ASKED and not succeeded:
                continue
            assert succeeded == (action in offered), (
                f"{plugin}: {actor.username} {action.value} at {state.value}"
                + ("" if succeeded else f": {why}")
            )
            checked += 1
    assert checked  # the stage left someone something to try
