"""Measure the document renderer: ms per page for each core template, and trend spotting on 10,000 cases.

Run: ``.venv/bin/python bench/documents.py`` (not part of the test run). Prints one line per template
and the figures recorded in ``bench/documents.md``.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from core.defaults import CORE_TEMPLATES
from core.domain.cases import Case, CaseKind, CaseState, Channel, Severity
from core.domain.documents import HANDOVER_PLACEHOLDERS, fill, render_document
from core.domain.layout import layout, to_html
from core.domain.tenancy import TenantContext, Unit
from core.services.rendering import render_pdf

CASE = Case(
    id=1,
    tenant_id=1,
    serial="NX-2026-000042",
    kind=CaseKind.COMPLAINT,
    channel=Channel.PHONE,
    state=CaseState.REPLIED,
    title="村务公开栏三个月未更新",
    content="投诉人反映幸福村村务公开栏自八月起未更新，补贴名单与实际发放不一致。" * 3,
    received_at=datetime(2026, 9, 30, 2, 0, tzinfo=UTC),
    severity=Severity.GENERAL,
    category="not_compiled",
    unit_code="jcs",
    cause="政务公开不到位",
    opinion="请核实并限期整改",
    reply_mode="written",
    reply_content="经核查属实，已责令三日内更新公开栏。",
)
CTX = TenantContext(
    tenant_id=1, slug="nanxi", name="南溪镇人民政府", plugin="township", units=(Unit("jcs", "镇监察室"),)
)


def main(rounds: int = 200) -> None:
    for template in CORE_TEMPLATES:
        if template.key == "handover_record":
            body = fill(
                template.body,
                {"number": "交接-2026-0001", "cases_received": "NX-2026-000042"},
                HANDOVER_PLACEHOLDERS,
            )
        else:
            body = render_document(template, CASE, CTX, {"number": "X-2026-0001"})
        blocks = layout(body, skip=(template.title, CTX.name))
        head = {"tenant": CTX.name, "title": template.title, "number": "X-2026-0001"}
        render_pdf(**head, blocks=blocks)  # warm-up: font registration
        times, html_times = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            pdf = render_pdf(**head, blocks=blocks)
            times.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            to_html(**head, blocks=blocks)
            html_times.append((time.perf_counter() - started) * 1000)
        print(
            f"{template.key:18} pdf {statistics.median(times):6.2f} ms/page"
            f" (p95 {sorted(times)[int(rounds * 0.95)]:.2f})"
            f"  {len(pdf) / 1024:5.1f} KiB   html {statistics.median(html_times):.3f} ms"
        )

    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from core.domain.trends import detect
    from tests.domain.test_trends import NOW, control, seeded

    for name, records in (("seeded", seeded()[0]), ("control", control())):
        started = time.perf_counter()
        signals = detect(records, now=NOW)
        print(
            f"trends {name:8} 10,000 cases: {(time.perf_counter() - started) * 1000:.0f} ms,"
            f" {len(signals)} signals"
        )


if __name__ == "__main__":
    main()
