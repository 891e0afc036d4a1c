"""Any text the platform accepts renders: every document kind, from the longest, least breakable text.

A title of 200 characters, contents, opinions, replies and every fact of 20,000 unbroken
characters (no space, no punctuation to break at), every intake answer and identity value of
500: the worker must lay each out (ReportLab refuses a table row taller than a page) and print
every character.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from core.domain.cases import Case, CaseKind, CaseState, Channel
from core.domain.documents import (
    CASE_FREE_TEMPLATES,
    FACT_PLACEHOLDERS,
    HANDOVER_PLACEHOLDERS,
    IDENTITY_PLACEHOLDERS,
    fill,
    render_document,
    resolve_templates,
)
from core.domain.layout import layout
from core.domain.text import LIMITS, LONG_TEXT
from core.services.rendering import render_pdf
from core.services.tenants import load_tenant
from core.store.tx import tenant_tx
from tests.walks import PLUGINS

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (make test)")

LONG = "a" * LONG_TEXT
ANSWER = "b" * LIMITS["answer"]


def printed(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(result.stdout.decode().split())


@pytest.mark.parametrize("plugin", PLUGINS)
async def test_every_document_renders_from_the_longest_text_accepted(make_tenant, registry, plugin):
    tenant = await make_tenant(plugin)
    async with tenant_tx(tenant.id):
        loaded = await load_tenant(tenant.id, registry)
    hooks = loaded.hooks
    templates = resolve_templates(hooks.register_document_templates())
    facts = {name: LONG for name in FACT_PLACEHOLDERS}
    identity = {name: ANSWER for name in IDENTITY_PLACEHOLDERS}
    rendered = set()
    for kind in CaseKind:
        schema = hooks.intake_schema(kind)
        case = Case(
            id=1,
            tenant_id=tenant.id,
            serial="NX-2026-000001",
            kind=kind,
            channel=Channel.LETTER,
            state=CaseState.REPLIED,
            title="题" * LIMITS["title"],
            content=LONG,
            received_at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
            unit_code="jcs",
            cause=LONG,
            opinion=LONG,
            reply_content=LONG,
            fields={spec.key: ANSWER for spec in schema.fields if kind in spec.kinds and not spec.identity},
        )
        for key, template in templates.items():
            if key in CASE_FREE_TEMPLATES or kind not in template.kinds or key in rendered:
                continue
            rendered.add(key)  # once, for the first kind it is meant for
            body = render_document(template, case, loaded.ctx, facts, identity, schema=schema)
            pdf = render_pdf(
                tenant=tenant.name, title=template.title, number="X-2026-0001", blocks=layout(body)
            )
            assert printed(pdf).count("a") == body.count("a"), (plugin, key)  # all of it, nothing cut
    assert rendered == {key for key in templates if key not in CASE_FREE_TEMPLATES}


async def test_a_handover_of_twenty_thousand_unbroken_characters_renders(make_tenant, registry):
    tenant = await make_tenant()
    async with tenant_tx(tenant.id):
        hooks = (await load_tenant(tenant.id, registry)).hooks
    record = resolve_templates(hooks.register_document_templates())["handover_record"]
    body = fill(record.body, {name: LONG for name in HANDOVER_PLACEHOLDERS}, HANDOVER_PLACEHOLDERS)
    pdf = render_pdf(tenant=tenant.name, title=record.title, number="交接-2026-0001", blocks=layout(body))
    assert printed(pdf).count("a") == body.count("a") >= LONG_TEXT  # the notes in full
