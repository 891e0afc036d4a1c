"""Tenants as the domain sees them: the context hooks receive, units, and typed settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from core.domain.cases import CaseKind
from core.domain.errors import InvalidCommand

__all__ = ["SettingSpec", "TenantContext", "Unit", "resolve_settings", "validate_settings"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A handling unit 承办单位 (section, squad, department) of a tenant."""

    code: str
    name: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """A setting a plugin declares: onboarding validates tenant values against it."""

    key: str
    type: type
    default: Any
    description: str
    secret: bool = False  # never shown back once written (keys, tokens)


@dataclass(frozen=True, slots=True)
class TenantContext:
    """What a hook knows of the tenant it answers for. Small, frozen and free of I/O.

    `settings` are the tenant's resolved settings; hooks about a case receive a context whose
    settings are resolved for that case's kind (`for_kind`), so per-kind values just apply.
    """

    tenant_id: int
    slug: str
    name: str
    plugin: str
    timezone: str = "Asia/Shanghai"
    units: tuple[Unit, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    kind_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    def for_kind(self, kind: CaseKind) -> TenantContext:
        """This context with the settings resolved for case kind `kind`."""
        settings = self.kind_settings.get(kind.value)
        return self if settings is None else dataclasses.replace(self, settings=settings)

    def unit(self, code: str) -> Unit | None:
        """The unit with `code`, or None."""
        return next((unit for unit in self.units if unit.code == code), None)


def _check_type(spec: SettingSpec, value: Any, where: str) -> Any:
    # bool is an int in Python; a setting typed int must not accept True.
    ok = isinstance(value, spec.type) and not (spec.type is int and isinstance(value, bool))
    if spec.type is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise InvalidCommand(
            f"设置 {where}{spec.key} 应为 {spec.type.__name__} 类型，实际为 {value!r}", field=spec.key
        )
    return value


def validate_settings(specs: Iterable[SettingSpec], values: Mapping[str, Any], *, where: str = "") -> dict:
    """Check `values` against the declared specs: unknown keys and wrong types are errors.

    Raises:
        InvalidCommand: naming the first unknown key or mistyped value.
    """
    by_key = {spec.key: spec for spec in specs}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        known = "、".join(sorted(by_key)) or "（无）"
        raise InvalidCommand(f"未知设置 {where}{unknown[0]}；可用设置：{known}", field=unknown[0])
    return {key: _check_type(by_key[key], value, where) for key, value in values.items()}


def resolve_settings(
    specs: Iterable[SettingSpec],
    *,
    platform: Mapping[str, Any],
    tenant: Mapping[str, Any],
    by_kind: Mapping[str, Mapping[str, Any]],
    kind: CaseKind | None = None,
) -> Mapping[str, Any]:
    """Layer settings: declared default ← platform ← tenant ← tenant's value for the case kind.

    Every layer is validated; the result holds every declared key.
    """
    specs = tuple(specs)
    resolved = {spec.key: spec.default for spec in specs}
    resolved |= validate_settings(specs, platform, where="platform.")
    resolved |= validate_settings(specs, tenant, where="")
    for kind_key, values in by_kind.items():
        checked = validate_settings(specs, values, where=f"{kind_key}.")
        if kind is not None and kind_key == kind.value:
            resolved |= checked
    return MappingProxyType(resolved)
