"""The ceiling: the least an intake endpoint can do on this stack.

Bare litestar + asyncpg, no auth, no plugin, no vault: decode the same JSON payload Huiying's
``POST /api/v1/cases`` takes and insert it in one statement. Served the same way as Huiying
(``uvicorn --workers 2``), so the ratio measures what Huiying does per case, not the server.

Run: ``BENCH_DSN=postgresql://... uvicorn bench.ceiling:create_app --factory --workers 2``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

import asyncpg
from litestar import Litestar, Request, get, post

TABLE = """
CREATE TABLE IF NOT EXISTS bench_ceiling_case (
  id bigserial PRIMARY KEY, tenant_id int NOT NULL, kind text NOT NULL, channel text NOT NULL,
  title text NOT NULL, content text NOT NULL, identity jsonb NOT NULL, fields jsonb NOT NULL,
  received_at timestamptz NOT NULL)
"""

INSERT = (
    "INSERT INTO bench_ceiling_case "
    "(tenant_id, kind, channel, title, content, identity, fields, received_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
)


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@post("/api/v1/cases", status_code=201)
async def intake(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as connection:
        case_id = await connection.fetchval(
            INSERT,
            1,
            data["kind"],
            data["channel"],
            data["title"],
            data["content"],
            json.dumps(data.get("identity", {}), ensure_ascii=False),
            json.dumps(data.get("fields", {}), ensure_ascii=False),
            datetime.now(UTC),
        )
    return {"id": case_id, "state": "received"}


async def _open(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=1, max_size=10)


async def _close(app: Litestar) -> None:
    await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar([healthz, intake], on_startup=[_open], on_shutdown=[_close])
