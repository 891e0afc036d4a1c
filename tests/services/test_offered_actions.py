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
from core.domain.lifecycle import allowed_actions
from core.domain.roles import permission_for
from core.services.cases import CaseService
from core.services.clock import FixedClock
from core.services.tenants import load_tenant
from core.store.tx import tenant_tx
from tests.walks import NOW, PLUGINS, command, full_draft, offered_to, walk

STAGES = 7


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize("stages", range(STAGES))
@pytest.mark.parametrize("kind", ["consultation", "complaint"])
async def test_what_is_offered_is_what_succeeds(make_tenant, registry, actors, plugin, stages, kind):
    tenant = await make_tenant(plugin)
    service = CaseService(registry, FixedClock(NOW))
    async with tenant_tx(tenant.id):
        hooks = (await load_tenant(tenant.id, registry)).hooks
    # An anonymous consultation, or a named complaint with every intake answer the plugin takes.
    draft = full_draft(plugin, hooks) if kind == "complaint" else None
    probe = await walk(service, tenant.id, actors, stages, plugin, draft)
    state = (await service.get(tenant.id, probe, actors["supervisor"])).case.state
    checked = 0
    for actor in actors.values():
        offered = await offered_to(service, tenant.id, probe, actor)
        for action in allowed_actions(state):
            if action not in COMMANDS or not actor.can(permission_for(action)):
                assert action not in offered
                continue
            case_id = await walk(service, tenant.id, actors, stages, plugin, draft)
            case = (await service.get(tenant.id, case_id, actors["supervisor"])).case
            try:
                await service.perform(tenant.id, case_id, command(action, actor, plugin, case, hooks), actor)
                succeeded = True
            except DomainError as exc:
                succeeded, why = False, str(exc)
            assert succeeded == (action in offered), (
                f"{plugin}: {actor.username} {action.value} at {state.value}"
                + ("" if succeeded else f": {why}")
            )
            checked += 1
    assert checked  # the stage left someone something to try
