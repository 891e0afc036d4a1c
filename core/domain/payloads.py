"""Commands from plain mappings: what the JSON API, the staff forms and the CLI receive.

One conversion for all of them, so a field is read and refused the same way wherever it comes
from; every refusal names the field and says what was expected.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import types
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from core.domain.calendar import Period
from core.domain.commands import COMMANDS, CaseCommand
from core.domain.errors import InvalidCommand
from core.domain.lifecycle import Action
from core.domain.text import has_control_characters

__all__ = ["command_from_payload"]


def _convert(name: str, hint: Any, value: Any) -> Any:
    """Turn one JSON-ish value into the field's type, or say what is wrong with it."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        hint = next(arg for arg in args if arg is not type(None))
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            choices = "、".join(str(member.value) for member in hint)
            raise InvalidCommand(f"{name} 的取值 {value!r} 无效，可选：{choices}", field=name) from None
    if hint is Decimal:
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(value)
            amount = Decimal(str(value))
            if not amount.is_finite():
                raise ValueError(value)
            return amount
        except (decimal.InvalidOperation, ValueError):
            raise InvalidCommand(f"{name} 应为金额，如 12000.50", field=name) from None
    if hint is date:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidCommand(f"{name} 应为日期，如 2026-12-10", field=name) from None
    if hint is Period:
        if not isinstance(value, str):
            raise InvalidCommand(f"{name} 应为期限文字，如“5 working days”", field=name)
        return Period.parse(value)
    if origin is Mapping:
        if not isinstance(value, Mapping):
            raise InvalidCommand(f"{name} 应为“字段: 值”的对象 ({name} must be an object)", field=name)
        return {str(key): _convert(name, args[1], item) for key, item in value.items()}
    if origin in (tuple, frozenset):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise InvalidCommand(f"{name} 应为列表 ({name} must be a list)", field=name)
        items = [_convert(name, args[0], item) for item in value]
        return origin(items)
    if hint is bool:
        if not isinstance(value, bool):
            raise InvalidCommand(f"{name} 应为 true 或 false", field=name)
        return value
    if hint is str:
        if not isinstance(value, str):
            raise InvalidCommand(f"{name} 应为文字 ({name} must be a string)", field=name)
        if has_control_characters(value):
            raise InvalidCommand(f"{name} 含有控制字符 (control characters are not allowed)", field=name)
        return value.strip()
    return value


def command_from_payload(action: Action, payload: Mapping[str, Any]) -> CaseCommand:
    """Build the command for `action` from a plain mapping, rejecting unknown fields.

    Raises:
        InvalidCommand: an unknown field, a wrong type or a failed validation, named.
    """
    cls = COMMANDS[action]
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(payload) - known)
    if unknown:
        allowed = "、".join(sorted(known)) or "（无）"
        raise InvalidCommand(
            f"“{action.label}”不接受字段 {', '.join(unknown)}；可用字段：{allowed}", field=unknown[0]
        )
    values = {name: _convert(name, hints[name], value) for name, value in payload.items()}
    return cls(**values)
