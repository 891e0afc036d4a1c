"""What text the platform takes in, whichever way it comes (API, pages, channels).

One rule for every way in, checked before the store: no NUL or other control characters (a line
break and a tab are text), and no more characters than the field holds. A store on PostgreSQL
would otherwise answer a 500 where SQLite stores the text, and a stored control character
breaks the XLSX exports of everyone in the tenant.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from core.domain.errors import InvalidCommand

__all__ = [
    "LIMITS",
    "LONG_TEXT",
    "check_command_text",
    "check_text",
    "has_control_characters",
    "text_problem",
]

LONG_TEXT = 20_000
"""A case's content, a reply, an opinion: the most any free text may hold."""

LIMITS: Mapping[str, int] = {
    "title": 200,  # the case's title, as the column holds it
    "category": 64,
    "handler": 64,
    "unit_code": 32,
    "respondent_unit": 32,
    "timer": 32,
    "answer": 500,  # one intake answer or identity value
}
"""Fields shorter than `LONG_TEXT`, by name."""

# C0 control characters other than tab and line breaks, and DEL: nobody means to write them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    """Whether `value` holds a NUL or another control character (line breaks and tabs aside)."""
    return _CONTROL.search(value) is not None


def text_problem(label: str, value: str, limit: int) -> str | None:
    """What is wrong with `value` as the text of `label`, in words; None when it is fine."""
    if has_control_characters(value):
        return f"{label}含有不可见的控制字符（如 NUL），请删除后重新提交"
    if len(value) > limit:
        return f"{label}过长：最多 {limit} 个字符，收到 {len(value)} 个"
    return None


def check_text(field: str, label: str, value: str, limit: int | None = None) -> None:
    """Raise `InvalidCommand` naming `field` when `value` is not text the field can take."""
    problem = text_problem(label, value, limit or LIMITS.get(field, LONG_TEXT))
    if problem:
        raise InvalidCommand(problem, field=field)


def check_command_text(command: object, labels: Mapping[str, str] | None = None) -> None:
    """Check every text of a command (strings, lists of strings, mappings of them) by its field."""
    for spec in dataclasses.fields(command):  # type: ignore[arg-type]
        for value in _texts(getattr(command, spec.name)):
            label = (labels or {}).get(spec.name, spec.name)
            check_text(spec.name, label, value)


def _texts(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list | frozenset):
        yield from (item for item in value if isinstance(item, str))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
