"""The supervisor's dashboard, the statistics page and the duty desk (roster, handover)."""

from __future__ import annotations

from datetime import timedelta

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from core.domain.errors import DomainError, InvalidCommand
from core.domain.reporting import ReportingPeriod
from core.domain.roles import Permission
from core.services.root import Services
from core.services.values import CaseQuery
from core.web.pages import form_data
from core.web.session import check_csrf
from core.web.staff.base import StaffPages, console_for

__all__ = ["DeskPages"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DeskPages(StaffPages):
    """Dashboard and duty."""

    @get("/dashboard")
    async def dashboard(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        actor = principal.actor
        overdue = await services.deadlines.by_unit(principal.tenant_id, actor)
        local = services.clock.now().astimezone(context["zone"])
        # The dashboard shows no month-on-month change: the month before is not read.
        report = await services.statistics.monthly(
            principal.tenant_id, actor, local.year, local.month, compare=False
        )
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        satisfaction = await console_for(services).satisfaction(principal.tenant_id, actor, start, end)
        totals = report.totals
        rated = sum(v for k, v in satisfaction.items() if k != "unreachable")
        happy = satisfaction.get("satisfied", 0) + satisfaction.get("basically_satisfied", 0)
        return Template(
            "staff/dashboard.html",
            context=context
            | {
                "overdue": overdue,
                "report": report,
                "totals": totals,
                "on_time_rate": _rate(totals.replied_on_time, totals.replied),
                "satisfaction": satisfaction,
                "satisfaction_rate": _rate(happy, rated),
                "overdue_max": max([line.overdue_cases for line in overdue.units] + [1]),
                "received_max": max([line.received for line in report.lines] + [1]),
            },
        )

    # --- statistics ----------------------------------------------------------------------------

    @get("/statistics")
    async def statistics(
        self,
        request: Request,
        slug: FromPath[str],
        services: NamedDependency[Services],
        period: FromQuery[str] = "",
        format: FromQuery[str] = "",
    ) -> Template | Response:
        """Any period's figures by unit and by the plugin's dimensions, with CSV and XLSX downloads."""
        principal, _, context = await self._page(request, slug, services)
        local = services.clock.now().astimezone(context["zone"])
        typed = period.strip() or f"{local.year}-{local.month:02d}"
        try:
            chosen = ReportingPeriod.parse(typed)
        except InvalidCommand as exc:
            page = context | {"period": typed, "report": None, "error": str(exc)}
            return Template("staff/statistics.html", context=page, status_code=422)
        report = await services.statistics.report(principal.tenant_id, principal.actor, chosen)
        if format in ("csv", "xlsx"):
            content = report.csv().encode("utf-8-sig") if format == "csv" else report.xlsx()
            media = "text/csv; charset=utf-8" if format == "csv" else XLSX
            name = f"statistics-{chosen.key}.{format}"
            return Response(
                content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
            )
        page = context | {"period": chosen.key, "report": report, "error": ""}
        return Template("staff/statistics.html", context=page)

    # --- duty -----------------------------------------------------------------------------------

    @get("/duty")
    async def duty(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, _, context = await self._page(request, slug, services)
        return await self._duty(principal, context, services, {}, "", False, 200)

    async def _duty(self, principal, context, services, values, error, done, status) -> Template:
        duty = services.duty
        actor = principal.actor
        now = services.clock.now()
        local = now.astimezone(context["zone"])
        start = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        roster = await duty.roster(principal.tenant_id, actor, start, start + timedelta(days=8))
        current = await duty.on_duty(principal.tenant_id, actor)
        can_log = actor.can(Permission.DUTY_LOG_READ)
        handovers = await duty.handovers(principal.tenant_id, actor) if can_log else []
        received: list[str] = []
        if current is not None and can_log and not values:
            # The handover form starts with the cases received during the shift.
            found, _ = await services.cases.search(
                principal.tenant_id,
                CaseQuery(received_from=current.starts_at, received_before=now, limit=50),
                actor,
            )
            received = [f"{v.case.serial} {v.case.title}" for v in found]
            values = {"cases_received": "\n".join(received)}
        return Template(
            "staff/duty.html",
            context=context
            | {
                "roster": roster,
                "current": current,
                "handovers": handovers,
                "can_log": can_log,
                "values": values,
                "error": error,
                "done": done,
            },
            status_code=status,
        )

    @post("/duty/handover")
    async def handover(
        self, request: Request, slug: FromPath[str], services: NamedDependency[Services]
    ) -> Template:
        principal, csrf, context = await self._page(request, slug, services)
        form, _ = await form_data(request)
        check_csrf(request, form, csrf)
        values = {k: str(v) for k, v in form.items() if k != "_csrf"}

        def lines(name: str) -> list[str]:
            return [line.strip() for line in values.get(name, "").splitlines() if line.strip()]

        duty = services.duty
        current = await duty.on_duty(principal.tenant_id, principal.actor)
        try:
            if current is None or current.id is None:
                raise InvalidCommand("当前没有值班班次，无法填写交接班记录", field="shift")
            await duty.write_handover(
                principal.tenant_id,
                principal.actor,
                current.id,
                cases_received=lines("cases_received"),
                pending=lines("pending"),
                documents=lines("documents"),
                equipment=values.get("equipment", ""),
                notes=values.get("notes", ""),
            )
        except DomainError as exc:
            return await self._duty(principal, context, services, values, str(exc), False, 422)
        return await self._duty(principal, context, services, {}, "", True, 200)


def _rate(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"
