"""Statistics break down by every dimension each plugin registers, by label, for any period."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from core.domain.cases import CaseKind, Channel
from core.domain.reporting import BLANK_VALUE, ReportingPeriod
from core.services.clock import FixedClock
from core.services.root import Services
from core.services.tenants import load_tenant
from core.store.tx import tenant_tx
from tests.walks import NOW, PLUGINS, full_draft, walk

PERIODS = ("2026-11", "2026-Q4", "2026", "2026-10-15..2026-11-20")


@pytest.mark.parametrize("plugin", PLUGINS)
async def test_every_registered_dimension_is_broken_down_by_label_over_any_period(
    make_tenant, registry, actors, plugin
):
    tenant = await make_tenant(plugin)
    services = Services.build(registry, FixedClock(NOW))
    async with tenant_tx(tenant.id):
        loaded = await load_tenant(tenant.id, registry)
    draft = full_draft(plugin, loaded.hooks)
    case_id = await walk(services.cases, tenant.id, actors, 12, plugin, draft)
    case = (await services.cases.get(tenant.id, case_id, actors["supervisor"])).case
    dimensions = loaded.hooks.register_statistics_dimensions()
    assert dimensions, f"{plugin} registers no statistics dimension"
    schemas = [loaded.hooks.intake_schema(kind) for kind in CaseKind]

    def expected(attribute: str) -> str:
        value = (
            getattr(case, attribute) if attribute in ("category", "unit_code", "channel", "owner") else None
        )
        if value is None:
            value = case.fields.get(attribute)
        if value in (None, ""):
            return BLANK_VALUE
        if attribute == "unit_code":
            return next(unit.name for unit in loaded.ctx.units if unit.code == value)
        if attribute == "channel":
            return Channel(value).label
        for schema in schemas:
            for spec in schema.fields:
                if (spec.key == attribute or attribute == "category") and dict(spec.choices).get(value):
                    return dict(spec.choices)[value]
        return str(value)

    for typed in PERIODS:
        report = await services.statistics.report(
            tenant.id, actors["supervisor"], ReportingPeriod.parse(typed)
        )
        by_key = {b.key: b for b in report.breakdowns}
        assert list(by_key) == [d.key for d in dimensions], typed
        for dimension in dimensions:
            rows = by_key[dimension.key].rows
            print(plugin, dimension, rows, expected(dimension.attribute))
            want = expected(dimension.attribute)
            assert [(row.label, row.received, row.replied) for row in rows] == [(want, 1, 1)], (
                f"{plugin} {typed}: by {dimension.label}"
            )
        # Every dimension's table reaches the circular, the CSV and the workbook.
        circular = report.circular()
        table_lines = circular.splitlines()
        for dimension in dimensions:
            assert f"【按{dimension.label}】" in circular
            header = table_lines.index(f"【按{dimension.label}】") + 1
            assert table_lines[header + 1].split("\t")[:2] == [expected(dimension.attribute), "1"]
        rows = list(csv.reader(io.StringIO(report.csv())))
        for dimension in dimensions:
            at = rows.index([f"按{dimension.label}"])
            assert rows[at + 2][:2] == [expected(dimension.attribute), "1"]
        book = load_workbook(io.BytesIO(report.xlsx()))
        assert book.sheetnames == ["按单位", *(f"按{d.label}"[:31] for d in dimensions)]

    # A period without the case counts nothing under any dimension.
    empty = await services.statistics.report(
        tenant.id, actors["supervisor"], ReportingPeriod.parse("2026-09")
    )
    assert all(not b.rows for b in empty.breakdowns)
