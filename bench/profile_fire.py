"""Profile `TimerJobs.fire` in one process, as the app role, on the timers a bench run left behind.

Run after ``make bench`` (it re-arms 100 of the ``handling`` timers of the firing tenants):
``.venv/bin/python bench/profile_fire.py``. Prints fires per second, the number of SQL
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


async def main(n: int = 100) -> None:
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
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for row in rows[1:]:
            await jobs.fire(row["tenant_id"], row["id"])
        profile.disable()
        elapsed = time.perf_counter() - began
    finally:
        await owner.close()
        await DB.close_connection_pool()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    queries = sum(stat[0] for func, stat in stats.items() if func[2] == "_do_execute")
    print(f"{n} firings, one at a time, under cProfile: {elapsed / n * 1000:.1f} ms each;")
    print(f"{queries / n:.0f} SQL statements each (asyncpg executions)")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"core/", 40)
    print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
