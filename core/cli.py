"""The ``huiying`` command line.

The store's engine is chosen from ``HUIYING_DATABASE_URL`` when the store is first imported,
so commands import it lazily, after options such as ``demo --data-dir`` have set the URL.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
import tomllib
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

__all__ = ["main"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def tenants_dir() -> Path:
    """Where demo tenant files live (``HUIYING_TENANTS_DIR`` overrides)."""
    return Path(os.environ.get("HUIYING_TENANTS_DIR", _PROJECT_ROOT / "tenants"))


class _Failure(click.ClickException):
    """A message for a person, printed without a traceback; exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(self.message, err=True)


def _run(coro_fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run an async command, turning expected failures into plain messages."""

    @functools.wraps(coro_fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from core.domain.errors import DomainError
        from core.services.operations import MigrationFailed

        try:
            return asyncio.run(coro_fn(*args, **kwargs))
        except DomainError as exc:
            raise _Failure(f"错误：{exc}") from None
        except MigrationFailed as exc:
            raise _Failure(f"迁移失败：{exc}") from None

        except OSError as exc:
            raise _Failure(f"无法连接数据库（{exc}）；请检查 HUIYING_DATABASE_URL 和数据库服务") from None

    return wrapper


def _services():
    """The process's services, built on first use (after options may have set the database URL)."""
    from core.services.root import process_services

    try:
        return process_services()
    except ValueError as exc:  # a malformed setting in the environment, e.g. HUIYING_SMTP_PORT
        raise _Failure(f"错误：{exc}") from None


async def _require_schema() -> None:
    if not await _services().operations.schema_ready():
        raise _Failure("数据库尚未初始化：请先运行 `huiying migrate`")


@click.group(help="回应 Huiying — 投诉举报咨询受理平台")
def main() -> None:
    """Huiying's command line."""


@main.command(help="运行数据库迁移（以所有者身份），并为应用角色授权。")
@click.option(
    "--app-role", default=None, help="应用连接所用的 PostgreSQL 角色（默认取自 HUIYING_APP_DATABASE_URL）。"
)
@_run
async def migrate(app_role: str | None) -> None:
    from core.services.operations import role_of

    url = os.environ.get("HUIYING_APP_DATABASE_URL", "")
    role = app_role or role_of(url)
    # The role logs in with the password its URL gives (when the URL is the role's own).
    password = urlsplit(url).password if role and role == role_of(url) else None
    await _services().operations.migrate(app_role=role, app_password=password)
    click.echo("迁移完成 (migrations applied)" + (f"；应用角色 {role} 已授权" if role else ""))


@main.group(help="租户：列出、入驻、暂停。")
def tenants() -> None:
    """Tenant administration."""


@tenants.command("list", help="列出所有租户及其状态。")
@_run
async def tenants_list() -> None:
    await _require_schema()
    records = await _services().operations.tenants()
    if not records:
        click.echo("（暂无租户）")
    for record in records:
        note = f"  {record.status_reason}" if record.status_reason else ""
        click.echo(f"{record.slug:<16} {record.plugin:<14} {record.status:<10} {record.name}{note}")


@tenants.command("onboard", help="按租户文件（TOML）入驻一个组织。")
@click.argument("file", type=click.Path(path_type=Path))
@_run
async def tenants_onboard(file: Path) -> None:
    from core.services.tenants import onboard, read_tenant_file

    registry = _services().registry
    config = read_tenant_file(file, registry if _plugin_of(file) in registry.names else None)
    await _require_schema()
    record = await onboard(config, registry)
    click.echo(
        f"已入驻租户 {record.slug}（{record.name}），插件 {record.plugin}，用户 {len(config.users)} 个"
    )
    click.echo("用户尚无密码：请用 `huiying users set-password --tenant SLUG USERNAME` 设置。")


def _plugin_of(file: Path) -> str | None:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8")).get("plugin")
    except (OSError, tomllib.TOMLDecodeError):
        return None  # read_tenant_file reports the problem properly


@tenants.command("suspend", help="暂停租户：其用户不能登录，案件不能流转。")
@click.argument("slug")
@click.option("--reason", default="平台管理员暂停", show_default=True, help="暂停原因。")
@_run
async def tenants_suspend(slug: str, reason: str) -> None:
    from core.services.tenants import suspend

    await _require_schema()
    record = await suspend(slug, reason)
    click.echo(f"租户 {record.slug} 已暂停：{record.status_reason}")


@main.group(help="用户。")
def users() -> None:
    """User administration."""


@users.command("set-password", help="为租户用户设置密码（从标准输入读取一行，或交互输入）。")
@click.option("--tenant", "slug", required=True, help="租户 slug。")
@click.argument("username")
@_run
async def users_set_password(slug: str, username: str) -> None:
    password = _read_password()
    await _require_schema()
    try:
        await _services().operations.set_password(slug, username, password)
    except LookupError:
        raise _Failure(f"错误：租户 {slug} 没有用户 {username}") from None
    click.echo(f"已为 {slug}/{username} 设置密码")


@main.group(help="工作日历：计算期限、导入节假日安排。")
def calendar() -> None:
    """Business calendar."""


@calendar.command(
    "due", help='计算期限，如 --add "5 working days"（单位：minutes、hours、days、working days）。'
)
@click.option("--tenant", "slug", required=True, help="租户 slug（先查数据库，再查 tenants/<slug>.toml）。")
@click.option("--from", "start", required=True, help="起算时刻，ISO 8601，如 2026-09-30T10:00:00+08:00。")
@click.option("--add", "period", required=True, help='期限，如 "5 working days"、"30 days"、"10 minutes"。')
@_run
async def calendar_due(slug: str, start: str, period: str) -> None:
    from core.domain.calendar import Period
    from core.domain.errors import InvalidCommand

    try:
        instant = datetime.fromisoformat(start)
    except ValueError:
        raise InvalidCommand(f"--from “{start}” 不是 ISO 8601 时刻，如 2026-09-30T10:00:00+08:00") from None
    if instant.tzinfo is None:
        raise InvalidCommand("--from 须带时区偏移，如 2026-09-30T10:00:00+08:00")
    business = await _services().operations.calendar(slug, tenants_dir())
    if business is None:
        raise _Failure(f"错误：找不到租户 {slug}（数据库中没有，也没有 {tenants_dir() / (slug + '.toml')}）")
    deadline = business.add(instant, Period.parse(period))
    click.echo(deadline.due_at.isoformat() + (" provisional" if deadline.provisional else ""))
    if deadline.provisional:
        click.echo("（暂定：所涉年份的节假日安排尚未导入，导入后将重新计算）", err=True)


@calendar.command("import", help="导入某一年的节假日和调休上班日（TOML 或 JSON 文件）。")
@click.argument("file", type=click.Path(path_type=Path))
@_run
async def calendar_import(file: Path) -> None:
    import json

    from core.domain.calendar import YearSchedule
    from core.domain.errors import InvalidCommand

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidCommand(f"无法读取 {file}：{exc.strerror}") from None
    try:
        data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidCommand(f"{file.name} 格式错误：{exc}") from None
    schedule = YearSchedule.from_mapping(data)
    await _require_schema()
    changed = await _services().operations.import_holidays(schedule)
    click.echo(
        f"已导入 {schedule.year} 年：节假日 {len(schedule.holidays)} 天，调休上班 {len(schedule.workdays)} 天"
    )
    click.echo(f"已重新计算 {changed} 个暂定期限")


@main.group(help="投诉人身份保险库：主密钥轮换。")
def keys() -> None:
    """Identity vault keys."""


@keys.command(
    "rotate",
    help="用新的主密钥（HUIYING_MASTER_KEY）重新封装各租户的数据密钥；旧主密钥放在 HUIYING_OLD_MASTER_KEYS。",
)
@_run
async def keys_rotate() -> None:
    _check_master_key()
    await _require_schema()
    changed = await _services().keys.rotate_master_key()
    click.echo(f"已重新封装 {changed} 个租户的数据密钥；全部完成后可移除旧主密钥")


@main.group(help="数据保留。")
def retention() -> None:
    """Data retention."""


@retention.command(
    "purge", help="删除归档超过租户保留期（identity_retention_years）的投诉人身份；案件保留用于统计。"
)
@_run
async def retention_purge() -> None:
    await _require_schema()
    purged = await _services().keys.purge_expired_identities()
    click.echo(f"已删除 {purged} 件案件的投诉人身份")


@main.group(help="平台管理员。")
def platform() -> None:
    """Platform administration."""


@platform.command("create-admin", help="创建平台管理员或重设其密码（从标准输入读取一行，或交互输入）。")
@click.argument("username")
@_run
async def platform_create_admin(username: str) -> None:
    password = _read_password()
    await _require_schema()
    await _services().operations.put_platform_admin(username, password)
    click.echo(f"平台管理员 {username} 已就绪")


def _read_password() -> str:
    if sys.stdin.isatty():
        password = click.prompt("新密码", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise _Failure("错误：密码至少 8 个字符")
    return password


def _check_master_key() -> None:
    from core.services.vault import MasterKeyError, MasterKeys

    try:
        MasterKeys.from_env()
    except MasterKeyError as exc:
        raise _Failure(f"错误：{exc}") from None


def _check_api_config() -> None:
    from core.api.config import ApiConfig, ConfigError

    try:
        ApiConfig.from_env()
    except ConfigError as exc:
        raise _Failure(f"错误：{exc}") from None
    _check_master_key()


@main.command(help="启动后台任务进程（dramatiq，需 HUIYING_REDIS_URL）：执行到期提醒、督办和通知投递。")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def worker(processes: int, threads: int) -> None:
    if not os.environ.get("HUIYING_REDIS_URL"):
        raise _Failure(
            "错误：请设置 HUIYING_REDIS_URL（如 redis://127.0.0.1:6379/0）；内置演示模式无需单独的 worker"
        )
    _check_master_key()
    argv = [sys.executable, "-m", "dramatiq", "core.jobs.actors", "--processes", str(processes)]
    os.execv(sys.executable, [*argv, "--threads", str(threads)])


@main.command(help="启动调度进程：每秒查找到期的期限和待投递的通知，交给 worker。可同时运行多个。")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1, 60))
@click.option("--requeue-after", default=30, show_default=True, type=click.IntRange(1, 3600), help="秒")
def scheduler(interval: float, requeue_after: int) -> None:
    import signal
    from datetime import timedelta

    if not os.environ.get("HUIYING_REDIS_URL"):
        raise _Failure("错误：请设置 HUIYING_REDIS_URL（如 redis://127.0.0.1:6379/0）")
    from core.jobs.actors import queued_handlers
    from core.jobs.scheduler import Scheduler

    services = _services()
    loop_scheduler = Scheduler.for_handlers(
        services.clock,
        queued_handlers(services),
        interval=interval,
        requeue_after=timedelta(seconds=requeue_after),
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        click.echo(f"调度已启动：每 {interval} 秒检查一次到期工作")
        await loop_scheduler.run(stop)

    asyncio.run(run())


@main.command(help="启动 HTTP 服务（需已迁移的数据库和 HUIYING_SECRET_KEY）。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    _check_api_config()
    uvicorn.run("core.app:create_app", factory=True, host=host, port=port, workers=workers)


@main.command(help="内置演示模式：SQLite 数据库，首次启动时入驻演示租户。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--data-dir", default="data", show_default=True, type=click.Path(path_type=Path))
def demo(host: str, port: int, data_dir: Path) -> None:
    os.environ["HUIYING_DATABASE_URL"] = f"sqlite:///{data_dir.resolve() / 'huiying.sqlite'}"
    os.environ.setdefault("HUIYING_SECRET_KEY", _demo_secret(data_dir, "secret.key"))
    os.environ.setdefault("HUIYING_MASTER_KEY", _demo_secret(data_dir, "master.key"))
    os.environ["HUIYING_EMBEDDED_JOBS"] = "1"  # deadlines fire in-process: no Redis, no worker
    os.environ.setdefault("HUIYING_INSECURE_COOKIES", "1")  # the demo serves plain http on localhost
    lines = _run(_prepare_demo)()
    import uvicorn

    click.echo(f"回应 Huiying 演示已启动：http://{host}:{port}/  （接口文档 /schema，健康检查 /healthz）")
    for line in lines:
        click.echo(line)
    uvicorn.run("core.app:create_app", factory=True, host=host, port=port, log_level="warning")


def _demo_secret(data_dir: Path, name: str) -> str:
    """A demo key (token signing, identity master key), made once and kept owner-only in its data folder."""
    import base64
    import secrets

    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


async def _prepare_demo() -> list[str]:
    from core.services.operations import DEMO_ADMIN
    from core.services.tenants import DEMO_PASSWORD

    tenants = await _services().operations.prepare_demo(sorted(tenants_dir().glob("*.toml")))
    lines = [f"平台管理员：{DEMO_ADMIN} · 密码 {DEMO_PASSWORD}", "演示租户（tenant · 用户名 · 密码）："]
    for record, usernames in tenants:
        state = "可用" if record.active else f"未启用（{record.status_reason}）"
        lines.append(f"  {record.slug:<16} {'/'.join(usernames)} · 密码 {DEMO_PASSWORD} · {state}")
    return lines


@main.group(help="审计：校验案件事件记录的哈希链。")
def audit() -> None:
    """The tamper-evident record."""


@audit.command("verify", help="重算哈希链，指出第一处被改动、删除或调换的记录；有问题时退出码为 1。")
@click.option("--tenant", "slug", default=None, help="只校验该租户（默认校验所有租户）。")
@_run
async def audit_verify(slug: str | None) -> None:
    await _require_schema()
    reports = await _services().operations.verify_chains(slug)
    if not reports:
        click.echo("（暂无租户）")
    for report in reports:
        name, link = report.tenant.slug, report.broken
        if link is not None:
            click.echo(
                f"租户 {name}：第 {link.position} 条记录被改动"
                f"（案件 {report.broken_serial} 第 {link.seq} 条，事件 {link.event_id}）：{link.why}"
            )
        elif report.head_problem is not None:
            click.echo(f"租户 {name}：{report.events} 条记录，链头不符：{report.head_problem}")
        else:
            click.echo(f"租户 {name}：{report.events} 条记录，哈希链完整")
    broken = sum(not report.intact for report in reports)
    if broken:
        raise _Failure(f"哈希链校验未通过：{broken} 个租户的哈希链不完整")


if __name__ == "__main__":
    main()
