"""Profile `TimerJobs.fire_many` in one process, as the app role, on the timers a bench run left behind.

Run after ``make bench`` (it re-arms 500 of the ``handling`` timers of the firing tenants and fires
them in the scheduler's batches, by tenant, 50 at most per batch):
``.venv/bin/python bench/profile_fire.py``. Prints the time per firing, the number of SQL
statements per firing and the cProfile figures by cumulative time.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import APP_URL, OWNER_URL, base_env

os.environ.update(base_env())
os.environ["HUIYING_DATABASE_URL"] = APP_URL


async def main(n: int = 500, per_batch: int = 50) -> None:
    import asyncpg

    from core.plugins import PluginRegistry
    from core.services.clock import SystemClock
    from core.services.timers import TimerJobs
    from core.store.engine import DB

    await DB.start_connection_pool(min_size=1, max_size=4)
    owner = await asyncpg.connect(OWNER_URL)
    try:
        rows = await owner.fetch(
            "SELECT tenant_id, id FROM sla_timer WHERE kind = 'handling' AND case_id IN "
            "(SELECT id FROM \"case\" WHERE serial LIKE 'FIRE-%') ORDER BY id LIMIT $1",
            n + 1,
        )
        await owner.execute(
            "UPDATE sla_timer SET state = 'running', warned_at = NULL, breached_at = NULL, "
            "enqueued_at = NULL, due_at = now() - interval '1 second', "
            "warn_at = now() - interval '2 seconds' WHERE id = ANY($1)",
            [row["id"] for row in rows],
        )
        jobs = TimerJobs(PluginRegistry.discover(), SystemClock())
        await jobs.fire(rows[0]["tenant_id"], rows[0]["id"])  # warm-up
        batches: dict[int, list[int]] = {}
        for row in rows[1:]:
            batches.setdefault(row["tenant_id"], []).append(row["id"])
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for tenant_id, ids in batches.items():
            for first in range(0, len(ids), per_batch):
                await jobs.fire_many(tenant_id, ids[first : first + per_batch])
        profile.disable()
        elapsed = time.perf_counter() - began
    finally:
        await owner.close()
        await DB.close_connection_pool()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    queries = sum(stat[0] for func, stat in stats.items() if func[2] == "_do_execute")
    each = elapsed / n * 1000
    print(f"{n} firings in batches of up to {per_batch} per tenant, under cProfile: {each:.2f} ms each;")
    print(f"{queries / n:.1f} SQL statements each (asyncpg executions)")
    out = io.StringIO()
    only = os.environ.get("PROFILE_FILTER", r"core/")  # e.g. "piccolo|asyncpg" for the libraries' share
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(only, 40)
    print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
