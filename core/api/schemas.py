"""HTTP schemas: msgspec Structs in and out. Never tables; unknown input fields are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.params import PathParameter
from msgspec import Meta, Struct

from core.domain.cases import CaseKind, CaseState, Channel, Satisfaction
from core.domain.events import CaseEvent
from core.domain.redaction import Redactor
from core.domain.roles import Role
from core.domain.text import has_control_characters
from core.services.cases import CaseView
from core.services.portal import PublicStatus
from core.services.values import StoredTimer, UserRecord

__all__ = [
    "CaseOut",
    "CasePageOut",
    "EventOut",
    "IntakeIn",
    "PlatformTokenIn",
    "PublicFeedbackIn",
    "PublicIntakeIn",
    "PublicMessageIn",
    "PublicReceiptOut",
    "PublicStatusOut",
    "RefreshIn",
    "RoutingOut",
    "RowId",
    "SettingOut",
    "SettingsIn",
    "StatusIn",
    "TenantOut",
    "TimerOut",
    "TokenIn",
    "TokenOut",
    "UnitIn",
    "UnitOut",
    "UnitUpdateIn",
    "UserIn",
    "UserOut",
    "UserUpdateIn",
    "case_out",
    "refuse_control_characters",
    "user_out",
]

_EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def refuse_control_characters(value: Any, where: str) -> None:
    """Raise ValueError naming `where` when a string in `value` holds a control character."""
    if isinstance(value, str):
        if has_control_characters(value):
            raise ValueError(f"{where} 含有控制字符 (control characters are not allowed)")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_control_characters(key, where)
            refuse_control_characters(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            refuse_control_characters(item, where)


class Input(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields and control characters are refused."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            refuse_control_characters(getattr(self, name), name)


RowId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="编号")]
"""A database id in a path: anything outside the column's range cannot exist."""

Text = Annotated[str, Meta(min_length=1, max_length=200)]
LongText = Annotated[str, Meta(min_length=1, max_length=20_000)]
Slug = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Username = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9_.-]+$")]
Password = Annotated[str, Meta(min_length=1, max_length=256)]
FieldValue = str | int | float | bool | None
Identity = Annotated[
    dict[Annotated[str, Meta(max_length=64)], Annotated[str, Meta(max_length=500)]],
    Meta(examples=[{"name": "张三", "phone": "13812345678"}], description="投诉人身份：与案件分开加密保存"),
]
Fields = Annotated[
    dict[Annotated[str, Meta(max_length=64)], FieldValue],
    Meta(
        examples=[{"situation": "not_compiled", "respondent": "南溪村委会"}], description="插件规定的受理字段"
    ),
]


class TokenIn(Input):
    tenant: Annotated[Slug, Meta(examples=["nanxi-town"])]
    username: Annotated[Username, Meta(examples=["operator"])]
    password: Annotated[Password, Meta(examples=["demo12345"])]


class PlatformTokenIn(Input):
    username: Username
    password: Password


class RefreshIn(Input):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=4096)]


class TokenOut(Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class IntakeIn(Input):
    """A case as taken in. ``identity`` is kept apart from the case; ``fields`` are the plugin's."""

    kind: Annotated[
        CaseKind, Meta(examples=["complaint"], description="complaint 投诉 / report 举报 / consultation 咨询")
    ]
    channel: Annotated[Channel, Meta(examples=["phone"])]
    title: Annotated[Text, Meta(examples=["村务公开栏三个月未更新"])]
    content: Annotated[LongText, Meta(examples=["南溪村政务公开栏自七月以来未更新，财务收支未公开。"])]
    received_at: (
        Annotated[
            datetime,
            Meta(
                tz=True,
                examples=["2026-09-30T10:00:00+08:00"],
                description="实际收件时间（来信拆阅、来电记录补登时填写）",
            ),
        ]
        | None
    ) = None
    anonymous: bool = False
    identity: Identity = {}
    fields: Fields = {}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.received_at is not None and self.received_at < _EARLIEST:
            raise ValueError("received_at 早于 2000 年，请核实 (absurd date)")


class PublicIntakeIn(Input):
    """A case as a member of the public submits it: always on the web channel, received now."""

    kind: Annotated[
        CaseKind, Meta(examples=["complaint"], description="complaint 投诉 / report 举报 / consultation 咨询")
    ]
    title: Annotated[Text, Meta(examples=["村务公开栏三个月未更新"])]
    content: Annotated[LongText, Meta(examples=["南溪村政务公开栏自七月以来未更新，财务收支未公开。"])]
    channel: Annotated[Literal["web"], Meta(description="公众提交一律为网上渠道")] = "web"
    anonymous: bool = False
    identity: Identity = {}
    fields: Fields = {}


class RoutingOut(Struct):
    """The plugin's suggested handling unit; `binding`: no other unit is accepted."""

    unit_code: str
    cause: str
    reason: str
    binding: bool


class TimerOut(Struct):
    kind: str
    label: str
    basis: str
    period: str
    state: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    provisional: bool
    paused_seconds: int
    extended: int


class CaseOut(Struct):
    id: int
    serial: str
    kind: CaseKind
    channel: Channel
    state: CaseState
    state_label: str
    title: str
    content: str
    received_at: datetime
    severity: str
    flags: list[str]
    complexity: str
    category: str
    anonymous: bool
    unit_code: str | None
    handler: str | None
    cause: str
    opinion: str
    reply_mode: str
    reply_content: str
    satisfaction: Satisfaction | None
    approvals: list[str]
    extensions: int
    version: int
    fields: dict[str, Any]
    timers: list[TimerOut]


class CasePageOut(Struct):
    items: list[CaseOut]
    next_cursor: str | None


class EventOut(Struct):
    seq: int
    name: str
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    data: dict[str, Any]


def _timer_out(stored: StoredTimer) -> TimerOut:
    timer = stored.timer
    return TimerOut(
        kind=timer.kind,
        label=stored.label,
        basis=timer.basis,
        period=str(timer.period),
        state=timer.state.value,
        started_at=timer.started_at,
        due_at=timer.due_at,
        warn_at=timer.warn_at,
        provisional=timer.provisional,
        paused_seconds=timer.paused_seconds,
        extended=timer.extended,
    )


def case_out(view: CaseView, *, redact: Callable[[str], str] = str) -> CaseOut:
    """The case for the wire, its free text through `redact` (the reader's redaction rule).

    People type names and numbers into complaints; only roles that may read the identity in
    clear see them as written (`IdentityDesk.redactors`).
    """
    case = view.case
    text = redact
    return CaseOut(
        id=case.id,
        serial=case.serial,
        kind=case.kind,
        channel=case.channel,
        state=case.state,
        state_label=case.state.label,
        title=text(case.title),
        content=text(case.content),
        received_at=case.received_at,
        severity=case.severity.value,
        flags=sorted(flag.value for flag in case.flags),
        complexity=case.complexity.value,
        category=case.category,
        anonymous=case.anonymous,
        unit_code=case.unit_code,
        handler=case.handler,
        cause=text(case.cause),
        opinion=text(case.opinion),
        reply_mode=case.reply_mode,
        reply_content=text(case.reply_content),
        satisfaction=case.satisfaction,
        approvals=list(case.approvals),
        extensions=case.extensions,
        version=case.version,
        fields={key: text(value) if isinstance(value, str) else value for key, value in case.fields.items()},
        timers=[_timer_out(stored) for stored in view.timers],
    )


def event_out(seq: int, event: CaseEvent, redact: Callable[[str], str] = str) -> EventOut:
    """One step of the timeline; what people wrote in it (reasons, notes, opinions) through `redact`."""
    data = msgspec.to_builtins(dict(event.data))
    return EventOut(
        seq=seq,
        name=event.name,
        action=event.action,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        actor=event.actor,
        at=event.at,
        data=Redactor.walker(redact)(data),
    )


# --- administration ---------------------------------------------------------------------------


class UserOut(Struct):
    username: str
    display_name: str
    roles: list[Role]
    unit_code: str | None
    active: bool
    locked: bool


def user_out(user: UserRecord, now: datetime) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        roles=sorted(user.roles),
        unit_code=user.unit_code,
        active=user.active,
        locked=user.locked_until is not None and user.locked_until > now,
    )


class UserIn(Input):
    username: Username
    roles: Annotated[list[Role], Meta(min_length=1)]
    display_name: Annotated[str, Meta(max_length=100)] = ""
    unit_code: Annotated[str, Meta(max_length=32)] | None = None
    password: Annotated[str, Meta(min_length=8, max_length=256)] | None = None


class UserUpdateIn(Input):
    display_name: Annotated[str, Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    roles: Annotated[list[Role], Meta(min_length=1)] | msgspec.UnsetType = msgspec.UNSET
    unit_code: Annotated[str, Meta(max_length=32)] | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Annotated[str, Meta(min_length=8, max_length=256)] | msgspec.UnsetType = msgspec.UNSET


class UnitOut(Struct):
    code: str
    name: str
    parent: str | None


class UnitIn(Input):
    code: Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Text
    parent: Annotated[str, Meta(max_length=32)] | None = None


class UnitUpdateIn(Input):
    name: Text
    parent: Annotated[str, Meta(max_length=32)] | None = None


class SettingOut(Struct):
    key: str
    type: str
    default: Any
    value: Any
    description: str


class SettingsIn(Input):
    values: Annotated[dict[str, FieldValue], Meta(examples=[{"general_working_days": 5}])]


class TenantOut(Struct):
    slug: str
    name: str
    plugin: str
    status: str
    status_reason: str
    timezone: str
    serial_prefix: str


class StatusIn(Input):
    reason: Annotated[str, Meta(max_length=500)] = ""


# --- public portal ----------------------------------------------------------------------------


class PublicReceiptOut(Struct):
    receipt: str
    secret: str
    notice: str = "请妥善保存受理编号和查询密码；密码只显示这一次，遗失后无法查询。"


class PublicMilestoneOut(Struct):
    label: str
    at: datetime
    detail: dict[str, Any]


class PublicStatusOut(Struct):
    receipt: str
    kind: str
    state: CaseState
    state_label: str
    received_at: datetime
    milestones: list[PublicMilestoneOut]
    reply_mode: str
    reply_content: str
    satisfaction: str | None
    can_give_feedback: bool


def public_status_out(status: PublicStatus) -> PublicStatusOut:
    return PublicStatusOut(
        receipt=status.receipt,
        kind=status.kind,
        state=status.state,
        state_label=status.state.label,
        received_at=status.received_at,
        milestones=[
            PublicMilestoneOut(label=m.label, at=m.at, detail=msgspec.to_builtins(dict(m.detail)))
            for m in status.milestones
        ],
        reply_mode=status.reply_mode,
        reply_content=status.reply_content,
        satisfaction=status.satisfaction,
        can_give_feedback=status.can_give_feedback,
    )


class PublicMessageIn(Input):
    text: Annotated[str, Meta(min_length=1, max_length=5000, examples=["补充：公开栏位于村委会门口东侧。"])]


class PublicFeedbackIn(Input):
    satisfaction: Satisfaction
    note: Annotated[str, Meta(max_length=2000)] = ""
