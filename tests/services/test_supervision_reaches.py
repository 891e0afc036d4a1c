"""催办 and 督办, by hand or by a timer, reach the people who must act on the case, and nobody else.

For every plugin a named complaint is walked to its dispatch; a manual 督办 and the timers of the
dispatched case are then fired. Each message must be in the inbox (and the mail queue) of the
handling unit's handler and head, and of whoever the plugin names (the first-asked person at the
company), and in no one else's: not the other unit's, not the desk's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.cases import CaseState
from core.domain.commands import EscalateCase
from core.domain.lifecycle import Action
from core.domain.roles import Actor, Role
from core.services.clock import FixedClock
from core.services.root import Services
from core.services.tenants import load_tenant
from core.store.outbox import OutboxRepository
from core.store.tx import tenant_tx
from tests.walks import NOW, PLUGINS, full_draft, offered_to, walk_to

HEADS = (
    {"username": "jcs-head", "roles": ["unit_head"], "unit": "jcs", "email": "jcs-head@example.org"},
    {"username": "dzb-head", "roles": ["unit_head"], "unit": "dzb", "email": "dzb-head@example.org"},
)
# Beyond the people handling the case, whom each plugin names (`hy_supervision_recipients`).
NAMED = {"company": {"operator"}}  # 四.1: the first-asked person follows the complaint


async def dispatched_complaint(plugin, make_tenant, registry, actors):
    tenant = await make_tenant(plugin, extra_users=HEADS)
    clock = FixedClock(NOW)
    services = Services.build(registry, clock)
    async with tenant_tx(tenant.id):
        hooks = (await load_tenant(tenant.id, registry)).hooks
    people = actors | {
        user["username"]: Actor(
            username=user["username"], roles=frozenset(Role(r) for r in user["roles"]), unit_code=user["unit"]
        )
        for user in HEADS
    }
    draft = full_draft(plugin, hooks)
    case_id = await walk_to(services.cases, tenant.id, people, CaseState.DISPATCHED, plugin, draft)
    case = (await services.cases.get(tenant.id, case_id, people["supervisor"])).case
    # The unit it went to: its handler (nobody signed for it yet, so every one) and its head.
    unit = {name for name, actor in people.items() if actor.unit_code == case.unit_code}
    return tenant, services, clock, people, case_id, unit | NAMED.get(plugin, set())


async def told(services, tenant, people, case_id, prefix: str) -> dict[str, int]:
    """How many messages starting with `prefix` about the case each person has in the inbox."""
    counts = {}
    for name in people:
        notes = await services.inbox.notifications(tenant.id, name)
        counts[name] = sum(1 for n in notes if n.case_id == case_id and n.subject.startswith(prefix))
    return {name: count for name, count in counts.items() if count}


async def mailed(tenant, case_id, prefix: str) -> set[str]:
    async with tenant_tx(tenant.id):
        notes = await OutboxRepository(tenant.id).for_case(case_id)
    return {n.recipient for n in notes if n.channel == "email" and n.subject.startswith(prefix)}


@pytest.mark.parametrize("plugin", PLUGINS)
async def test_a_manual_supervision_reaches_who_must_act_and_nobody_else(
    make_tenant, registry, actors, plugin
):
    tenant, services, _, people, case_id, expected = await dispatched_complaint(
        plugin, make_tenant, registry, actors
    )
    escalators = [
        actor
        for actor in people.values()
        if Action.ESCALATE in await offered_to(services.cases, tenant.id, case_id, actor)
    ]
    assert escalators, f"{plugin}: nobody is offered 督办 on a dispatched case"
    await services.cases.perform(tenant.id, case_id, EscalateCase(reason="逾期未反馈办理情况"), escalators[0])

    inboxes = await told(services, tenant, people, case_id, "督办：")
    assert set(inboxes) == expected, (plugin, inboxes)
    assert all(count == 1 for count in inboxes.values()), inboxes
    for name in expected:  # with the reason, so they know what is asked of them
        notes = [n for n in await services.inbox.notifications(tenant.id, name) if n.case_id == case_id]
        assert any("逾期未反馈办理情况" in n.body for n in notes), (name, notes)
    heads = {user["username"]: user["email"] for user in HEADS}
    assert await mailed(tenant, case_id, "督办：") == {heads[name] for name in expected if name in heads}


@pytest.mark.parametrize("plugin", PLUGINS)
async def test_a_timers_reminder_and_notice_reach_who_must_act_and_nobody_else(
    make_tenant, registry, actors, plugin
):
    tenant, services, clock, people, case_id, expected = await dispatched_complaint(
        plugin, make_tenant, registry, actors
    )
    view = await services.cases.get(tenant.id, case_id, people["supervisor"])
    running = [stored for stored in view.timers if stored.timer.state.value == "running"]
    assert running, f"{plugin}: a dispatched complaint has no running deadline"
    clock.at = max(stored.timer.due_at for stored in running) + timedelta(days=1)
    for stored in running:
        await services.timer_jobs.fire(tenant.id, stored.id)

    reminded = await told(services, tenant, people, case_id, "催办：")
    noticed = await told(services, tenant, people, case_id, "督办通知单")
    assert reminded or noticed, f"{plugin}: the late case told nobody"
    if reminded:
        assert set(reminded) == expected, (plugin, reminded)
    if noticed:  # a supervision notice goes to the supervisors too, who chase it
        assert set(noticed) == expected | {"supervisor"}, (plugin, noticed)
