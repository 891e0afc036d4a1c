"""A manual 督办 reaches the people who must act on the case, and nobody else, for every plugin."""

from __future__ import annotations

import pytest

from core.domain.cases import CaseState
from core.domain.commands import EscalateCase
from core.domain.lifecycle import Action
from core.services.clock import FixedClock
from core.services.root import Services
from tests.walks import NOW, PLUGINS, offered_to, walk_to


@pytest.mark.parametrize("plugin", PLUGINS)
async def test_a_manual_supervision_lands_in_the_handling_units_inboxes_only(
    make_tenant, registry, actors, plugin
):
    tenant = await make_tenant(plugin)
    services = Services.build(registry, FixedClock(NOW))
    case_id = await walk_to(services.cases, tenant.id, actors, CaseState.DISPATCHED, plugin)
    escalators = [
        actor
        for actor in actors.values()
        if Action.ESCALATE in await offered_to(services.cases, tenant.id, case_id, actor)
    ]
    assert escalators, f"{plugin}: nobody is offered 督办 on a dispatched case"
    supervisor = escalators[0]
    await services.cases.perform(tenant.id, case_id, EscalateCase(reason="逾期未反馈办理情况"), supervisor)

    def supervision(notes):
        return [n for n in notes if n.subject.startswith("督办：")]

    inboxes = {name: supervision(await services.inbox.notifications(tenant.id, name)) for name in actors}
    # The case went to unit jcs: its handler hears of it; the other unit and the desk do not.
    assert [n.case_id for n in inboxes["handler"]] == [case_id]
    assert "逾期未反馈办理情况" in inboxes["handler"][0].body
    assert {name for name, notes in inboxes.items() if notes} == {"handler"}
