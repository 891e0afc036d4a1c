"""The dispatch form starts on the unit the tenant's rules route the case to, and says why."""

from __future__ import annotations

import html
import importlib
import re

import pytest

from core.domain.cases import CaseState
from core.plugins import PluginRegistry
from core.services.cases import CaseService
from tests.walks import walk_to


@pytest.fixture(scope="session")
def registry():
    """The installed plugins and one whose routing is binding (every case to 镇监察室)."""
    return PluginRegistry.discover(
        extra={"bound": importlib.import_module("tests.fixture_plugins.bound_routing")}
    )


async def test_the_dispatch_form_preselects_the_routed_unit_and_gives_the_rule(
    make_tenant, registry, clock, actors, sign_in
):
    tenant = await make_tenant("bound", demo=True)
    case_id = await walk_to(CaseService(registry, clock), tenant.id, actors, CaseState.ACCEPTED, "township")
    client, _ = await sign_in(tenant.slug, "leader")
    page = html.unescape((await client.get(f"/t/{tenant.slug}/cases/{case_id}")).text)
    hint = re.search(r'<p class="muted" id="routing-hint">(.*?)</p>', page).group(1)
    assert hint == "建议转：镇监察室（测试规则：一律由镇监察室办理）；按规定只能转该单位"
    select = re.search(r'<select id="dispatch-unit_code".*?</select>', page, re.S).group(0)
    assert '<option value="jcs" selected>' in select
