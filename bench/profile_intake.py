"""Profile intake over the real app stack in one process (``httpx.ASGITransport``), as the app role.

Run after a bench run has created ``huiying_bench`` (it needs the ``bench-main`` tenant):
``.venv/bin/python bench/profile_intake.py [N]``. Prints the cProfile figures by cumulative and
by own time; the fixes it led to are recorded in bench/NOTES.md.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import APP_URL, PASSWORD, base_env

os.environ.update(base_env())
os.environ["HUIYING_DATABASE_URL"] = APP_URL


async def main(n: int, path: str) -> None:
    import logging

    import httpx

    logging.disable(logging.INFO)  # httpx logs every request

    from bench.sections import BODY, MAIN_SLUG
    from core.api.app import create_app

    app = create_app()
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as http,
    ):
        token = await http.post(
            "/api/v1/auth/token", json={"tenant": MAIN_SLUG, "username": "operator", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = json.dumps(BODY, ensure_ascii=False).encode()

        async def one() -> None:
            if path == "intake":
                answer = await http.post(
                    "/api/v1/cases", content=body, headers=headers | {"Content-Type": "application/json"}
                )
                assert answer.status_code == 201, answer.text
            else:
                answer = await http.get("/api/v1/cases?limit=20", headers=headers)
                assert answer.status_code == 200, answer.text

        for _ in range(20):
            await one()
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for _ in range(n):
            await one()
        profile.disable()
        elapsed = time.perf_counter() - began
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    queries = sum(stat[0] for func, stat in stats.items() if func[2] == "_do_execute")
    print(f"{path}: {n} requests, one at a time, under cProfile: {elapsed / n * 1000:.1f} ms each;")
    print(f"{queries / n:.0f} SQL statements each (asyncpg executions)")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"core/", 40)
    print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, sys.argv[2] if len(sys.argv) > 2 else "intake")
    )
