"""API settings, read once from the environment when the app is built."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["ApiConfig", "ConfigError"]

MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """The environment cannot run the API; the message says what to set."""


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """What the HTTP layer needs to know beyond the database."""

    secret_key: str
    access_ttl_seconds: int = 900
    refresh_ttl_seconds: int = 7 * 24 * 3600
    session_ttl_seconds: int = 8 * 3600
    secure_cookies: bool = True  # only over HTTPS; the embedded demo on plain http turns it off
    max_body_bytes: int = 1_000_000
    public_max_body_bytes: int = 64_000
    public_rate_per_minute: int = 30
    attachment_max_bytes: int = 5_000_000
    embedded_jobs: bool = False  # run the scheduler and jobs in this process (the demo)
    redis_url: str | None = None

    def __post_init__(self) -> None:
        if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"HUIYING_SECRET_KEY 至少 {MIN_SECRET_BYTES} 字节 (the token signing key is too short)"
            )

    @classmethod
    def from_env(cls) -> ApiConfig:
        """Settings from ``HUIYING_*`` variables; the signing key is required."""
        secret = os.environ.get("HUIYING_SECRET_KEY", "")
        if not secret:
            raise ConfigError("请设置 HUIYING_SECRET_KEY（至少 32 字节的随机串）(token signing key missing)")

        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "")
            try:
                return int(raw) if raw else default
            except ValueError:
                raise ConfigError(f"{name} 应为整数，实际为 {raw!r}") from None

        return cls(
            secret_key=secret,
            access_ttl_seconds=number("HUIYING_ACCESS_TTL_SECONDS", 900),
            refresh_ttl_seconds=number("HUIYING_REFRESH_TTL_SECONDS", 7 * 24 * 3600),
            max_body_bytes=number("HUIYING_MAX_BODY_BYTES", 1_000_000),
            public_max_body_bytes=number("HUIYING_PUBLIC_MAX_BODY_BYTES", 64_000),
            public_rate_per_minute=number("HUIYING_PUBLIC_RATE_PER_MINUTE", 30),
            attachment_max_bytes=number("HUIYING_ATTACHMENT_MAX_BYTES", 5_000_000),
            redis_url=os.environ.get("HUIYING_REDIS_URL") or None,
            embedded_jobs=os.environ.get("HUIYING_EMBEDDED_JOBS") == "1",
            secure_cookies=os.environ.get("HUIYING_INSECURE_COOKIES") != "1",
        )
