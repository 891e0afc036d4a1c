"""Monthly statistics per unit: received, dispatched, replied (on time), late, supervision notices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.cases import CaseKind, Channel
from core.domain.commands import AcceptCase, DispatchCase, RegisterCase, ReplyMode, ReplyToCase, SignForCase
from core.domain.errors import NotPermitted
from core.domain.intake import IntakeDraft
from core.services.cases import CaseService
from core.services.clock import FixedClock, SystemClock
from core.services.statistics import StatisticsService
from core.services.timers import TimerJobs
from core.store.tenant_store import TenantStore
from core.store.timers import TimerRepository
from core.store.tx import tenant_tx

OCT_8 = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)  # 09:00 Shanghai, the first working day after the holiday


def complaint(title: str) -> IntakeDraft:
    return IntakeDraft(
        kind=CaseKind.COMPLAINT,
        channel=Channel.PHONE,
        title=title,
        content="公开栏未更新",
        anonymous=True,
        fields={"situation": "not_compiled", "respondent": "村委会"},
    )


async def test_a_month_unit_by_unit_and_as_a_circular(make_tenant, registry, actors):
    tenant = await make_tenant()
    clock = FixedClock(OCT_8)
    service = CaseService(registry, clock)
    ids = []
    for title, unit in (("按时答复", "jcs"), ("逾期未复", "jcs"), ("另一单位", "dzb")):
        case_id = (await service.intake(tenant.id, complaint(title), actors["operator"])).case.id
        await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
        await service.perform(tenant.id, case_id, AcceptCase(), actors["operator"])
        await service.perform(
            tenant.id, case_id, DispatchCase(unit_code=unit, cause="c", opinion="o"), actors["leader"]
        )
        ids.append(case_id)
    await service.perform(tenant.id, ids[0], SignForCase(handler="handler"), actors["handler"])
    await service.perform(
        tenant.id, ids[0], ReplyToCase(mode=ReplyMode.PHONE, content="已整改"), actors["handler"]
    )
    clock.at = datetime(2026, 10, 20, 1, 0, tzinfo=UTC)  # handling was due 10-15
    async with tenant_tx(tenant.id):
        late_timer = next(
            t.id for t in await TimerRepository(tenant.id).of_case(ids[1]) if t.timer.kind == "handling"
        )
    await TimerJobs(registry, clock).fire(tenant.id, late_timer)

    report = await StatisticsService(registry, SystemClock()).monthly(
        tenant.id, actors["supervisor"], 2026, 10
    )
    lines = {line.unit_code: line for line in report.lines}
    jcs, dzb = lines["jcs"], lines["dzb"]
    assert (jcs.received, jcs.dispatched, jcs.replied, jcs.replied_on_time, jcs.late) == (2, 2, 1, 1, 1)
    assert jcs.supervision_notices == 1
    assert (dzb.received, dzb.dispatched, dzb.replied, dzb.late, dzb.supervision_notices) == (1, 1, 0, 0, 0)
    assert report.totals.received == 3 and report.totals.supervision_notices == 1
    circular = report.circular()
    assert "2026 年 10 月投诉举报办理情况通报" in circular
    # 名次 单位 收件 受理 不予受理 移送 转办 答复 按时答复 逾期 督办通知单 …
    assert "\t镇监察室\t2\t2\t0\t0\t2\t1\t1\t1\t1\t" in circular
    assert "逾期单位：镇监察室（1 件）" in circular

    september = await StatisticsService(registry, SystemClock()).monthly(
        tenant.id, actors["supervisor"], 2026, 9
    )
    assert september.totals.received == 0
    with pytest.raises(NotPermitted):
        await StatisticsService(registry, SystemClock()).monthly(tenant.id, actors["handler"], 2026, 10)


# --- a generated month, checked against an independent count from the raw record -----------------

NOV_2 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai


async def test_a_generated_month_matches_an_independent_count(make_tenant, registry, actors):
    """Every figure of every unit equals what the test counts itself from events, timers and documents."""
    import random
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from core.domain.calendar import Period
    from core.domain.cases import Satisfaction
    from core.domain.commands import ExtendCase, RecordFeedback, ReferCaseOut, RefuseCase
    from core.services.tenants import calendar_for
    from core.store.platform import HolidayRepository
    from core.store.tables import Document, SlaTimer

    rng = random.Random(9)
    tenant = await make_tenant()
    clock = FixedClock(NOV_2)
    service = CaseService(registry, clock)
    operator, leader, handler, supervisor = (
        actors[n] for n in ("operator", "leader", "handler", "supervisor")
    )
    ids = []
    for i in range(24):
        clock.at = NOV_2 + timedelta(days=i, hours=rng.randint(0, 8))
        case_id = (await service.intake(tenant.id, complaint(f"第{i}件"), operator)).case.id
        ids.append(case_id)
        await service.perform(tenant.id, case_id, RegisterCase(), operator)
        fate = rng.random()
        if fate < 0.1:
            await service.perform(tenant.id, case_id, RefuseCase(reason="不属受理范围"), operator)
            continue
        if fate < 0.2:
            await service.perform(tenant.id, case_id, ReferCaseOut(agency="县政务服务中心"), operator)
            continue
        await service.perform(tenant.id, case_id, AcceptCase(), operator)
        unit = rng.choice(["jcs", "dzb"])
        await service.perform(
            tenant.id, case_id, DispatchCase(unit_code=unit, cause="c", opinion="o"), leader
        )
        if rng.random() < 0.3:
            period = Period.parse("3 working days")
            await service.perform(
                tenant.id, case_id, ExtendCase(period=period, reason="需核实", timer="handling"), leader
            )
        if rng.random() < 0.75:
            clock.advance(timedelta(days=rng.randint(0, 12)))
            if unit == "jcs":
                await service.perform(tenant.id, case_id, SignForCase(handler="handler"), handler)
                actor = handler
            else:
                actor = supervisor
            try:
                await service.perform(
                    tenant.id, case_id, ReplyToCase(mode=ReplyMode.PHONE, content="已办"), actor
                )
            except Exception:
                continue  # a unit without a handler of its own leaves the case open: still counted
            verdict = rng.choice(list(Satisfaction))
            await service.perform(tenant.id, case_id, RecordFeedback(satisfaction=verdict), supervisor)
    # Fire every due timer at the end of November: late cases and supervision notices.
    clock.at = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 Shanghai, still November
    async with tenant_tx(tenant.id):
        timers = [t.id for i in ids for t in await TimerRepository(tenant.id).of_case(i)]
    for timer_id in timers:
        await TimerJobs(registry, clock).fire(tenant.id, timer_id)

    report = await StatisticsService(registry, clock).monthly(tenant.id, supervisor, 2026, 11)

    # The independent count, from the raw record.
    zone = ZoneInfo("Asia/Shanghai")
    start, end = datetime(2026, 11, 1, tzinfo=zone), datetime(2026, 12, 1, tzinfo=zone)
    async with tenant_tx(tenant.id):
        repo = TenantStore(tenant.id)
        cases = {i: await repo.cases.get(i) for i in ids}
        events = {i: await repo.events.of_case(i) for i in ids}
        breached = {
            r["case_id"]
            for r in await SlaTimer.select(SlaTimer.case_id, SlaTimer.breached_at).where(
                SlaTimer.tenant_id == tenant.id
            )
            if r["breached_at"] is not None and start <= r["breached_at"] < end
        }
        notices = await Document.select(Document.case_id, Document.created_at).where(
            (Document.tenant_id == tenant.id) & (Document.kind == "supervision_notice")
        )
        calendar = calendar_for("Asia/Shanghai", {}, await HolidayRepository().all())
    expected: dict = {}

    def bump(unit, name, by=1):
        expected.setdefault(unit, {}).setdefault(name, 0)
        expected[unit][name] += by

    for i, case in cases.items():
        unit = case.unit_code
        if start <= case.received_at < end:
            bump(unit, "received")
        month = [e for e in events[i] if start <= e.at < end]
        names = [e.name for e in month]
        for name, key in (
            ("case_accepted", "accepted"),
            ("case_refused", "refused"),
            ("case_referred_out", "referred"),
            ("case_extended", "extensions"),
        ):
            bump(unit, key, names.count(name))
        for e in month:
            if e.name == "case_dispatched":
                bump(e.data["unit_code"], "dispatched")
            if e.name == "case_feedback_recorded" and e.data["satisfaction"] != "unreachable":
                bump(unit, "feedback")
                bump(unit, "satisfied", e.data["satisfaction"] in ("satisfied", "basically_satisfied"))
        if "case_replied" in names:
            bump(unit, "replied")
            bump(unit, "replied_on_time", i not in breached)
            first = next(e.at for e in events[i] if e.name == "case_dispatched")
            reply = [e.at for e in month if e.name == "case_replied"][-1]
            bump(unit, "handled")
            bump(
                unit,
                "handling_days",
                calendar.working_days_between(first.astimezone(zone).date(), reply.astimezone(zone).date()),
            )
        if i in breached:
            bump(unit, "late")
    for r in notices:
        if start <= r["created_at"] < end:
            bump(cases[r["case_id"]].unit_code, "supervision_notices")

    figures = (
        "received",
        "accepted",
        "refused",
        "referred",
        "dispatched",
        "replied",
        "replied_on_time",
        "late",
        "supervision_notices",
        "extensions",
        "feedback",
        "satisfied",
        "handled",
        "handling_days",
    )
    lines = {line.unit_code: line for line in report.lines}
    assert set(expected) <= set(lines)
    for unit, line in lines.items():
        want = {name: expected.get(unit, {}).get(name, 0) for name in figures}
        got = {name: getattr(line, name) for name in figures}
        assert got == want, unit
    # The figures are not all zero: the generated month exercises every column.
    totals = report.totals
    assert all(getattr(totals, name) > 0 for name in figures), {n: getattr(totals, n) for n in figures}
    jcs = lines["jcs"]
    assert jcs.avg_handling_days == round(jcs.handling_days / jcs.handled, 1)
    assert jcs.satisfaction_rate == round(jcs.satisfied / jcs.feedback, 4)
    # October had nothing: the month-on-month change is the month itself.
    assert (jcs.received_change, jcs.late_change) == (jcs.received, jcs.late)
    ranked = sorted((line for line in report.lines if line.rank), key=lambda line: line.rank)
    assert [line.late for line in ranked] == sorted(line.late for line in ranked)
    assert report.csv().splitlines()[0].startswith("名次,单位,收件,受理")
    assert report.xlsx()[:2] == b"PK"


async def test_the_circular_is_issued_once_on_the_first_and_rendered(make_tenant, registry, actors):
    import shutil
    import subprocess

    from core.services.documents import DocumentJobs, DocumentService
    from core.services.statistics import CircularJobs

    tenant = await make_tenant()
    clock = FixedClock(OCT_8)
    service = CaseService(registry, clock)
    case_id = (await service.intake(tenant.id, complaint("十月一件"), actors["operator"])).case.id
    await service.perform(tenant.id, case_id, RegisterCase(), actors["operator"])
    clock.at = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 November in Shanghai
    jobs = CircularJobs(registry, clock)
    assert await jobs.issue_due() >= 1
    statistics = StatisticsService(registry, clock)
    mine = [c for c in await statistics.circulars(tenant.id, actors["supervisor"])]
    assert [c.number for c in mine] == ["通报-2026-10"]
    await jobs.issue_due()  # the next round finds it issued: no second edition
    assert len(await statistics.circulars(tenant.id, actors["supervisor"])) == 1
    again = await statistics.issue_circular(tenant.id, actors["supervisor"], 2026, 10)
    assert again.number == "通报-2026-10-2"  # on demand: a new edition
    assert await DocumentJobs(clock).render(tenant.id, mine[0].id)
    documents = DocumentService(registry, service)
    pdf = await documents.download(tenant.id, mine[0].id, actors["supervisor"], "pdf")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True).stdout.decode()
        text = "".join(text.split())
        assert "镇监察室" in text and "满意率" in text and "2026" in text
    with pytest.raises(NotPermitted):
        await documents.download(tenant.id, mine[0].id, actors["handler"], "pdf")


async def test_a_tenant_whose_plugin_is_missing_does_not_stop_the_others_circulars(
    make_tenant, registry, actors
):
    from core.plugins import PluginRegistry
    from core.services.statistics import CircularJobs

    await make_tenant("township")
    other = await make_tenant("qtsb")
    without_township = PluginRegistry({n: registry.plugin(n) for n in registry.names if n != "township"})
    clock = FixedClock(datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    assert await CircularJobs(without_township, clock).issue_due() >= 1
    issued = await StatisticsService(registry, clock).circulars(other.id, actors["supervisor"])
    assert [c.number for c in issued] == ["通报-2026-10"]
