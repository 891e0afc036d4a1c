"""Password hashing (argon2id). Tests and the demo may pick the cheap profile by environment."""

from __future__ import annotations

import os
from functools import cache

import argon2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password"]


@cache
def _hasher() -> PasswordHasher:
    # The cheapest profile is for test runs only, where 200 ms per hash would dominate.
    if os.environ.get("HUIYING_PASSWORD_PROFILE") == "cheapest":
        return PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; an empty or malformed hash never matches."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
