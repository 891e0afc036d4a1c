"""Shared row mapping for the store's modules: JSON values, many-row inserts, id lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable
from piccolo.table import Table

from core.store import dialect

__all__ = ["ids_in", "insert_rows", "json_value"]


def json_value(value: Any) -> Any:
    """A JSON column's value, decoded: piccolo hands JSONB back as text unless asked, SQLite always."""
    return json.loads(value) if isinstance(value, str) else value


async def insert_rows(
    table: type[Table],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str = "",
    returning: str = "id",
) -> list[Any]:
    """Insert `rows` in one statement; returns each inserted row's `returning` value, in order.

    Raw SQL, because building many piccolo rows costs more than the database's work (the timer
    jobs' batches, bench/plans/profile_fire.txt). JSON values must be passed encoded. On
    PostgreSQL the rows travel as one array per column (``unnest``), so the statement's text is
    the same whatever the number of rows and each connection prepares and caches it once.
    """
    if not rows:
        return []
    head = f"INSERT INTO {table._meta.tablename} ({', '.join(columns)}) "
    tail = f" {on_conflict} RETURNING {returning}"
    if dialect.binds_arrays():
        types = [table._meta.get_column_by_name(column).column_type for column in columns]
        arrays = ", ".join(f"{{}}::{column_type}[]" for column_type in types)
        columns_of_rows = (list(values) for values in zip(*rows, strict=True))
        inserted = await table.raw(f"{head}SELECT * FROM unnest({arrays}){tail}", *columns_of_rows)
    else:
        row = f"({', '.join('{}' for _ in columns)})"
        inserted = await table.raw(
            f"{head}VALUES {', '.join(row for _ in rows)}{tail}",
            *(value for values in rows for value in values),
        )
    return [r[returning] for r in inserted]


def ids_in(column: Column, ids: Sequence[int]) -> Combinable:
    """``column IN ids``; on PostgreSQL ``= ANY(array)``, one statement text for any count."""
    if dialect.binds_arrays():
        name = f'"{column._meta.table._meta.tablename}"."{column._meta.db_column_name}"'
        return WhereRaw(f"{name} = ANY({{}})", list(ids))
    return column.is_in(list(ids))
