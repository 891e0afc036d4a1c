"""Profile intake over the real app stack in one process (``httpx.ASGITransport``), as the app role.

Run after a bench run has created ``huiying_bench`` (it needs the ``bench-intake`` tenant):
``.venv/bin/python bench/profile_intake.py [N] [intake|list] [--trace]``. Prints the cProfile
figures by cumulative and by own time; the fixes it led to are recorded in bench/results.md.
``--trace`` prints, instead, every round trip of one request in order (BEGIN, COMMIT and the
pool's connection reset included, which the count of asyncpg executions leaves out).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import APP_URL, PASSWORD, base_env

os.environ.update(base_env())
os.environ["HUIYING_DATABASE_URL"] = APP_URL


@contextlib.contextmanager
def _round_trips() -> Iterator[list[str]]:
    """Every statement sent while inside, in order: BEGIN, COMMIT and the pool's reset too.

    cProfile's call count of asyncpg's ``_do_execute`` counts each resumption of the coroutine,
    so it said about twice the number of statements; this counts the statements themselves.
    """
    import asyncpg.connection

    seen: list[str] = []
    plain, extended = asyncpg.connection.Connection.execute, asyncpg.connection.Connection._do_execute

    async def execute(self, query, *args, **kwargs):
        if not args:  # with arguments it goes through _do_execute, counted there
            seen.append(query)
        return await plain(self, query, *args, **kwargs)

    async def do_execute(self, query, *args, **kwargs):
        seen.append(query)
        return await extended(self, query, *args, **kwargs)

    asyncpg.connection.Connection.execute = execute
    asyncpg.connection.Connection._do_execute = do_execute
    try:
        yield seen
    finally:
        asyncpg.connection.Connection.execute = plain
        asyncpg.connection.Connection._do_execute = extended


async def _trace(one) -> None:
    with _round_trips() as seen:
        await one()
    for number, query in enumerate(seen, 1):
        print(f"{number:3} {' '.join(query.split())[:150]}")
    print(f"{len(seen)} round trips")


async def main(n: int, path: str, trace: bool = False) -> None:
    import logging

    import httpx

    logging.disable(logging.INFO)  # httpx logs every request

    from bench.sections import BODY, INTAKE_SLUG
    from core.app import create_app

    app = create_app()
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as http,
    ):
        token = await http.post(
            "/api/v1/auth/token", json={"tenant": INTAKE_SLUG, "username": "operator", "password": PASSWORD}
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
        if trace:
            await _trace(one)
            return
        with _round_trips() as seen:
            await one()
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for _ in range(n):
            await one()
        profile.disable()
        elapsed = time.perf_counter() - began
    print(f"{path}: {n} requests, one at a time, under cProfile: {elapsed / n * 1000:.1f} ms each;")
    print(f"{len(seen)} round trips each (statements, BEGIN, COMMIT and pool resets; --trace lists them)")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"core/", 40)
    print(out.getvalue())


if __name__ == "__main__":
    flags = [arg for arg in sys.argv[1:] if arg.startswith("--")]
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    asyncio.run(
        main(int(args[0]) if args else 200, args[1] if len(args) > 1 else "intake", "--trace" in flags)
    )
