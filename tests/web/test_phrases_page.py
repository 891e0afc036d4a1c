"""The case page reads standard phrases out with the case's facts, ready to insert."""

from __future__ import annotations

import html

from core.domain.cases import CaseKind, Channel
from core.domain.commands import ReferCaseOut, RegisterCase
from core.domain.intake import IntakeDraft
from core.domain.roles import Actor, Role
from core.services.cases import CaseService

OPERATOR = Actor("operator", roles=frozenset({Role.INTAKE_OFFICER}))


async def test_after_a_referral_the_phrase_names_the_body_and_its_phone(
    make_tenant, registry, clock, sign_in
):
    tenant = await make_tenant("commerce12312", demo=True)
    cases = CaseService(registry, clock)
    draft = IntakeDraft(
        kind=CaseKind.CONSULTATION,
        channel=Channel.PHONE,
        title="网购退货",
        content="商家不给退货怎么办？",
        anonymous=True,
    )
    case_id = (await cases.intake(tenant.id, draft, OPERATOR)).case.id
    await cases.perform(tenant.id, case_id, RegisterCase(), OPERATOR)
    await cases.perform(
        tenant.id, case_id, ReferCaseOut(agency="县市场监督管理局（电话 12315）", reason="属其职责"), OPERATOR
    )
    client, _ = await sign_in(tenant.slug, "operator")
    page = await client.get(f"/t/{tenant.slug}/cases/{case_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "已转至县市场监督管理局，麻烦您跟他们联系，电话号码是12315" in text
    assert "{department}" not in text and "{phone}" not in text
    assert (
        'data-phrase="你好，您的投诉（举报）我们已转至县市场监督管理局' in text
    )  # the 插入 button carries it
