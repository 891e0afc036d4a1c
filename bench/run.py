"""Huiying's benchmarks against the ceiling on the same machine: ``make bench`` (QUICK=1 for a smoke run).

Creates ``huiying_bench`` afresh, runs every section, prints the table and writes
``bench/results.md`` (``bench/results-quick.md`` for a QUICK run). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.common import APP_URL, BENCH, DB_NAME, ROOT, Results, Sizes, base_env, recreate_database

TARGETS = {
    "intake": "1. Intake over HTTP",
    "timers": "2. Timer sweep",
    "calendar": "3. Working-day arithmetic",
    "lists": "4. Queue pages and case lists",
    "tenants": "5. Tenant scale",
    "memory": "6. Memory",
}


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    memory = next(
        line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    pg = subprocess.run(["psql", "-V"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return [
        f"CPU: {os.cpu_count()} × {cpu}; {int(memory.split()[1]) // 1024 // 1024} GiB RAM; load average"
        f" {os.getloadavg()[0]:.2f} when the run started (anything else running widens the p95s and p99s)",
        f"{pg} (server on 127.0.0.1, default settings), Redis 7 (database 7),"
        f" Python {platform.python_version()}, "
        f"uvicorn (asyncio loop, h11), commit {commit.stdout.strip()}",
    ]


def write(results: Results, sizes: Sizes, started: datetime, seconds: float, partial: str = "") -> Path:
    path = BENCH / ("results-quick.md" if sizes.quick else "results.md")
    if partial:  # a run of some sections never overwrites the whole run's results
        path = BENCH / "out" / f"results-{partial}{'-quick' if sizes.quick else ''}.md"
    lines = [
        "# Benchmarks: Huiying against the ceiling" + (" (QUICK smoke run)" if sizes.quick else ""),
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC, {seconds / 60:.0f} minutes, by"
        f" `make bench{' QUICK=1' if sizes.quick else ''}` (`bench/run.py`). Every figure below was"
        " measured in this one run; EXPLAIN plans are in `bench/plans/`.",
        "",
        "## Machine",
        "",
        *[f"- {line}" for line in machine()],
        "",
        "## Commands",
        "",
        *[f"- `{command}`" for command in results.commands],
        "",
        "## Figures",
        "",
        "| section | measure | value | target | result | note |",
        "|---|---|---|---|---|---|",
    ]
    for f in results.figures:
        mark = "" if f.ok is None else ("**pass**" if f.ok else "**MISS**")
        lines.append(f"| {f.section} | {f.name} | {f.value} | {f.target} | {mark} | {f.note} |")
    notes = BENCH / "NOTES.md"
    if notes.exists() and not sizes.quick:
        lines += ["", notes.read_text().strip()]
    path.write_text("\n".join(lines) + "\n")
    return path


async def database_sections(results: Results, sizes: Sizes, only: set[str], args_keep: bool = False) -> None:
    from bench import sections
    from core.plugins import PluginRegistry
    from core.store.engine import DB

    await DB.start_connection_pool(min_size=1, max_size=8)
    try:
        registry = PluginRegistry.discover()
        ids = await sections.onboard_base(registry, keep=args_keep)
        main_id = ids[sections.MAIN_SLUG]
        firing = [tid for slug, tid in ids.items() if slug.startswith("bench-fire-")]
        if "timers" in only or "sweep" in only:  # "sweep": the claim's scaling alone
            print("2. timer sweep", flush=True)
            await sections.timer_sweep(results, sizes, main_id)
        if "timers" in only:
            await sections.timer_firing(results, sizes, firing)
            results.commands.append(
                "huiying worker --processes 2 --threads 4; huiying scheduler --interval 0.2"
            )
        if "intake" in only:
            print("1. intake over HTTP", flush=True)
            await asyncio.to_thread(sections.intake, results, sizes, results.commands)
        if "memory" in only:
            print("6. API memory", flush=True)
            await asyncio.to_thread(sections.api_memory, results, sizes)
        if "tenants" in only or "lists" in only:
            print("5. tenant scale", flush=True)
            all_ids = await sections.tenant_scale(results, sizes, registry)
            from core.store.tenants import TenantRepository
            from core.store.tx import platform_tx

            async with platform_tx():
                records = await TenantRepository().all()
            cold = [(r.id, r.slug) for r in records if r.slug.startswith("bench-t")][-sizes.cold_tenants :]
            await asyncio.to_thread(sections.cold_requests, results, sizes, cold)
            others = [tid for tid in all_ids if tid != main_id and tid not in firing]
        if "lists" in only:
            print("4. case lists", flush=True)
            await sections.case_lists(results, sizes, main_id, others)
    finally:
        await DB.close_connection_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1")
    parser.add_argument("--keep", action="store_true", help="development: reuse huiying_bench as it is")
    parser.add_argument("--only", default=",".join(TARGETS), help="comma-separated sections")
    args = parser.parse_args()
    sizes = Sizes.pick(args.quick)
    if os.environ.get("BENCH_CASES"):  # development: "MAIN,TOTAL" cases instead of the mode's sizes
        main_cases, total_cases = (int(x) for x in os.environ["BENCH_CASES"].split(","))
        sizes = dataclasses.replace(sizes, cases_main=main_cases, cases_total=total_cases)
    only = set(args.only.split(","))
    started, began = datetime.now(UTC), time.monotonic()
    results = Results()
    print(
        f"Huiying benchmarks ({'QUICK' if sizes.quick else 'full'}): database {DB_NAME}, Redis db 7",
        flush=True,
    )
    partial = "" if set(TARGETS) <= only else "-".join(sorted(only))
    if sizes.quick or partial:  # plans of a smoke or partial run never replace the recorded ones
        common.PLANS = common.OUT / "plans"
    common.PLANS.mkdir(parents=True, exist_ok=True)
    if not args.keep:
        recreate_database()
    os.environ.update(base_env())
    os.environ["HUIYING_DATABASE_URL"] = APP_URL
    if "calendar" in only:
        print("3. working-day arithmetic", flush=True)
        from bench import sections

        sections.calendar(results, sizes)
    asyncio.run(database_sections(results, sizes, only, args.keep))
    path = write(results, sizes, started, time.monotonic() - began, partial)
    print()
    print(f"{'section':10} {'measure':58} {'value':>22}  {'target':>14} result")
    for f in results.figures:
        mark = "" if f.ok is None else ("PASS" if f.ok else "MISS")
        print(f"{f.section:10} {f.name:58} {f.value:>22}  {f.target:>14} {mark}  {f.note}")
    print(f"\nwritten {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
