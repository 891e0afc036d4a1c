"""Tenants: reading a tenant file, onboarding, suspending, and loading a tenant for a unit of work."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain.calendar import BusinessCalendar, CalendarPolicy, YearSchedule, statutory_schedules
from core.domain.cases import CaseKind
from core.domain.errors import DomainError, InvalidCommand
from core.domain.roles import Role
from core.domain.tenancy import TenantContext, Unit, resolve_settings
from core.plugins import PluginRegistry, TenantHooks, UnknownPlugin
from core.services.passwords import hash_password
from core.store.directory import TenantDirectory
from core.store.platform import HolidayRepository
from core.store.tenants import TenantRecord, TenantRepository, stamped_tenant
from core.store.tx import platform_tx, tenant_tx

__all__ = [
    "DEMO_PASSWORD",
    "LoadedTenant",
    "TenantConfig",
    "TenantConfigError",
    "TenantInactive",
    "UserConfig",
    "calendar_for",
    "load_tenant",
    "onboard",
    "read_tenant_file",
    "suspend",
]

DEMO_PASSWORD = "demo12345"  # demo mode only: `huiying demo` prints it next to the logins

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_USERNAME = re.compile(r"^[a-z0-9_.-]{2,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOP_KEYS = {
    "slug",
    "name",
    "plugin",
    "timezone",
    "serial_prefix",
    "calendar",
    "settings",
    "kind_settings",
    "units",
    "users",
}
_CALENDAR_KEYS = {"roll_past_rest_days", "extra_closures", "extra_workdays"}


class TenantConfigError(InvalidCommand):
    """A tenant file is wrong; the message names the field and what is expected."""


class TenantInactive(DomainError):
    """The tenant is suspended or its plugin is not installed."""

    code = "tenant_inactive"


@dataclass(frozen=True, slots=True)
class UserConfig:
    """A user a tenant file declares."""

    username: str
    display_name: str
    roles: tuple[Role, ...]
    unit_code: str | None
    email: str | None = None  # where 催办, 督办 and other notices are mailed besides the inbox


@dataclass(frozen=True, slots=True)
class TenantConfig:
    """A tenant file, validated."""

    slug: str
    name: str
    plugin: str
    timezone: str
    serial_prefix: str
    calendar: Mapping[str, Any]
    settings: Mapping[str, Any]
    kind_settings: Mapping[str, Mapping[str, Any]]
    units: tuple[Unit, ...]
    users: tuple[UserConfig, ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], registry: PluginRegistry | None = None) -> TenantConfig:
        """Validate a parsed tenant file. With `registry`, settings are checked against the plugin.

        Raises:
            TenantConfigError: naming the first bad field.
            UnknownPlugin: the plugin is not installed (only with `registry`).
        """
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise TenantConfigError(
                f"未知字段 {unknown[0]}；可用字段：{'、'.join(sorted(_TOP_KEYS))}", field=unknown[0]
            )
        slug = _text(data, "slug")
        if not _SLUG.match(slug):
            raise TenantConfigError(
                f"slug “{slug}” 只能含小写字母、数字和连字符（2–63 个字符）", field="slug"
            )
        timezone = str(data.get("timezone", "Asia/Shanghai"))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TenantConfigError(
                f"未知时区 timezone = “{timezone}”，如 Asia/Shanghai", field="timezone"
            ) from None
        prefix = _text(data, "serial_prefix")
        if not _PREFIX.match(prefix):
            raise TenantConfigError(
                f"serial_prefix “{prefix}” 应为 1–8 位大写字母或数字，如 NX", field="serial_prefix"
            )
        plugin = _text(data, "plugin")
        settings = _table(data, "settings")
        kind_settings = _table(data, "kind_settings")
        for kind in kind_settings:
            if kind not in {k.value for k in CaseKind}:
                raise TenantConfigError(
                    f"kind_settings.{kind}：未知案件类型，可用 complaint、report、consultation", field=kind
                )
        if registry is not None:
            specs = registry.settings_specs(plugin)
            resolve_settings(specs, platform={}, tenant=settings, by_kind=kind_settings)
        units = tuple(_unit(i, raw) for i, raw in enumerate(_list(data, "units")))
        codes = [unit.code for unit in units]
        if len(set(codes)) != len(codes):
            raise TenantConfigError("units 中有重复的单位代码", field="units")
        users = tuple(_user(i, raw, set(codes)) for i, raw in enumerate(_list(data, "users")))
        names = [user.username for user in users]
        if len(set(names)) != len(names):
            raise TenantConfigError("users 中有重复的用户名", field="users")
        return cls(
            slug=slug,
            name=_text(data, "name"),
            plugin=plugin,
            timezone=timezone,
            serial_prefix=prefix,
            calendar=_calendar(_table(data, "calendar")),
            settings=MappingProxyType(dict(settings)),
            kind_settings=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in kind_settings.items()}),
            units=units,
            users=users,
        )


def _text(data: Mapping[str, Any], key: str, where: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TenantConfigError(f"缺少 {where}{key}（应为非空文字）", field=key)
    return value.strip()


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise TenantConfigError(f"{key} 应为表（[{key}]）", field=key)
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise TenantConfigError(f"{key} 应为表数组（[[{key}]]）", field=key)
    return value


def _calendar(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = sorted(set(raw) - _CALENDAR_KEYS)
    if unknown:
        raise TenantConfigError(
            f"未知字段 calendar.{unknown[0]}；可用：{'、'.join(sorted(_CALENDAR_KEYS))}", field=unknown[0]
        )
    roll = raw.get("roll_past_rest_days", True)
    if not isinstance(roll, bool):
        raise TenantConfigError(
            "calendar.roll_past_rest_days 应为 true 或 false", field="roll_past_rest_days"
        )
    result: dict[str, Any] = {"roll_past_rest_days": roll}
    for key in ("extra_closures", "extra_workdays"):
        days = raw.get(key, [])
        try:
            result[key] = sorted(
                {(d if isinstance(d, date) else date.fromisoformat(str(d))).isoformat() for d in days}
            )
        except ValueError as exc:
            raise TenantConfigError(
                f"calendar.{key} 中的日期无效：{exc}；格式如 2026-10-09", field=key
            ) from None
    return MappingProxyType(result)


def _unit(index: int, raw: Mapping[str, Any]) -> Unit:
    where = f"units[{index}]."
    return Unit(code=_text(raw, "code", where), name=_text(raw, "name", where), parent=raw.get("parent"))


def _user(index: int, raw: Mapping[str, Any], unit_codes: set[str]) -> UserConfig:
    where = f"users[{index}]."
    username = _text(raw, "username", where)
    if not _USERNAME.match(username):
        raise TenantConfigError(f"{where}username “{username}” 只能含小写字母、数字和 _.-", field="username")
    roles = raw.get("roles")
    if not isinstance(roles, list) or not roles:
        raise TenantConfigError(f"{where}roles 应为非空列表", field="roles")
    try:
        parsed = tuple(Role(role) for role in roles)
    except ValueError:
        allowed = "、".join(role.value for role in Role)
        raise TenantConfigError(
            f"{where}roles 含未知角色 {roles}；可用角色：{allowed}", field="roles"
        ) from None
    unit = raw.get("unit")
    if unit is not None and unit not in unit_codes:
        raise TenantConfigError(f"{where}unit “{unit}” 不在 units 中", field="unit")
    email = raw.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        raise TenantConfigError(f"{where}email “{email}” 不是有效的电子邮件地址", field="email")
    return UserConfig(username, str(raw.get("display_name", username)), parsed, unit, email)


def read_tenant_file(path: Path, registry: PluginRegistry | None = None) -> TenantConfig:
    """Read and validate a tenant TOML file.

    Raises:
        TenantConfigError: the file is missing, not TOML, or a field is wrong.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TenantConfigError(f"找不到租户文件 {path}", field="file") from None
    except tomllib.TOMLDecodeError as exc:
        raise TenantConfigError(f"{path.name} 不是有效的 TOML：{exc}", field="file") from None
    return TenantConfig.from_mapping(data, registry)


async def onboard(
    config: TenantConfig,
    registry: PluginRegistry,
    *,
    demo: bool = False,
    allow_missing_plugin: bool = False,
) -> TenantRecord:
    """Create the tenant with its units and users in one transaction.

    A tenant whose plugin is not installed is refused, or — with `allow_missing_plugin`, for the
    demo — created inactive until the plugin lands. Demo users get `DEMO_PASSWORD`; otherwise
    users have no password until one is set.

    Raises:
        TenantConfigError: the slug is taken.
        UnknownPlugin: the plugin is not installed and `allow_missing_plugin` is false.
    """
    status, reason = "active", ""
    if config.plugin not in registry.names:
        if not allow_missing_plugin:
            raise UnknownPlugin(config.plugin, registry.names)
        status, reason = "inactive", f"插件“{config.plugin}”尚未安装"
    else:
        config = TenantConfig.from_mapping(_as_mapping(config), registry)  # settings against the plugin
    tenants = TenantRepository()
    password_hash = hash_password(DEMO_PASSWORD) if demo else ""
    async with platform_tx():
        if await tenants.find(config.slug) is not None:
            raise TenantConfigError(f"租户 {config.slug} 已存在", field="slug")
        record = await tenants.add(
            slug=config.slug,
            name=config.name,
            plugin=config.plugin,
            timezone=config.timezone,
            serial_prefix=config.serial_prefix,
            status=status,
            status_reason=reason,
            settings={
                "tenant": dict(config.settings),
                "by_kind": {k: dict(v) for k, v in config.kind_settings.items()},
            },
            calendar=dict(config.calendar),
        )
        async with tenant_tx(record.id):
            directory = TenantDirectory(record.id)
            for unit in config.units:
                await directory.add_unit(unit)
            for user in config.users:
                await directory.add_user(
                    username=user.username,
                    display_name=user.display_name,
                    roles=user.roles,
                    unit_code=user.unit_code,
                    password_hash=password_hash,
                    email=user.email,
                )
    return record


def _as_mapping(config: TenantConfig) -> dict[str, Any]:
    return {
        "slug": config.slug,
        "name": config.name,
        "plugin": config.plugin,
        "timezone": config.timezone,
        "serial_prefix": config.serial_prefix,
        "calendar": dict(config.calendar),
        "settings": dict(config.settings),
        "kind_settings": {k: dict(v) for k, v in config.kind_settings.items()},
        "units": [
            {"code": u.code, "name": u.name, **({"parent": u.parent} if u.parent else {})}
            for u in config.units
        ],
        "users": [
            {
                "username": u.username,
                "display_name": u.display_name,
                "roles": [r.value for r in u.roles],
                **({"unit": u.unit_code} if u.unit_code else {}),
                **({"email": u.email} if u.email else {}),
            }
            for u in config.users
        ],
    }


async def suspend(slug: str, reason: str) -> TenantRecord:
    """Suspend a tenant: nobody signs in and no case moves until it is reactivated."""
    tenants = TenantRepository()
    async with platform_tx():
        record = await tenants.by_slug(slug)
        await tenants.set_status(record.id, "suspended", reason)
        return await tenants.get(record.id)


def calendar_for(
    timezone: str, calendar: Mapping[str, Any], imported: Mapping[int, YearSchedule]
) -> BusinessCalendar:
    """The tenant's business calendar: statutory data, imported years and its own overrides."""
    policy = CalendarPolicy(
        timezone=timezone,
        roll_past_rest_days=calendar.get("roll_past_rest_days", True),
        extra_closures=frozenset(date.fromisoformat(d) for d in calendar.get("extra_closures", ())),
        extra_workdays=frozenset(date.fromisoformat(d) for d in calendar.get("extra_workdays", ())),
    )
    return BusinessCalendar({**statutory_schedules(), **imported}, policy)


@dataclass(frozen=True, slots=True)
class LoadedTenant:
    """Everything a unit of work needs about its tenant."""

    record: TenantRecord
    hooks: TenantHooks
    calendar: BusinessCalendar

    @property
    def ctx(self) -> TenantContext:
        """The context hooks receive."""
        return self.hooks.ctx

    def settings(self, kind: CaseKind | None = None) -> Mapping[str, Any]:
        """Settings resolved for `kind` (platform defaults ← tenant ← case kind)."""
        stored = self.record.settings
        return resolve_settings(
            self.hooks.register_settings(),
            platform={},
            tenant=stored.get("tenant", {}),
            by_kind=stored.get("by_kind", {}),
            kind=kind,
        )


_loaded: dict[int, tuple[str, PluginRegistry, LoadedTenant]] = {}
"""Each tenant as last loaded in this process, under its row's stamp (`stamped_tenant`)."""


async def load_tenant(
    tenant_id: int, registry: PluginRegistry, *, require_active: bool = True
) -> LoadedTenant:
    """Load a tenant inside its `tenant_tx`.

    The tenant row is read every time (a suspension acts at once); its units, the holidays and
    the plugin context built from them are kept per process while the row's stamp is the same.

    Raises:
        TenantNotFound: no such tenant.
        TenantInactive: suspended, or its plugin is not installed (when `require_active`).
    """
    record, stamp = await stamped_tenant(tenant_id)
    if require_active and not record.active:
        raise TenantInactive(f"租户 {record.slug} 当前不可用：{record.status_reason or record.status}")
    cached = _loaded.get(tenant_id)
    if stamp is not None and cached is not None and cached[0] == stamp and cached[1] is registry:
        return cached[2]
    # The row is read before what hangs off it: a change committed in between makes this load
    # newer than its stamp, never older.
    units = await TenantDirectory(tenant_id).units()
    stored = record.settings
    specs = registry.settings_specs(record.plugin)
    layers = {"platform": {}, "tenant": stored.get("tenant", {}), "by_kind": stored.get("by_kind", {})}
    ctx = TenantContext(
        tenant_id=record.id,
        slug=record.slug,
        name=record.name,
        plugin=record.plugin,
        timezone=record.timezone,
        units=units,
        settings=resolve_settings(specs, **layers),
        kind_settings=MappingProxyType(
            {kind.value: resolve_settings(specs, **layers, kind=kind) for kind in CaseKind}
        ),
    )
    imported = await HolidayRepository().all()
    loaded = LoadedTenant(
        record, registry.hooks_for(ctx), calendar_for(record.timezone, record.calendar, imported)
    )
    if stamp is not None:
        _loaded[tenant_id] = (stamp, registry, loaded)
    return loaded
