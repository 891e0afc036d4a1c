"""The six measurements. Each takes the run's `Results` and `Sizes` and adds its figures.

They run in `bench.run`'s process with ``HUIYING_DATABASE_URL`` naming the app role on
``huiying_bench`` (so RLS is in force, as in production); bulk loads and EXPLAIN use a direct
owner connection. Servers and workers are separate processes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import socket
import statistics
import subprocess
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench import common
from bench.common import (
    BENCH,
    BIN,
    HUIYING,
    OWNER_URL,
    PASSWORD,
    Process,
    Progress,
    Results,
    Sizes,
    base_env,
    free_port,
    percentile,
    redis_clean,
    rss_kib,
    start_server,
    wrk,
)

MAIN_SLUG = "bench-main"
# The HTTP sections write their cases into a tenant of their own: in the main tenant the soak's
# tens of thousands of identical newest cases would sit on top of the generated 1M the lists
# measure (a common word then missing from all the newest cases; see results.md).
INTAKE_SLUG = "bench-intake"
FIRING_TENANTS = 20
BODY = {
    "kind": "complaint",
    "channel": "phone",
    "title": "村务公开栏三个月未更新",
    "content": "投诉人来电反映：南溪村政务公开栏自七月以来未更新，财务收支和低保名单均未公开，要求尽快公开。",
    "identity": {"name": "张三", "phone": "13812345678"},
    "fields": {"situation": "not_compiled", "respondent": "南溪村委会"},
}
USERS = (
    {"username": "admin", "roles": ["tenant_admin"]},
    {"username": "operator", "roles": ["intake_officer"]},
    {"username": "leader", "roles": ["approver", "duty_leader"]},
    {"username": "handler", "roles": ["handler"], "unit": "u01"},
    {"username": "supervisor", "roles": ["supervisor"]},
)


def _config(slug: str, registry, units: int = 2):
    from core.services.tenants import TenantConfig

    return TenantConfig.from_mapping(
        {
            "slug": slug,
            "name": f"基准测试租户 {slug}",
            "plugin": "township",
            "serial_prefix": "NX",
            "units": [{"code": f"u{n:02d}", "name": f"承办单位{n}"} for n in range(1, units + 1)],
            "users": list(USERS),
        },
        registry,
    )


# --- 3. working-day arithmetic ------------------------------------------------------------------


def calendar(results: Results, sizes: Sizes) -> None:
    import random

    import chinese_calendar

    from core.domain.calendar import Period, PeriodUnit
    from core.services.tenants import calendar_for

    business = calendar_for("Asia/Shanghai", {}, {})
    zone = business.policy.zone
    rng = random.Random(7)
    starts = [
        datetime(2024, 1, 1, tzinfo=zone) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        for _ in range(sizes.calendar_calls)
    ]

    def naive(start: datetime, n: int) -> datetime:
        day, counted = start.astimezone(zone).date(), 0
        while counted < n:
            day += timedelta(days=1)
            if chinese_calendar.is_workday(day):
                counted += 1
        return datetime.combine(day, datetime.max.time().replace(microsecond=0), tzinfo=zone)

    for n in (5, 30, 60):
        period = Period(n, PeriodUnit.WORKING_DAYS)
        for start in starts[:50]:  # same answers, or the comparison means nothing
            assert business.add(start, period).due_at == naive(start, n), (start, n)
        began = time.perf_counter()
        for start in starts:
            business.add(start, period)
        ours = len(starts) / (time.perf_counter() - began)
        naive_starts = starts[: max(200, len(starts) // 10)]
        began = time.perf_counter()
        for start in naive_starts:
            naive(start, n)
        theirs = len(naive_starts) / (time.perf_counter() - began)
        ratio = ours / theirs
        results.add(
            "calendar",
            f"add {n} working days: calls/s (naive is_workday loop)",
            f"{ours:,.0f} ({theirs:,.0f})",
            "≥50× at N=30" if n == 30 else "",
            ratio >= 50 if n == 30 else None,
            note=f"{ratio:.0f}× faster",
        )


# --- tenants used by the other sections ---------------------------------------------------------


async def onboard_base(registry, keep: bool = False) -> dict[str, int]:
    """The main tenant (demo password, 40 units), the HTTP sections' tenant and those whose timers fire."""
    from core.services.tenants import onboard
    from core.store.tenants import TenantRepository
    from core.store.tx import platform_tx

    if keep:
        async with platform_tx():
            return {r.slug: r.id for r in await TenantRepository().all() if not r.slug.startswith("bench-t")}
    ids = {}
    record = await onboard(_config(MAIN_SLUG, registry, units=40), registry, demo=True)
    ids[MAIN_SLUG] = record.id
    record = await onboard(_config(INTAKE_SLUG, registry, units=40), registry, demo=True)
    ids[INTAKE_SLUG] = record.id
    for n in range(FIRING_TENANTS):
        record = await onboard(_config(f"bench-fire-{n:02d}", registry), registry)
        ids[record.slug] = record.id
    return ids


# --- 2. timer sweep -------------------------------------------------------------------------------


async def _claim_cost(owner, rounds: int, limit: int) -> tuple[float, str]:
    """Median ms of the claim function (each call rolled back) and the plan it really ran.

    The plan comes from auto_explain (nested statements, as a notice): an EXPLAIN of the body
    with bound values would show a plan the function does not necessarily use.
    """
    now = datetime.now(UTC)
    times = []
    for _ in range(rounds):
        tx = owner.transaction()
        await tx.start()
        began = time.perf_counter()
        rows = await owner.fetch(
            "SELECT * FROM huiying_claim_due_timers($1, $2, $3)", now, limit, timedelta(seconds=30)
        )
        times.append((time.perf_counter() - began) * 1000)
        await tx.rollback()  # every round sees the same unclaimed rows
        assert len(rows) == limit, len(rows)
    notices: list[str] = []
    owner.add_log_listener(lambda _connection, message: notices.append(message.message))
    for setting in (
        "LOAD 'auto_explain'",
        "SET auto_explain.log_min_duration = 0",
        "SET auto_explain.log_nested_statements = on",
        "SET auto_explain.log_analyze = on",
        "SET auto_explain.log_buffers = on",
        "SET auto_explain.log_level = notice",
    ):
        await owner.execute(setting)
    tx = owner.transaction()
    await tx.start()
    await owner.fetch("SELECT * FROM huiying_claim_due_timers($1, $2, $3)", now, limit, timedelta(seconds=30))
    await tx.rollback()
    await owner.execute("SET auto_explain.log_min_duration = -1")
    await asyncio.sleep(0.1)  # notices arrive with the results; let the listener run
    return statistics.median(times), "\n\n".join(notices)


async def _add_open_timers(owner, tenant_id: int, first: int, count: int) -> None:
    await owner.execute(
        """
        INSERT INTO sla_timer (tenant_id, case_id, kind, label, period, state, started_at, due_at, warn_at)
        SELECT $1, 100000000 + g, 'bench', '基准', '5 working days', 'running', now(),
               now() + interval '1 day' + g * interval '1 second',
               now() + interval '12 hours' + g * interval '1 second'
        FROM generate_series($2::int, $3::int) g
        """,
        tenant_id,
        first,
        first + count - 1,
    )


async def timer_sweep(results: Results, sizes: Sizes, tenant_id: int) -> None:
    owner = await asyncpg.connect(OWNER_URL)
    try:
        # 1k due (warning and due instants passed, nothing stamped), then open timers due later.
        await owner.execute(
            """
            INSERT INTO sla_timer
              (tenant_id, case_id, kind, label, period, state, started_at, due_at, warn_at)
            SELECT $1, 200000000 + g, 'bench', '基准', '5 working days', 'running', now() - interval '8 days',
                   now() - interval '1 hour' + g * interval '1 millisecond', now() - interval '1 day'
            FROM generate_series(1, $2::int) g
            """,
            tenant_id,
            sizes.timers_due,
        )
        costs = {}
        opened = 0
        for size in (sizes.timers_small, sizes.timers_large):
            await _add_open_timers(owner, tenant_id, opened + 1, size - opened)
            opened = size
            await owner.execute("VACUUM ANALYZE sla_timer")
            costs[size], plan = await _claim_cost(owner, 15 if sizes.quick else 30, sizes.timers_due)
            (common.PLANS / f"claim_due_timers_{size}.txt").write_text(
                f"-- huiying_claim_due_timers($now, {sizes.timers_due}, 30 s) with {size:,} open timers and "
                f"{sizes.timers_due:,} due: auto_explain of the statements it ran\n{plan}\n"
            )
            results.add(
                "timers",
                f"claim {sizes.timers_due:,} due among {size:,} open: median ms",
                f"{costs[size]:.2f}",
            )
        growth = costs[sizes.timers_large] / costs[sizes.timers_small]
        results.add(
            "timers",
            f"claim cost growth {sizes.timers_small:,} → {sizes.timers_large:,} open",
            f"{growth:.2f}×",
            "≤2×",
            growth <= 2,
        )
        await owner.execute("DELETE FROM sla_timer WHERE kind = 'bench'")
        await owner.execute("VACUUM ANALYZE sla_timer")
    finally:
        await owner.close()


async def _fired(owner, case_ids: tuple[int, int]) -> int:
    return await owner.fetchval(
        "SELECT count(*) FROM sla_timer WHERE kind = 'handling' AND case_id BETWEEN $1 AND $2 "
        "AND breached_at IS NOT NULL",
        *case_ids,
    )


async def timer_firing(results: Results, sizes: Sizes, tenant_ids: list[int]) -> None:
    """`huiying scheduler` + `huiying worker --processes 2` fire due timers; effects in the same tx."""
    owner = await asyncpg.connect(OWNER_URL)
    namespace = f"huiying-bench-{uuid.uuid4().hex[:8]}"
    processes: list[Process] = []
    try:
        now = datetime.now(UTC)
        per_tenant = sizes.firings // len(tenant_ids)
        for tenant_id in tenant_ids:
            rows = [
                (
                    tenant_id,
                    f"FIRE-{n:06d}",
                    now.year,
                    "complaint",
                    "phone",
                    "in_handling",
                    "路灯不亮",
                    "东风路路灯损坏一个多月无人维修。",
                    "u01",
                    "handler",
                    now - timedelta(days=9),
                )
                for n in range(per_tenant)
            ]
            await owner.copy_records_to_table(
                "case",
                records=rows,
                columns=(
                    "tenant_id",
                    "serial",
                    "year",
                    "kind",
                    "channel",
                    "state",
                    "title",
                    "content",
                    "unit_code",
                    "handler",
                    "received_at",
                ),
            )
        first, last = await owner.fetchrow("SELECT min(id), max(id) FROM \"case\" WHERE serial LIKE 'FIRE-%'")
        await owner.execute(
            """
            INSERT INTO sla_timer
              (tenant_id, case_id, kind, label, period, state, started_at, due_at, warn_at)
            SELECT tenant_id, id, 'handling', '办理时限', '5 working days', 'running', received_at,
                   now() + interval '30 days', now() + interval '20 days'
            FROM "case" WHERE serial LIKE 'FIRE-%'
            """
        )
        await owner.execute("VACUUM ANALYZE")
        total = per_tenant * len(tenant_ids)
        env = base_env(namespace)
        worker = Process("worker", [HUIYING, "worker", "--processes", "2", "--threads", "4"], env)
        processes.append(worker)
        scheduler = Process("scheduler", [HUIYING, "scheduler", "--interval", "0.2"], env)
        processes.append(scheduler)
        worker.wait_for_log("ready for action", 60)
        scheduler.wait_for_log("调度已启动", 60)
        await asyncio.sleep(5)  # the first tick issues last month's circulars for these tenants
        rss_after: list[int] = []
        for round_ in range(sizes.firing_rounds):
            # Re-arm: a new due instant clears the stamps (as a recomputed deadline does).
            await owner.execute(
                """
                UPDATE sla_timer SET state = 'running', warned_at = NULL, breached_at = NULL,
                       enqueued_at = NULL, due_at = now() - interval '1 second',
                       warn_at = now() - interval '2 seconds'
                WHERE kind = 'handling' AND case_id BETWEEN $1 AND $2
                """,
                first,
                last,
            )
            began = time.monotonic()
            while (done := await _fired(owner, (first, last))) < total:
                if time.monotonic() - began > 600:
                    raise RuntimeError(f"only {done} of {total} timers fired in 600 s")
                await asyncio.sleep(0.1)
            elapsed = time.monotonic() - began
            rss_after.append(sum(rss_kib(pid) for pid in worker.children()))
            if round_ == 0:
                results.add(
                    "timers",
                    f"{total:,} due timers fired, effects committed (2 workers)",
                    f"{elapsed:.1f} s",
                    "≤10 s",
                    elapsed <= 10,
                    note=f"{total / elapsed:,.0f} timers/s",
                )
            print(
                f"    round {round_ + 1}: {total:,} fired in {elapsed:.1f} s;"
                f" worker RSS {rss_after[-1] / 1024:.0f} MiB"
            )
        effects = await owner.fetchrow(
            "SELECT (SELECT count(*) FROM document WHERE kind = 'supervision_notice') AS notices, "
            "(SELECT count(*) FROM case_event WHERE name = 'case_reminded') AS reminders"
        )
        results.add(
            "timers",
            "effects written (supervision notices / reminder events)",
            f"{effects['notices']:,} / {effects['reminders']:,}",
        )
        firings = total * sizes.firing_rounds
        growth = rss_after[-1] / rss_after[0] - 1
        results.add(
            "memory",
            f"dramatiq workers RSS after {total:,} → {firings:,} firings",
            f"{rss_after[0] / 1024:.0f} → {rss_after[-1] / 1024:.0f} MiB",
            "≤+10%",
            growth <= 0.10,
            note=f"{growth * 100:+.1f}% (2 processes summed)",
        )
    finally:
        for process in processes:
            process.stop()
        redis_clean(namespace)
        await owner.close()


# --- 1. intake over HTTP, 6. API memory -----------------------------------------------------------


def _huiying_server(name: str) -> tuple[Process, str]:
    port = free_port()
    server = start_server(
        name,
        [HUIYING, "serve", "--port", str(port), "--workers", "2"],
        base_env(f"huiying-bench-{name}"),
        port,
    )
    return server, f"http://127.0.0.1:{port}"


def _token(base: str, slug: str = INTAKE_SLUG) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"tenant": slug, "username": "operator", "password": PASSWORD},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def intake(results: Results, sizes: Sizes, commands: list[str]) -> None:
    body = json.dumps(BODY, ensure_ascii=False)
    connections = 16
    script = BENCH / "intake.lua"
    # The ceiling first, then Huiying, each warmed up for a few seconds before the measured run.
    from bench.ceiling import TABLE

    subprocess.run(["psql", OWNER_URL, "-qc", TABLE], check=True)
    port = free_port()
    env = base_env() | {"BENCH_DSN": OWNER_URL}
    argv = [
        str(BIN / "uvicorn"),
        "bench.ceiling:create_app",
        "--factory",
        "--port",
        str(port),
        "--workers",
        "2",
        "--log-level",
        "warning",
    ]
    ceiling = start_server("ceiling", argv, env, port)
    try:
        wrk(f"http://127.0.0.1:{port}", script, seconds=3, connections=connections, env={"BENCH_BODY": body})
        top = wrk(
            f"http://127.0.0.1:{port}",
            script,
            seconds=sizes.http_seconds,
            connections=connections,
            env={"BENCH_BODY": body},
        )
    finally:
        ceiling.stop()
    server, base = _huiying_server("serve")
    try:
        token = _token(base)
        env = {"BENCH_BODY": body, "BENCH_TOKEN": token}
        wrk(base, script, seconds=3, connections=connections, env=env)
        ours = wrk(base, script, seconds=sizes.http_seconds, connections=connections, env=env)
    finally:
        server.stop()
    commands.append(
        f"wrk -t1 -c{connections} -d{sizes.http_seconds}s --latency -s bench/intake.lua URL "
        "(huiying serve --workers 2; uvicorn bench.ceiling:create_app --factory --workers 2)"
    )
    (BENCH / "out" / "wrk_intake.txt").write_text(f"ceiling\n{top.output}\nhuiying\n{ours.output}")
    ratio = ours.rps / top.rps
    results.add(
        "intake",
        "ceiling: cases/s, p50 / p99 ms",
        f"{top.rps:,.0f}, {top.p50_ms:.1f} / {top.p99_ms:.1f}",
        note=f"{top.requests:,} requests, {top.errors} errors",
    )
    results.add(
        "intake",
        "huiying: cases/s, p50 / p99 ms",
        f"{ours.rps:,.0f}, {ours.p50_ms:.1f} / {ours.p99_ms:.1f}",
        note=f"{ours.requests:,} requests, {ours.errors} errors",
    )
    results.add(
        "intake", "throughput vs ceiling", f"{ratio * 100:.0f}%", "≥60%", ratio >= 0.6 and ours.errors == 0
    )
    p99 = ours.p99_ms / top.p99_ms
    results.add("intake", "p99 vs ceiling p99", f"{p99:.1f}×", "≤3×", p99 <= 3)


def _worker_pids(server: Process) -> list[int]:
    """The two uvicorn worker processes, once both have started their application."""
    deadline = time.monotonic() + 30
    while True:
        log = server.log_path.read_text()
        pids = [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", log)]
        if len(pids) == 2 and log.count("Application startup complete") == 2:
            return pids
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not up: {log[-2000:]}")
        time.sleep(0.2)


def api_memory(results: Results, sizes: Sizes) -> None:
    """RSS of the two API workers idle, after a tenth of the requests (warm-up) and after all."""
    body = json.dumps(BODY, ensure_ascii=False)
    server, base = _huiying_server("serve-soak")
    try:
        pids = _worker_pids(server)
        env = {"BENCH_BODY": body, "BENCH_TOKEN": _token(base)}
        idle = sum(rss_kib(pid) for pid in pids)
        done, warm, bar = 0, None, Progress("api requests", sizes.memory_requests)
        while done < sizes.memory_requests:
            step = wrk(base, BENCH / "mixed.lua", seconds=5, connections=8, env=env)
            if step.errors:
                raise RuntimeError(f"soak errors: {step.output}")
            done += step.requests
            bar.update(step.requests)
            if warm is None and done >= sizes.memory_requests // 10:
                warm = (done, sum(rss_kib(pid) for pid in pids))
        final = sum(rss_kib(pid) for pid in pids)
    finally:
        server.stop()
    growth = final / warm[1] - 1
    results.add("memory", "API workers RSS idle (2 processes summed)", f"{idle / 1024:.0f} MiB")
    results.add(
        "memory",
        f"API workers RSS after {warm[0]:,} → {done:,} requests",
        f"{warm[1] / 1024:.0f} → {final / 1024:.0f} MiB",
        "≤+10%",
        growth <= 0.10,
        note=f"{growth * 100:+.1f}% (4 list reads : 1 intake)",
    )


# --- 5. tenant scale ------------------------------------------------------------------------------


async def tenant_scale(results: Results, sizes: Sizes, registry) -> list[int]:
    """Onboard tenants up to `sizes.tenants`, then time and weigh one manager per tenant."""
    from core.domain.tenancy import TenantContext, Unit
    from core.plugins import PluginRegistry
    from core.services.tenants import onboard
    from core.store.tenants import TenantRepository
    from core.store.tx import platform_tx

    async with platform_tx():
        existing = len(await TenantRepository().all())
    todo = sizes.tenants - existing
    bar = Progress("onboard tenants", todo)
    began = time.perf_counter()

    async def one(n: int) -> None:
        await onboard(_config(f"bench-t{n:05d}", registry), registry)
        bar.update(1)

    for start in range(0, todo, 4):  # four onboardings in flight, each in its own transaction
        await asyncio.gather(*(one(n) for n in range(start, min(start + 4, todo))))
    elapsed = time.perf_counter() - began
    async with platform_tx():
        records = await TenantRepository().all()
    results.add(
        "tenants",
        f"onboard {todo:,} tenants (township, 2 units, 5 users each)",
        f"{elapsed:.0f} s",
        note=f"{todo / elapsed:,.0f} tenants/s; {len(records):,} tenants in all",
    )

    # hooks_for per tenant: timed on a fresh registry, then weighed on another one with
    # tracemalloc (which slows allocation several-fold, so never both at once).
    contexts = [
        TenantContext(
            record.id,
            record.slug,
            record.name,
            record.plugin,
            record.timezone,
            (Unit("u01", "承办单位1"), Unit("u02", "承办单位2")),
        )
        for record in records
    ]
    fresh = PluginRegistry.discover()
    times = []
    for ctx in contexts:
        began = time.perf_counter()
        fresh.hooks_for(ctx)
        times.append((time.perf_counter() - began) * 1000)
    began = time.perf_counter()
    for ctx in contexts:
        fresh.hooks_for(ctx)
    cached_us = (time.perf_counter() - began) / len(contexts) * 1e6
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    results.add(
        "tenants",
        f"hooks_for a new tenant ({len(contexts):,} tenants): p50 / p95 ms",
        f"{p50:.3f} / {p95:.3f}",
        "<5 ms",
        p95 < 5,
        note=f"cached lookup {cached_us:.1f} µs",
    )
    per_tenant = _weigh(lambda registry, ctx: registry.hooks_for(ctx), contexts)
    results.add(
        "tenants",
        "memory per tenant's cached hooks (tracemalloc)",
        f"{per_tenant:.1f} KiB",
        "<50 KB",
        per_tenant * 1024 < 50_000,
    )
    # The pluggy build alone, apart from hooks_for's context and cache: what a tenant's own
    # manager costs to build and to keep, and in all for every tenant of a process.
    plugin = fresh.plugin("township")
    sample = contexts[: min(len(contexts), 2000)]
    builds = []
    for _ in sample:
        began = time.perf_counter()
        PluginRegistry._build("township", plugin)
        builds.append((time.perf_counter() - began) * 1000)
    per_manager = _weigh(lambda registry, ctx: PluginRegistry._build("township", plugin), sample)
    results.add(
        "tenants",
        "a tenant's manager alone (pluggy build), p50 / p95 ms; memory each",
        f"{statistics.median(builds):.2f} / {percentile(builds, 0.95):.2f}; {per_manager:.1f} KiB",
        note=f"{per_manager * len(records) / 1024:,.0f} MiB per process for {len(records):,} tenants",
    )
    return [record.id for record in records]


def _raw_get(base: str, path: str, headers: dict[str, str]) -> tuple[int, float]:
    """One GET on a fresh connection with TCP_NODELAY; (status, ms from connect to last byte).

    Not httpx: a new httpx client builds an SSL context (~15 ms), and a kept-alive one waited
    ~40 ms per request for a delayed ACK here (44 ms for /healthz), either of which would
    swamp the server's own time.
    """
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    request = ("\r\n".join(lines + [f"{k}: {v}" for k, v in headers.items()]) + "\r\n\r\n").encode()
    began = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    elapsed = (time.perf_counter() - began) * 1000
    return int(b"".join(chunks).split(b" ", 2)[1]), elapsed


def _weigh(build, contexts) -> float:
    """KiB allocated and kept per context by `build(registry, ctx)` (tracemalloc)."""
    from core.plugins import PluginRegistry

    registry = PluginRegistry.discover()
    kept = []
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for ctx in contexts:
        kept.append(build(registry, ctx))
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return grown / len(contexts) / 1024


def cold_requests(results: Results, sizes: Sizes, slugs: list[tuple[int, str]]) -> None:
    """First request of a tenant no worker has seen: GET /api/v1/cases with a signed token."""
    from bench.common import SECRET_KEY
    from core.api.config import ApiConfig
    from core.api.security import TokenService
    from core.domain.roles import Role
    from core.services.auth import Principal

    tokens = TokenService(ApiConfig(secret_key=SECRET_KEY, access_ttl_seconds=86400))
    server, base = _huiying_server("serve-cold")
    cold, warm = [], []
    try:
        for tenant_id, slug in slugs[: sizes.cold_tenants]:
            principal = Principal("operator", tenant_id, slug, frozenset({Role.INTAKE_OFFICER}))
            headers = {"Authorization": f"Bearer {tokens.issue(principal).access_token}"}
            timings = []
            for _ in range(6):  # the first is cold in one worker; the last ones are warm in both
                status, elapsed = _raw_get(base, "/api/v1/cases?limit=20", headers)
                timings.append(elapsed)
                assert status == 200, status
            cold.append(timings[0])
            warm.append(min(timings[-3:]))
    finally:
        server.stop()
    p50, p95 = statistics.median(cold), percentile(cold, 0.95)
    results.add(
        "tenants",
        f"cold tenant first request ({len(cold)} tenants): p50 / p95 ms",
        f"{p50:.1f} / {p95:.1f}",
        "<20 ms",
        p95 < 20,
        note=f"warm p50 {statistics.median(warm):.1f} ms",
    )


# --- 4. queue pages and case lists ----------------------------------------------------------------

OPEN = ("dispatched", "in_handling", "replied", "feedback")


def _queries(rng, now: datetime):
    """Each list the console shows, with parameters drawn afresh for every run."""
    from bench.generate import RARE_PLACES, UNITS, handler_of
    from core.domain.cases import CaseState
    from core.store.case_search import CaseQuery

    open_states = tuple(CaseState(s) for s in OPEN)
    words = ["噪音", "违章搭建", "杏花村", rng.choice(RARE_PLACES), "没有这个词"]
    return {
        "my cases (handler, open, newest first)": lambda: CaseQuery(
            handler=handler_of(rng.choice(UNITS[:20]), rng.randrange(5)), states=open_states
        ),
        "overdue (live timer past due, newest first)": lambda: CaseQuery(overdue_at=now),
        "unit queue (unit, dispatched/in handling, queue order)": lambda: CaseQuery(
            unit_code=rng.choice(UNITS[:20]),
            states=(CaseState.DISPATCHED, CaseState.IN_HANDLING),
            sort="queue",
        ),
        "intake queue (received/registered/accepted, queue order)": lambda: CaseQuery(
            states=(CaseState.RECEIVED, CaseState.REGISTERED, CaseState.ACCEPTED), sort="queue"
        ),
        "text search (a word in title or content, newest first)": lambda: CaseQuery(text=rng.choice(words)),
    }


NEW_INDEXES = ("case_tenant_received", "case_tenant_handler")  # the case-list indexes the bench added


async def case_lists(results: Results, sizes: Sizes, main_id: int, others: list[int]) -> None:
    """The lists with every migration's indexes, then without the ones the bench added (before)."""
    await _case_lists(results, sizes, main_id, others, "after")
    owner = await asyncpg.connect(OWNER_URL)
    try:
        definitions = [
            await owner.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", n)
            for n in NEW_INDEXES
        ]
        for name in NEW_INDEXES:
            await owner.execute(f"DROP INDEX {name}")
        await owner.execute('ANALYZE "case"')
        await _case_lists(results, sizes, main_id, others, "before")
        for definition in definitions:
            await owner.execute(definition)
    finally:
        await owner.close()


async def _case_lists(results: Results, sizes: Sizes, main_id: int, others: list[int], label: str) -> dict:
    """Generate the cases once (first call), then time every list `sizes.list_runs` times."""
    import random

    from core.store.case_search import search_cases
    from core.store.tables import CaseRow
    from core.store.tx import tenant_tx

    owner = await asyncpg.connect(OWNER_URL)
    try:
        now = datetime.now(UTC)
        have = await owner.fetchval("SELECT count(*) FROM \"case\" WHERE serial LIKE 'HIS-%'")
        if not have:
            rest = sizes.cases_total - sizes.cases_main
            spread = others[:99]
            plan = [(main_id, sizes.cases_main)] + [(t, rest // len(spread)) for t in spread]
            began = time.perf_counter()
            from bench.generate import load_cases

            timers = await load_cases(owner, plan, now)
            await owner.execute("VACUUM ANALYZE")
            total = await owner.fetchval('SELECT count(*) FROM "case"')
            results.add(
                "lists",
                "generate + COPY + VACUUM ANALYZE",
                f"{time.perf_counter() - began:.0f} s",
                note=f"{total:,} cases ({sizes.cases_main:,} in one tenant), {timers:,} running timers",
            )
    finally:
        await owner.close()

    captured: list[tuple[str, tuple]] = []
    original = CaseRow.raw

    def recording(sql: str, *args):
        captured.append((sql, args))
        return original(sql, *args)

    rng = random.Random(11)
    figures = {}
    CaseRow.raw = recording  # type: ignore[method-assign]
    try:
        for name, make in _queries(rng, now).items():
            times = []
            for run in range(sizes.list_runs + 2):
                query = make()
                async with tenant_tx(main_id):
                    began = time.perf_counter()
                    page = await search_cases(main_id, query)
                    elapsed = (time.perf_counter() - began) * 1000
                if run >= 2:  # two warm-up runs
                    times.append(elapsed)
            p95 = percentile(times, 0.95)
            figures[name] = p95
            results.add(
                "lists",
                f"{name} p95 ms [{label}]",
                f"{p95:.1f}",
                "≤50 ms",
                p95 <= 50,
                note=f"median {statistics.median(times):.1f} ms, {len(page.cases)} rows on the last page",
            )
            sql, args = captured[-1]
            async with tenant_tx(main_id):
                plan = await CaseRow.raw(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
            slug = name.split(" (")[0].replace(" ", "_")
            (common.PLANS / f"list_{slug}_{label}.txt").write_text(
                f"-- {name}, {sizes.cases_main:,} cases in the tenant, {sizes.cases_total:,} in all; "
                f"as the app role under RLS\n-- args: {args!r}\n"
                + "\n".join(row["QUERY PLAN"] for row in plan)
                + "\n"
            )
    finally:
        CaseRow.raw = original  # type: ignore[method-assign]
    return figures
