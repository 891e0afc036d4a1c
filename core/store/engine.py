"""The database engine, chosen once per process from the environment.

``HUIYING_DATABASE_URL`` selects PostgreSQL (``postgresql://user@host:port/db``) or SQLite
(``sqlite:///path/file.sqlite``); unset, the embedded SQLite default under
``HUIYING_DATA_DIR`` (``./data``) is used. The URL is read at import, so a command that
switches databases sets the variable before importing the store.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

__all__ = ["DB", "app_role", "database_url", "make_engine"]

# Piccolo's migration commands find the engine through this module path.
os.environ.setdefault("PICCOLO_CONF", "core.store.piccolo_conf")


def database_url() -> str:
    """The configured database URL, defaulting to the embedded SQLite file."""
    url = os.environ.get("HUIYING_DATABASE_URL", "").strip()
    if url:
        return url
    data_dir = Path(os.environ.get("HUIYING_DATA_DIR", "data"))
    return f"sqlite:///{data_dir.resolve() / 'huiying.sqlite'}"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite's parent folder is created if missing."""
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": url}, log_queries=False)
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=30)
    raise ValueError(f"HUIYING_DATABASE_URL must start with postgresql:// or sqlite://, got {url!r}")


def app_role(url: str) -> str | None:
    """The role a PostgreSQL URL connects as (None for SQLite or when the URL names none)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlsplit(url).username


DB: Engine = make_engine(database_url())
